/**
 * The snapshot's layout, read from `snapshot.meta`: which field sits at which offset, and the type names.
 * Node 18, 20, 22 and 24 write different node field lists (e.g. `detachedness`), and tools may add fields of
 * their own, so nothing here is hard-coded beyond the names V8 has always used.
 */
import { SnapshotFormatError } from '../../common/errors.js';

export interface SnapshotMeta {
  node_fields: string[];
  node_types: unknown[];
  edge_fields: string[];
  edge_types: unknown[];
  location_fields?: string[];
  sample_fields?: string[];
  trace_function_info_fields?: string[];
  trace_node_fields?: string[];
}

export interface SnapshotHeader {
  meta: SnapshotMeta;
  node_count: number;
  edge_count: number;
  trace_function_count?: number;
  [extra: string]: unknown;
}

/** Where each field sits inside one node / edge record: -1 where the records lack the field. */
export interface RecordOffsets {
  /** numbers per node record */
  nodeFieldCount: number;
  /** numbers per edge record */
  edgeFieldCount: number;
  nType: number;
  nName: number;
  nId: number;
  nSelfSize: number;
  nTraceNodeId: number;
  eNameOrIndex: number;
  eToNode: number;
}

/** The file's node and edge records (read once, while the records are copied into the in-memory ones). */
export interface FileFields extends RecordOffsets {
  nodeFields: string[];
  edgeFields: string[];
  nEdgeCount: number;
  eType: number;
}

/**
 * The file's layout (`file`) and the one the loaded arrays use. In memory a node keeps only what the analyses read
 * (type, name, id, self size, and the allocation trace id when the snapshot was taken with allocation tracking):
 * 4 or 5 numbers; edge_count becomes the forward index (firstEdge) and detachedness (DOM only) and unknown fields
 * are dropped. An edge keeps name_or_index and to_node (a node ordinal): 2 numbers; its type sits in a byte array
 * of its own (HeapSnapshot.edgeTypeOf). A 900 MB snapshot's nodes and edges take 35% less memory that way.
 * nTraceNodeId is -1 when the snapshot has no allocation traces.
 */
export interface Layout extends RecordOffsets {
  file: FileFields;
  nodeTypes: string[];
  edgeTypes: string[];
  locationFieldCount: number;
  lObjectIndex: number;
  lScriptId: number;
  lLine: number;
  lColumn: number;
  /** A short human description of the file's layout, e.g. "7 node fields (with detachedness), 3 edge fields". */
  description: string;
}

function fieldIndex(fields: string[], name: string, what: string, required: boolean): number {
  const i = fields.indexOf(name);
  if (i < 0 && required) throw new SnapshotFormatError(`unknown snapshot layout: ${what} lacks '${name}'`);
  return i;
}

function typeNames(types: unknown, what: string): string[] {
  if (!isStringArray(types) || types.length === 0) {
    throw new SnapshotFormatError(`unknown snapshot layout: ${what} has no list of type names`);
  }
  return types;
}

function isStringArray(a: unknown): a is string[] {
  return Array.isArray(a) && a.every((x) => typeof x === 'string');
}

/** Validates the `snapshot` header object and derives the layout. Throws SnapshotFormatError. */
export function readLayout(header: unknown): Layout {
  if (header === null || typeof header !== 'object') throw new SnapshotFormatError('"snapshot" is not an object');
  const h = header as Partial<SnapshotHeader>;
  const meta = h.meta as Partial<SnapshotMeta> | undefined;
  if (!meta || typeof meta !== 'object') throw new SnapshotFormatError('"snapshot" has no "meta"');
  if (!isStringArray(meta.node_fields) || !isStringArray(meta.edge_fields)) {
    throw new SnapshotFormatError('unknown snapshot layout: meta.node_fields / meta.edge_fields missing');
  }
  if (!Number.isSafeInteger(h.node_count) || (h.node_count as number) < 1) {
    throw new SnapshotFormatError('"snapshot.node_count" is missing or not a positive integer');
  }
  if (!Number.isSafeInteger(h.edge_count) || (h.edge_count as number) < 0) {
    throw new SnapshotFormatError('"snapshot.edge_count" is missing or not a non-negative integer');
  }
  const nodeFields = meta.node_fields;
  const edgeFields = meta.edge_fields;
  const nType = fieldIndex(nodeFields, 'type', 'meta.node_fields', true);
  const edgeTypeIdx = fieldIndex(edgeFields, 'type', 'meta.edge_fields', true);
  // meta.node_types / meta.edge_types run parallel to the field lists; the entry for `type` lists the type names.
  const nodeTypes = typeNames(Array.isArray(meta.node_types) ? meta.node_types[nType] : undefined, 'meta.node_types');
  const edgeTypes = typeNames(Array.isArray(meta.edge_types) ? meta.edge_types[edgeTypeIdx] : undefined, 'meta.edge_types');
  const locationFields = isStringArray(meta.location_fields) ? meta.location_fields : ['object_index', 'script_id', 'line', 'column'];
  const hasDetachedness = nodeFields.includes('detachedness');
  const file: FileFields = {
    nodeFields,
    edgeFields,
    nodeFieldCount: nodeFields.length,
    edgeFieldCount: edgeFields.length,
    nType,
    nName: fieldIndex(nodeFields, 'name', 'meta.node_fields', true),
    nId: fieldIndex(nodeFields, 'id', 'meta.node_fields', true),
    nSelfSize: fieldIndex(nodeFields, 'self_size', 'meta.node_fields', true),
    nEdgeCount: fieldIndex(nodeFields, 'edge_count', 'meta.node_fields', true),
    nTraceNodeId: fieldIndex(nodeFields, 'trace_node_id', 'meta.node_fields', false),
    eType: edgeTypeIdx,
    eNameOrIndex: fieldIndex(edgeFields, 'name_or_index', 'meta.edge_fields', true),
    eToNode: fieldIndex(edgeFields, 'to_node', 'meta.edge_fields', true),
  };
  // trace ids are kept when there are traces to read them with (V8 writes trace_function_count 0 without tracking)
  const keepTraces = file.nTraceNodeId >= 0 && h.trace_function_count !== 0;
  const layout: Layout = {
    file,
    nodeFieldCount: keepTraces ? 5 : 4,
    edgeFieldCount: 2,
    nType: 0,
    nName: 1,
    nId: 2,
    nSelfSize: 3,
    nTraceNodeId: keepTraces ? 4 : -1,
    eNameOrIndex: 0,
    eToNode: 1,
    nodeTypes,
    edgeTypes,
    locationFieldCount: locationFields.length,
    lObjectIndex: fieldIndex(locationFields, 'object_index', 'meta.location_fields', true),
    lScriptId: fieldIndex(locationFields, 'script_id', 'meta.location_fields', true),
    lLine: fieldIndex(locationFields, 'line', 'meta.location_fields', true),
    lColumn: fieldIndex(locationFields, 'column', 'meta.location_fields', true),
    description: `${nodeFields.length} node fields${hasDetachedness ? ' (with detachedness)' : ''}, ${edgeFields.length} edge fields`,
  };
  // edge types are kept one byte each
  if (edgeTypes.length > 256)
    throw new SnapshotFormatError(`unknown snapshot layout: ${edgeTypes.length} edge types (at most 256 are read)`);
  for (const t of ['hidden', 'object', 'closure', 'string', 'synthetic']) {
    if (!nodeTypes.includes(t)) throw new SnapshotFormatError(`unknown snapshot layout: node type '${t}' missing from meta.node_types`);
  }
  for (const t of ['element', 'property', 'internal', 'hidden', 'weak']) {
    if (!edgeTypes.includes(t)) throw new SnapshotFormatError(`unknown snapshot layout: edge type '${t}' missing from meta.edge_types`);
  }
  return layout;
}

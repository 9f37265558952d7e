/**
 * A tiny heap snapshot builder: nodes and typed edges in, raw `.heapsnapshot` JSON text out, in any of the layouts
 * V8 has written (with or without `detachedness`) or a reordered one with an extra field, to prove that offsets
 * come from meta.
 */
export interface BuilderNode {
  type: string;
  name: string;
  self: number;
  id?: number;
}

export interface BuilderEdge {
  from: number;
  type: 'context' | 'element' | 'property' | 'internal' | 'hidden' | 'shortcut' | 'weak';
  name: string | number;
  to: number;
}

export type BuilderLayout = 'node20' | 'node16-no-detachedness' | 'reordered-extra';

const NODE_TYPES = [
  'hidden',
  'array',
  'string',
  'object',
  'code',
  'closure',
  'regexp',
  'number',
  'native',
  'synthetic',
  'concatenated string',
  'sliced string',
  'symbol',
  'bigint',
  'object shape',
];
const EDGE_TYPES = ['context', 'element', 'property', 'internal', 'hidden', 'shortcut', 'weak'];

const NODE_FIELDS: Record<BuilderLayout, string[]> = {
  node20: ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id', 'detachedness'],
  'node16-no-detachedness': ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id'],
  'reordered-extra': ['id', 'flags', 'self_size', 'name', 'type', 'edge_count'],
};
const EDGE_FIELDS: Record<BuilderLayout, string[]> = {
  node20: ['type', 'name_or_index', 'to_node'],
  'node16-no-detachedness': ['type', 'name_or_index', 'to_node'],
  'reordered-extra': ['to_node', 'weight', 'type', 'name_or_index'],
};

export interface BuiltSnapshot {
  text: string;
  nodeFields: string[];
  edgeFields: string[];
}

export function buildSnapshot(
  nodes: BuilderNode[],
  edges: BuilderEdge[],
  options: { layout?: BuilderLayout; locations?: Array<[node: number, scriptId: number, line: number, column: number]> } = {},
): BuiltSnapshot {
  const layout = options.layout ?? 'node20';
  const nodeFields = NODE_FIELDS[layout];
  const edgeFields = EDGE_FIELDS[layout];
  const strings: string[] = [];
  const stringIndex = new Map<string, number>();
  const str = (s: string) => {
    let i = stringIndex.get(s);
    if (i === undefined) {
      i = strings.length;
      strings.push(s);
      stringIndex.set(s, i);
    }
    return i;
  };
  const sorted = edges
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.from - b.e.from || a.i - b.i)
    .map((x) => x.e);
  const edgeCount = new Array(nodes.length).fill(0);
  for (const e of sorted) edgeCount[e.from]++;
  const nf = nodeFields.length;
  const nodeNumbers: number[] = [];
  nodes.forEach((n, i) => {
    const values: Record<string, number> = {
      type: NODE_TYPES.indexOf(n.type),
      name: str(n.name),
      id: n.id ?? i * 2 + 1,
      self_size: n.self,
      edge_count: edgeCount[i],
      trace_node_id: 0,
      detachedness: 0,
      flags: 7,
    };
    if (values.type < 0) throw new Error(`unknown node type ${n.type}`);
    for (const f of nodeFields) nodeNumbers.push(values[f]);
  });
  const edgeNumbers: number[] = [];
  for (const e of sorted) {
    const t = EDGE_TYPES.indexOf(e.type);
    const values: Record<string, number> = {
      type: t,
      name_or_index: e.type === 'element' || e.type === 'hidden' ? Number(e.name) : str(String(e.name)),
      to_node: e.to * nf,
      weight: 1,
    };
    for (const f of edgeFields) edgeNumbers.push(values[f]);
  }
  const locations: number[] = [];
  for (const [node, scriptId, line, column] of options.locations ?? []) locations.push(node * nf, scriptId, line, column);
  const typesFor = (fields: string[], types: string[]) =>
    fields.map((f) => (f === 'type' ? types : f === 'name' || f === 'name_or_index' ? 'string' : 'number'));
  const header = {
    meta: {
      node_fields: nodeFields,
      node_types: typesFor(nodeFields, NODE_TYPES),
      edge_fields: edgeFields,
      edge_types: typesFor(edgeFields, EDGE_TYPES),
      trace_function_info_fields: ['function_id', 'name', 'script_name', 'script_id', 'line', 'column'],
      trace_node_fields: ['id', 'function_info_index', 'count', 'size', 'children'],
      sample_fields: ['timestamp_us', 'last_assigned_id'],
      location_fields: ['object_index', 'script_id', 'line', 'column'],
    },
    node_count: nodes.length,
    edge_count: sorted.length,
    trace_function_count: 0,
  };
  const text =
    `{"snapshot":${JSON.stringify(header)},\n"nodes":[${nodeNumbers.join(',')}],\n"edges":[${edgeNumbers.join(',')}],\n` +
    `"trace_function_infos":[],\n"trace_tree":[],\n"samples":[],\n"locations":[${locations.join(',')}],\n"strings":${JSON.stringify(strings)}}`;
  return { text, nodeFields, edgeFields };
}

/** A root node the way V8 writes it: ordinal 0, synthetic, empty name. */
export function root(): BuilderNode {
  return { type: 'synthetic', name: '', self: 0 };
}

/**
 * The checks every later pass relies on, and the forward index: one linear pass over the nodes (types, edge counts
 * -> firstEdge) and one over the edges (types, `to_node` -> node ordinal in place). Run by HeapSnapshot on one
 * thread, or by the parse workers (parallel.ts) on the section each one read; the string-index checks need the
 * strings count, which comes last in the file, so the passes return the largest string index they saw and the
 * caller checks it (and looks for the first offender only when it is out of range).
 */
import { SnapshotFormatError } from '../../errors.js';
import type { Layout } from './layout.js';

export interface NodesChecked {
  /** the sum of the nodes' edge counts (must equal meta's edge_count) */
  edgeSum: number;
  /** the largest string index a node's name uses */
  maxName: number;
}

/** Checks node types, fills firstEdge (nodeCount + 1 entries) from the edge counts. */
export function indexNodes(nodes: Uint32Array, layout: Layout, firstEdge: Uint32Array): NodesChecked {
  const nf = layout.nodeFieldCount;
  const nodeCount = nodes.length / nf;
  const nTypes = layout.nodeTypes.length;
  const oType = layout.nType;
  const oName = layout.nName;
  const oEdges = layout.nEdgeCount;
  let e = 0;
  let maxName = 0;
  for (let n = 0, p = 0; n < nodeCount; n++, p += nf) {
    firstEdge[n] = e;
    if (nodes[p + oType] >= nTypes) throw new SnapshotFormatError(`node #${n} has type ${nodes[p + oType]}, but meta lists ${nTypes} node types`);
    const name = nodes[p + oName];
    if (name > maxName) maxName = name;
    e += nodes[p + oEdges];
  }
  firstEdge[nodeCount] = e;
  return { edgeSum: e, maxName };
}

/** Throws for the first node whose name is not a string index (call when maxName >= nStrings). */
export function checkNodeNames(nodes: Uint32Array, layout: Layout, nStrings: number): void {
  const nf = layout.nodeFieldCount;
  for (let n = 0, p = layout.nName; p < nodes.length; n++, p += nf) {
    if (nodes[p] >= nStrings) throw new SnapshotFormatError(`node #${n} names string ${nodes[p]}, but there are ${nStrings} strings`);
  }
}

/** Checks edge types and targets, turns `to_node` offsets into node ordinals; returns the largest name index. */
export function indexEdges(edges: Uint32Array, layout: Layout, nodeCount: number): number {
  const ef = layout.edgeFieldCount;
  const nf = layout.nodeFieldCount;
  const edgeCount = edges.length / ef;
  const eTypes = layout.edgeTypes.length;
  const oType = layout.eType;
  const oName = layout.eNameOrIndex;
  const oTo = layout.eToNode;
  // element and hidden edges carry an index, not a name
  const element = layout.edgeTypes.indexOf('element');
  const hidden = layout.edgeTypes.indexOf('hidden');
  const nodesLen = nodeCount * nf;
  let maxName = 0;
  for (let i = 0, p = 0; i < edgeCount; i++, p += ef) {
    const t = edges[p + oType];
    if (t >= eTypes) throw new SnapshotFormatError(`edge #${i} has type ${t}, but meta lists ${eTypes} edge types`);
    if (t !== element && t !== hidden && edges[p + oName] > maxName) maxName = edges[p + oName];
    const to = edges[p + oTo];
    if (to >= nodesLen || to % nf !== 0) {
      throw new SnapshotFormatError(`edge #${i} points outside the node array (to_node ${to}, ${nodeCount} nodes of ${nf} fields)`);
    }
    edges[p + oTo] = to / nf;
  }
  return maxName;
}

/** Throws for the first named edge whose name is not a string index (call when the largest >= nStrings). */
export function checkEdgeNames(edges: Uint32Array, layout: Layout, nStrings: number): void {
  const ef = layout.edgeFieldCount;
  const element = layout.edgeTypes.indexOf('element');
  const hidden = layout.edgeTypes.indexOf('hidden');
  for (let i = 0, p = 0; p < edges.length; i++, p += ef) {
    const t = edges[p + layout.eType];
    if (t !== element && t !== hidden && edges[p + layout.eNameOrIndex] >= nStrings) {
      throw new SnapshotFormatError(`edge #${i} names string ${edges[p + layout.eNameOrIndex]}, but there are ${nStrings} strings`);
    }
  }
}

/** The checks that need the whole file: edge counts against meta, string indices against the strings count. */
export function checkTotals(nodes: Uint32Array, edges: Uint32Array, layout: Layout, nStrings: number, checked: { nodes: NodesChecked; edgeMaxName: number }): void {
  const edgeCount = edges.length / layout.edgeFieldCount;
  if (checked.nodes.maxName >= nStrings) checkNodeNames(nodes, layout, nStrings);
  if (checked.nodes.edgeSum !== edgeCount) {
    throw new SnapshotFormatError(`the nodes' edge counts add up to ${checked.nodes.edgeSum}, but meta's edge_count is ${edgeCount}`);
  }
  if (checked.edgeMaxName >= nStrings) checkEdgeNames(edges, layout, nStrings);
}

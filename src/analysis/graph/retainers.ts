/**
 * Retainers: the reverse CSR of the edge list, built by counting (two linear passes, no per-node arrays).
 * The retainers of node n are retainingNodes/retainingEdges[firstRetainer[n] .. firstRetainer[n+1]-1].
 * Every edge is listed, weak ones too; callers apply EdgeRule.
 */
import type { HeapSnapshot } from '../heap/snapshot.js';

export interface Retainers {
  firstRetainer: Uint32Array;
  retainingNodes: Uint32Array;
  retainingEdges: Uint32Array;
}

export function buildRetainers(snap: HeapSnapshot): Retainers {
  const { nodeCount, edgeCount, edges, firstEdge, edgeFieldCount: ef } = snap;
  const oTo = snap.layout.eToNode;
  const firstRetainer = new Uint32Array(nodeCount + 1);
  for (let p = oTo, end = edgeCount * ef; p < end; p += ef) firstRetainer[edges[p]]++;
  // exclusive prefix sum; firstRetainer[n] becomes the write cursor, then the start
  let sum = 0;
  for (let n = 0; n < nodeCount; n++) {
    const c = firstRetainer[n];
    firstRetainer[n] = sum;
    sum += c;
  }
  firstRetainer[nodeCount] = sum;
  const retainingNodes = new Uint32Array(edgeCount);
  const retainingEdges = new Uint32Array(edgeCount);
  for (let n = 0; n < nodeCount; n++) {
    for (let e = firstEdge[n], end = firstEdge[n + 1]; e < end; e++) {
      const to = edges[e * ef + oTo];
      const slot = firstRetainer[to]++;
      retainingNodes[slot] = n;
      retainingEdges[slot] = e;
    }
  }
  // the cursors now sit at the next node's start: shift back
  for (let n = nodeCount; n > 0; n--) firstRetainer[n] = firstRetainer[n - 1];
  firstRetainer[0] = 0;
  return { firstRetainer, retainingNodes, retainingEdges };
}

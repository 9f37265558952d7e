/**
 * Retainers: the reverse CSR of the retaining edges (EssentialEdges), built by counting — two linear passes over
 * the edges, no per-node arrays. The retainers of node n are retainingNodes/retainingEdges[firstRetainer[n] ..
 * firstRetainer[n+1]-1]. Edges that do not retain (weak, shortcuts off the root, WeakMap table -> value) are left
 * out here, so no consumer (dominators, paths, detectors) has to test them again.
 */
import type { HeapSnapshot } from '../heap/snapshot.js';
import type { EssentialEdges } from './essential.js';

export interface Retainers {
  firstRetainer: Uint32Array;
  retainingNodes: Uint32Array;
  retainingEdges: Uint32Array;
}

export function buildRetainers(snap: HeapSnapshot, essential: EssentialEdges): Retainers {
  const { nodeCount, edges, firstEdge, edgeFieldCount: ef } = snap;
  const oTo = snap.layout.eToNode;
  const bits = essential.bits;
  // pass 1: how many retainers each node has
  const firstRetainer = new Uint32Array(nodeCount + 1);
  for (let n = 0; n < nodeCount; n++) {
    for (let e = firstEdge[n], end = firstEdge[n + 1]; e < end; e++) {
      if ((bits[e >>> 5] & (1 << (e & 31))) !== 0) firstRetainer[edges[e * ef + oTo]]++;
    }
  }
  // exclusive prefix sum; firstRetainer[n] becomes the write cursor, then the start
  let sum = 0;
  for (let n = 0; n < nodeCount; n++) {
    const c = firstRetainer[n];
    firstRetainer[n] = sum;
    sum += c;
  }
  firstRetainer[nodeCount] = sum;
  const retainingNodes = new Uint32Array(sum);
  const retainingEdges = new Uint32Array(sum);
  for (let n = 0; n < nodeCount; n++) {
    for (let e = firstEdge[n], end = firstEdge[n + 1]; e < end; e++) {
      if ((bits[e >>> 5] & (1 << (e & 31))) === 0) continue;
      const slot = firstRetainer[edges[e * ef + oTo]]++;
      retainingNodes[slot] = n;
      retainingEdges[slot] = e;
    }
  }
  // the cursors now sit at the next node's start: shift back
  for (let n = nodeCount; n > 0; n--) firstRetainer[n] = firstRetainer[n - 1];
  firstRetainer[0] = 0;
  return { firstRetainer, retainingNodes, retainingEdges };
}

/**
 * Retainers: the reverse CSR of the retaining edges (EssentialEdges), built by counting — two linear passes over
 * the edges, no per-node arrays. The retainers of node n are retainingNodes[firstRetainer[n] .. firstRetainer[n+1]-1].
 * Edges that do not retain (weak, shortcuts off the root, WeakMap table -> value) are left out here, so no consumer
 * (dominators, paths, detectors) has to test them again.
 *
 * Only the retaining node is stored, not the edge (that would be a second array the size of the edges): within a
 * node's range the retainers come in ascending order, one entry per retaining edge, so the k-th entry of `from`
 * is from's k-th retaining edge to n, found again by scanning from's edges (`edge`) — done for the few nodes a
 * path or a finding describes, never in a pass over the graph.
 */
import type { HeapSnapshot } from '../heap/snapshot.js';
import type { EssentialEdges } from './essential.js';

export class Retainers {
  constructor(
    private readonly snap: HeapSnapshot,
    private readonly essential: EssentialEdges,
    readonly firstRetainer: Uint32Array,
    readonly retainingNodes: Uint32Array,
  ) {}

  /** The edge of retainer entry r (firstRetainer[n] <= r < firstRetainer[n + 1]) of node n. */
  edge(n: number, r: number): number {
    const { firstRetainer, retainingNodes } = this;
    const from = retainingNodes[r];
    let k = 0;
    while (r - k - 1 >= firstRetainer[n] && retainingNodes[r - k - 1] === from) k++;
    const { edges, firstEdge, edgeFieldCount: ef } = this.snap;
    const oTo = this.snap.layout.eToNode;
    const bits = this.essential.bits;
    for (let e = firstEdge[from], end = firstEdge[from + 1]; e < end; e++) {
      if (edges[e * ef + oTo] !== n || (bits[e >>> 5] & (1 << (e & 31))) === 0) continue;
      if (k === 0) return e;
      k--;
    }
    throw new Error(`retainer entry ${r} of node ${n}: node ${from} has no such retaining edge`);
  }
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
  for (let n = 0; n < nodeCount; n++) {
    for (let e = firstEdge[n], end = firstEdge[n + 1]; e < end; e++) {
      if ((bits[e >>> 5] & (1 << (e & 31))) === 0) continue;
      retainingNodes[firstRetainer[edges[e * ef + oTo]]++] = n;
    }
  }
  // the cursors now sit at the next node's start: shift back
  for (let n = nodeCount; n > 0; n--) firstRetainer[n] = firstRetainer[n - 1];
  firstRetainer[0] = 0;
  return new Retainers(snap, essential, firstRetainer, retainingNodes);
}

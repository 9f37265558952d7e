/**
 * Distance of every node from the root, in retaining edges (BFS; EdgeRule decides which edges count).
 * Unreachable nodes get NO_DISTANCE.
 */
import type { HeapSnapshot } from '../heap/snapshot.js';
import type { EdgeRule } from './essential.js';

export const NO_DISTANCE = 0xffffffff;

export function computeDistances(snap: HeapSnapshot, rule: EdgeRule): Uint32Array {
  const { nodeCount, edges, firstEdge, edgeFieldCount: ef } = snap;
  const oTo = snap.layout.eToNode;
  const distance = new Uint32Array(nodeCount).fill(NO_DISTANCE);
  const queue = new Uint32Array(nodeCount);
  let head = 0;
  let tail = 0;
  distance[snap.rootIndex] = 0;
  queue[tail++] = snap.rootIndex;
  while (head < tail) {
    const n = queue[head++];
    const d = distance[n] + 1;
    for (let e = firstEdge[n], end = firstEdge[n + 1]; e < end; e++) {
      const t = edges[e * ef + oTo];
      if (distance[t] !== NO_DISTANCE) continue;
      if (!rule.isEssential(n, e)) continue;
      distance[t] = d;
      queue[tail++] = t;
    }
  }
  return distance;
}

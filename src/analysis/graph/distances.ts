/**
 * Distance of every node from the root, in retaining edges (BFS over the retaining edges: EssentialEdges).
 * Unreachable nodes get NO_DISTANCE.
 */
import type { HeapSnapshot } from '../heap/snapshot.js';
import type { EssentialEdges } from './essential.js';

export const NO_DISTANCE = 0xffffffff;

export function computeDistances(snap: HeapSnapshot, essential: EssentialEdges): Uint32Array {
  const { nodeCount, edges, firstEdge, edgeFieldCount: ef } = snap;
  const oTo = snap.layout.eToNode;
  const distance = new Uint32Array(nodeCount).fill(NO_DISTANCE);
  const queue = new Uint32Array(nodeCount + 1);
  // Objects that a running function holds in a register are reachable from (Stack roots) in two steps, which would
  // make "held by the stack" their shortest path even when a module or object holds them for good. The stack roots
  // are expanded last: a path through them is taken only for what nothing else holds.
  const deferred = snap.v8.stackRoots();
  const bits = essential.bits;
  let head = 0;
  let tail = 0;
  distance[snap.rootIndex] = 0;
  queue[tail++] = snap.rootIndex;
  let deferredDone = deferred < 0;
  for (;;) {
    while (head < tail) {
      const n = queue[head++];
      if (n === deferred && !deferredDone) continue; // expanded after everything else
      const d = distance[n] + 1;
      for (let e = firstEdge[n], end = firstEdge[n + 1]; e < end; e++) {
        const t = edges[e * ef + oTo];
        if (distance[t] !== NO_DISTANCE) continue;
        if ((bits[e >>> 5] & (1 << (e & 31))) === 0) continue;
        distance[t] = d;
        queue[tail++] = t;
      }
    }
    if (deferredDone || distance[deferred] === NO_DISTANCE) break;
    deferredDone = true;
    queue[tail++] = deferred; // its second turn: the queue has one slot more than there are nodes
    head = tail - 1;
  }
  return distance;
}

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
  const queue = new Uint32Array(nodeCount + 1);
  // Objects that a running function holds in a register are reachable from (Stack roots) in two steps, which would
  // make "held by the stack" their shortest path even when a module or object holds them for good. The stack roots
  // are expanded last: a path through them is taken only for what nothing else holds.
  let deferred = -1;
  for (let e = firstEdge[snap.rootIndex], end = firstEdge[snap.rootIndex + 1]; e < end && deferred < 0; e++) {
    const gcRoots = edges[e * ef + oTo];
    for (let f = firstEdge[gcRoots], fend = firstEdge[gcRoots + 1]; f < fend; f++) {
      const t = edges[f * ef + oTo];
      if (snap.nodeType(t) === snap.typeSynthetic && snap.nodeName(t) === '(Stack roots)') {
        deferred = t;
        break;
      }
    }
  }
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
        if (!rule.isEssential(n, e)) continue;
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

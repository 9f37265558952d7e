/**
 * Node id -> ordinal lookup without a Map of tens of millions of keys: ids sorted in a Uint32Array (sortPairs: LSD
 * radix sort, two 16-bit passes) beside their ordinals, and a binary search.
 */
import type { HeapSnapshot } from '../heap/snapshot.js';
import { sortPairs } from '../heap/sort.js';

export class IdIndex {
  readonly sortedIds: Uint32Array;
  readonly ordinals: Uint32Array;

  constructor(snap: HeapSnapshot) {
    const n = snap.nodeCount;
    const { nodes, nodeFieldCount: nf } = snap;
    const oId = snap.layout.nId;
    const ids = new Uint32Array(n);
    const ords = new Uint32Array(n);
    let sorted = true;
    for (let i = 0, p = oId; i < n; i++, p += nf) {
      ids[i] = nodes[p];
      ords[i] = i;
      if (i > 0 && ids[i] < ids[i - 1]) sorted = false;
    }
    if (!sorted) sortPairs(ids, ords);
    this.sortedIds = ids;
    this.ordinals = ords;
  }

  /** The ordinal of the node with this id, or -1. */
  ordinalOf(id: number): number {
    const ids = this.sortedIds;
    let lo = 0;
    let hi = ids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = ids[mid];
      if (v < id) lo = mid + 1;
      else if (v > id) hi = mid - 1;
      else return this.ordinals[mid];
    }
    return -1;
  }

  has(id: number): boolean {
    return this.ordinalOf(id) >= 0;
  }
}

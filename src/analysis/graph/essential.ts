/**
 * The one rule for "does this edge keep its target alive?", evaluated once per edge into a bit vector that
 * retainers, dominators and distances share (DevTools computes "essential" once per edge and keeps it too):
 *
 * - weak edges do not retain;
 * - shortcut edges retain only from the root (V8 uses root shortcuts to mark user roots; elsewhere they duplicate
 *   a real path);
 * - a WeakMap's backing table does not retain its values: V8 writes an internal ephemeron edge from both the key and
 *   the table to the value (v8.ts: ephemeronTableId); only the key's edge is real (the value lives while the key
 *   does).
 *
 * One bit per edge: an eighth of a byte array's memory on a 100-million-edge heap.
 */
import type { HeapSnapshot } from '../heap/snapshot.js';
import { ephemeronTableId } from '../heap/v8.js';

export class EssentialEdges {
  /** bit e set: edge e retains its target */
  readonly bits: Uint32Array;
  /** how many edges retain */
  readonly count: number;

  constructor(snap: HeapSnapshot) {
    const { nodeCount, edgeCount, edges, edgeTypeOf, firstEdge, edgeFieldCount: ef, nodes, nodeFieldCount: nf } = snap;
    const oName = snap.layout.eNameOrIndex;
    const oId = snap.layout.nId;
    const weak = snap.edgeWeak;
    const shortcut = snap.edgeShortcut;
    const internal = snap.edgeInternal;
    const root = snap.rootIndex;
    // string index -> id of the WeakMap table an ephemeron edge name mentions (0: not such a name); null if none
    let tableOf: Uint32Array | null = null;
    const strings = snap.strings;
    for (let i = 0; i < strings.length; i++) {
      const id = ephemeronTableId(strings[i]);
      if (id !== 0) {
        tableOf ??= new Uint32Array(strings.length);
        tableOf[i] = id;
      }
    }
    const bits = new Uint32Array((edgeCount + 31) >>> 5);
    let count = 0;
    for (let n = 0; n < nodeCount; n++) {
      for (let e = firstEdge[n], end = firstEdge[n + 1]; e < end; e++) {
        const t = edgeTypeOf[e];
        if (t === weak || (t === shortcut && n !== root)) continue;
        if (tableOf !== null && t === internal) {
          const tableId = tableOf[edges[e * ef + oName]];
          if (tableId !== 0 && tableId === nodes[n * nf + oId]) continue;
        }
        bits[e >>> 5] |= 1 << (e & 31);
        count++;
      }
    }
    this.bits = bits;
    this.count = count;
  }

  /** Does edge `e` keep its target alive? */
  has(e: number): boolean {
    return (this.bits[e >>> 5] & (1 << (e & 31))) !== 0;
  }
}

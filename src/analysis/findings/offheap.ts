/**
 * Memory outside the JS heap, in a snapshot: an ArrayBuffer's bytes (a Buffer's, a typed array's) live in a
 * backing store that V8 writes as a native node (`system / JSArrayBufferData`, self size = byte length) under the
 * ArrayBuffer. They are part of the retained sizes like any node; this module says how much of what a finding holds
 * they are, and whether they are whole Buffer-pool blocks that a smaller Buffer sliced from them keeps alive.
 *
 * Which backing stores a holder keeps: those whose dominator chain passes through it (walked upward from each
 * backing store, memoised per call, so the cost is the union of those chains, never the whole graph).
 */
import type { HeapGraph } from '../graph/heap-graph.js';
import { NAMES } from '../heap/v8.js';
import { formatCount, formatSize } from '../../common/format.js';

export interface OffHeap {
  /** bytes of ArrayBuffer backing stores (outside the JS heap) among what the finding counts */
  bytes: number;
  /** how many backing stores */
  stores: number;
  /** of those, blocks the size of the process's Buffer pool (Buffer.poolSize): a pooled Buffer keeps its whole block */
  poolBlocks: number;
  poolBytes: number;
  /** the pool's block size in this process (bytes), 0 when the snapshot does not show it */
  blockSize: number;
}

const EMPTY: OffHeap = { bytes: 0, stores: 0, poolBlocks: 0, poolBytes: 0, blockSize: 0 };

/** Every ArrayBuffer backing store of the snapshot (ordinals), found once per graph. */
const storesOf = new WeakMap<HeapGraph, Uint32Array>();
function backingStores(graph: HeapGraph): Uint32Array {
  let s = storesOf.get(graph);
  if (!s) {
    const snap = graph.snap;
    const out: number[] = [];
    const name = snap.v8.id(NAMES.arrayBufferData);
    if (name >= 0) for (let n = 0; n < snap.nodeCount; n++) if (snap.nodeNameIndex(n) === name && snap.v8.isArrayBufferData(n)) out.push(n);
    s = Uint32Array.from(out);
    storesOf.set(graph, s);
  }
  return s;
}

/** All ArrayBuffer backing stores of the snapshot: bytes and count (what `external` and `arrayBuffers` mostly are). */
export function offHeapTotal(graph: HeapGraph): { bytes: number; stores: number } {
  const stores = backingStores(graph);
  let bytes = 0;
  for (const b of stores) bytes += graph.snap.selfSize(b);
  return { bytes, stores: stores.length };
}

/**
 * The off-heap bytes each of `holders` keeps alive (every backing store it dominates; with `only`, just the
 * backing stores marked 1 there — the new objects a holder group counts). A holder nested in another counts for both.
 */
export function offHeapUnder(graph: HeapGraph, holders: number[], only?: Uint8Array): Map<number, OffHeap> {
  const out = new Map<number, OffHeap>();
  if (holders.length === 0) return out;
  const snap = graph.snap;
  const { idom } = graph.dominators;
  const root = snap.rootIndex;
  const stores = backingStores(graph);
  const blockSize = snap.v8.bufferPoolBlockSize();
  const currentPool = snap.v8.bufferPoolStore();
  const isHolder = new Set(holders);
  for (const h of holders) out.set(h, { ...EMPTY, blockSize });
  // nearest holder at or above a node (-1: none), memoised over the chains walked
  const nearest = new Map<number, number>();
  const nearestAbove = (start: number): number => {
    const path: number[] = [];
    let a = start;
    let found = -1;
    for (;;) {
      if (isHolder.has(a)) {
        found = a;
        break;
      }
      const known = nearest.get(a);
      if (known !== undefined) {
        found = known;
        break;
      }
      if (a === root) break;
      path.push(a);
      a = idom[a];
    }
    for (const p of path) nearest.set(p, found);
    return found;
  };
  // a holder inside another holder's subtree adds to it too
  const outer = new Map<number, number>(holders.map((h) => [h, h === root ? -1 : nearestAbove(idom[h])]));
  for (const b of stores) {
    if (only && only[b] !== 1) continue;
    const size = snap.selfSize(b);
    const pooled = blockSize > 0 && size === blockSize && b !== currentPool;
    for (let h = nearestAbove(b); h >= 0; h = outer.get(h) ?? -1) {
      const o = out.get(h) as OffHeap;
      o.bytes += size;
      o.stores++;
      if (pooled) {
        o.poolBlocks++;
        o.poolBytes += size;
      }
    }
  }
  return out;
}

/** One holder's off-heap bytes (see offHeapUnder). */
export function offHeapOf(graph: HeapGraph, holder: number, only?: Uint8Array): OffHeap {
  return offHeapUnder(graph, [holder], only).get(holder) ?? EMPTY;
}

/** Worth saying: at least a tenth of the bytes, and 64 kB. */
export function offHeapMatters(o: OffHeap | null | undefined, total: number): boolean {
  return !!o && o.bytes >= 64e3 && o.bytes >= 0.1 * total;
}

/** ", of which 9.4 MB in Buffers outside the JS heap (240 ArrayBuffers)", or '' when it does not matter. */
export function offHeapClause(o: OffHeap | null | undefined, total: number): string {
  if (!o || !offHeapMatters(o, total)) return '';
  return `, of which ${formatSize(o.bytes)} in Buffers outside the JS heap (${formatCount(o.stores)} ArrayBuffer${o.stores === 1 ? '' : 's'})`;
}

/** The pool-slice explanation, or '' when no pool block is kept whole. */
export function poolClause(o: OffHeap | null | undefined): string {
  if (!o || o.poolBlocks === 0 || o.blockSize === 0) return '';
  const are = o.poolBlocks === 1 ? 'is a whole' : 'are whole';
  return `; ${formatCount(o.poolBlocks)} of those ${are} ${formatSize(o.blockSize)} Buffer-pool block${o.poolBlocks === 1 ? '' : 's'} (${formatSize(o.poolBytes)}): a small Buffer sliced from the pool (Buffer.allocUnsafe, Buffer.concat, Buffer.from of a string) keeps its whole block alive — copy what you keep into memory of its own (Buffer.alloc(n), or Buffer.allocUnsafeSlow(n) and buf.copy) before you store it`;
}

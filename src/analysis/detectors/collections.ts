/**
 * Growing collections: a Map, Set, Array or plain object used as a dictionary whose entry count (real entries,
 * not hash-table capacity) rises at every snapshot.
 */
import type { HeapSnapshot } from '../heap/snapshot.js';
import { NAMES, TABLE_STRIDE } from '../heap/v8.js';
import { describeNode, entryClass } from '../describe.js';
import { formatSize, where } from '../../format.js';
import { hintFor } from '../findings.js';
import { offHeapClause, offHeapMatters, offHeapOf, poolClause } from '../offheap.js';
import { growthFinding, type Detector, type DetectorFinding, type JudgeContext } from './types.js';

const MIN_ENTRIES = 8;
/** plain objects count as dictionaries only from this many properties on */
const MIN_DICTIONARY_PROPERTIES = 32;

export interface CollectionSample {
  /** ascending ids of the collections with at least MIN_ENTRIES entries */
  ids: Uint32Array;
  entries: Uint32Array;
  /** self size of the entries' keys and values (one level deep) */
  bytes: Float64Array;
}

/** Entries of a Map's or Set's OrderedHashTable from the table's index-named edges (keys/values that are objects). */
function tableEntries(snap: HeapSnapshot, table: number, stride: number): number {
  // entries are `stride` slots wide (Map: key, value, chain; Set: key, chain); whichever of key / value is an
  // object has an edge named by its slot index. The alignment that packs the edges into the fewest entries is the
  // real one.
  let best = Number.POSITIVE_INFINITY;
  for (let a = 0; a < stride; a++) {
    let distinct = 0;
    let lastSlot = -1;
    for (let e = snap.firstEdge[table], end = snap.firstEdge[table + 1]; e < end; e++) {
      const name = snap.edgeName(e);
      if (snap.v8.isHiddenClassName(name) || snap.v8.isHole(snap.edgeTo(e))) continue;
      const idx = Number(name);
      if (!Number.isInteger(idx)) continue;
      const slot = Math.floor((idx + a) / stride);
      if (slot !== lastSlot) {
        distinct++;
        lastSlot = slot;
      }
    }
    best = Math.min(best, distinct);
  }
  return best === Number.POSITIVE_INFINITY ? 0 : best;
}

function collect(snap: HeapSnapshot): CollectionSample {
  const ids: number[] = [];
  const entries: number[] = [];
  const bytes: number[] = [];
  const v8 = snap.v8;
  const mapIdx = v8.id(NAMES.Map);
  const setIdx = v8.id(NAMES.Set);
  const arrayIdx = v8.id(NAMES.Array);
  const objectIdx = v8.id(NAMES.Object);
  const protoIdx = v8.id(NAMES.proto);
  const { nodes, nodeFieldCount: nf, nodeCount, edges, edgeTypeOf, edgeFieldCount: ef, firstEdge } = snap;
  const oType = snap.layout.nType;
  const oName = snap.layout.nName;
  const oEName = snap.layout.eNameOrIndex;
  const oTo = snap.layout.eToNode;
  const oSelf = snap.layout.nSelfSize;
  for (let n = 0; n < nodeCount; n++) {
    const p = n * nf;
    if (nodes[p + oType] !== snap.typeObject) continue;
    const name = nodes[p + oName];
    let count = 0;
    let size = 0;
    if (name === arrayIdx) {
      for (let e = firstEdge[n], end = firstEdge[n + 1]; e < end; e++) {
        if (edgeTypeOf[e] === snap.edgeElement) {
          count++;
          size += nodes[edges[e * ef + oTo] * nf + oSelf];
        }
      }
    } else if (name === mapIdx || name === setIdx) {
      const table = v8.collectionTable(n);
      if (table < 0) continue;
      count = tableEntries(snap, table, name === mapIdx ? TABLE_STRIDE.Map : TABLE_STRIDE.Set);
      if (count < MIN_ENTRIES) continue;
      for (let e = firstEdge[table], end = firstEdge[table + 1]; e < end; e++) {
        const to = edges[e * ef + oTo];
        if (!v8.isHole(to)) size += nodes[to * nf + oSelf];
      }
    } else if (name === objectIdx) {
      for (let e = firstEdge[n], end = firstEdge[n + 1]; e < end; e++) {
        if (edgeTypeOf[e] === snap.edgeProperty && edges[e * ef + oEName] !== protoIdx) {
          count++;
          size += nodes[edges[e * ef + oTo] * nf + oSelf];
        }
      }
      if (count < MIN_DICTIONARY_PROPERTIES) continue;
    } else {
      continue;
    }
    if (count < MIN_ENTRIES) continue;
    ids.push(nodes[p + snap.layout.nId]);
    entries.push(count);
    bytes.push(size);
  }
  const order = ids.map((_, i) => i).sort((a, b) => ids[a] - ids[b]);
  return {
    ids: Uint32Array.from(order, (i) => ids[i]),
    entries: Uint32Array.from(order, (i) => entries[i]),
    bytes: Float64Array.from(order, (i) => bytes[i]),
  };
}

function find(sample: CollectionSample, id: number): number {
  let lo = 0;
  let hi = sample.ids.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (sample.ids[mid] < id) lo = mid + 1;
    else if (sample.ids[mid] > id) hi = mid - 1;
    else return mid;
  }
  return -1;
}

function judge(samples: CollectionSample[], ctx: JudgeContext): DetectorFinding[] {
  const last = samples[samples.length - 1];
  const out: DetectorFinding[] = [];
  for (let k = 0; k < last.ids.length; k++) {
    const id = last.ids[k];
    const at = samples.map((s) => find(s, id));
    if (at.some((i) => i < 0)) continue; // not a collection of that size in every snapshot
    const countByStep = samples.map((s, i) => s.entries[at[i]]);
    if (countByStep[countByStep.length - 1] - countByStep[0] < ctx.minGrowth) continue;
    const n = ctx.last.ids.ordinalOf(id);
    if (n < 0) continue;
    const d = describeNode(ctx.last, n);
    if (!d) continue;
    const holderClass = d.className.startsWith('{') ? NAMES.Object : d.className;
    const offHeap = offHeapOf(ctx.last, n);
    const f = growthFinding(ctx, {
      kind: 'growing-collection',
      name: d.name,
      holderClass,
      itemClass: entryClass(ctx.last, n),
      pathOf: n,
      described: d,
      location: d.declaration,
      countByStep,
      bytesByStep: samples.map((s, i) => s.bytes[at[i]]),
      bytes: d.retained,
      offHeap: offHeapMatters(offHeap, d.retained) ? offHeap : null,
      hint: hintFor('growing-collection', holderClass, d.name),
      summary: `${d.name} (${holderClass})${where(d.declaration)}${d.heldBy ? ` held by ${d.heldBy}` : ''}: ${countByStep.join(' → ')} entries, retaining ${formatSize(d.retained)}${offHeapClause(offHeap, d.retained)}${poolClause(offHeap)}`,
    });
    if (f) out.push(f);
  }
  return out;
}

export const collectionsDetector: Detector<CollectionSample> = {
  id: 'growing-collection',
  kind: 'growing-collection',
  summary: 'Map, Set, Array or dictionary object whose entry count rises at every snapshot',
  collect,
  judge,
};

/**
 * Growing collections: a Map, Set, Array or plain object used as a dictionary whose entry count (real entries,
 * not hash-table capacity) rises at every snapshot.
 */
import type { HeapSnapshot } from '../heap/snapshot.js';
import { NAMES, TABLE_STRIDE } from '../heap/v8.js';
import { describeNode, entryClass, type NodeDescription } from '../places/describe.js';
import { keyText } from '../graph/paths.js';
import { formatCount, formatSize, shortLocation, where } from '../../common/format.js';
import { innerDeclaration } from '../places/source.js';
import { hintFor } from '../findings/findings.js';
import { offHeapClause, offHeapMatters, offHeapOf, poolClause } from '../findings/offheap.js';
import { growthFinding, type Detector, type DetectorFinding, type JudgeContext } from './types.js';

const MIN_ENTRIES = 8;
/** plain objects count as dictionaries only from this many properties on */
const MIN_DICTIONARY_PROPERTIES = 32;
/** a plain object counts as the holder of its collection-valued properties (shards) only from this many on: `{ users:
 * new Map(), orders: new Map() }` is two named holders, `caches[tenant] = new Map()` for 20 tenants is one */
const MIN_OBJECT_SHARDS = 8;
/** a sharded holder's inner collections must hold this much more each (on average) at the last snapshot */
const SHARD_GROWTH = 1.1;
/** how many shards a sharded finding names (the keys that grew most) */
const TOP_SHARDS = 3;

export interface CollectionSample {
  /** ascending ids of the collections with at least MIN_ENTRIES entries, or that hold collections with as many */
  ids: Uint32Array;
  entries: Uint32Array;
  /** self size of the entries' keys and values (one level deep) */
  bytes: Float64Array;
  /**
   * the entries of the collections its entries hold (a Map of Maps: every inner Map's entries; a Map of objects that
   * each keep a Map: those Maps' entries), each inner collection counted once — a sharded collection's real size
   */
  nested: Uint32Array;
  /** how many inner collections (shards) that is */
  shards: Uint32Array;
  /** self size of the inner collections' keys and values */
  nestedBytes: Float64Array;
}

/** What kind of container a node is (by its class), as this detector counts entries. */
const enum Shape {
  None = 0,
  Map = 1,
  Set = 2,
  Array = 3,
  Object = 4,
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

/**
 * Counts a collection's entries and walks its values, for every snapshot's sample and for the last snapshot's
 * shards. One per snapshot; results of `count` are left in fields (no object per node).
 */
export class CollectionReader {
  private readonly mapIdx: number;
  private readonly setIdx: number;
  private readonly arrayIdx: number;
  private readonly objectIdx: number;
  private readonly protoIdx: number;
  /** the last count()'s entries and the self size of their keys and values */
  entries = 0;
  bytes = 0;
  /** the last nestedOf()'s entries in inner collections, their number and bytes */
  nested = 0;
  shards = 0;
  nestedBytes = 0;

  constructor(private readonly snap: HeapSnapshot) {
    const v8 = snap.v8;
    this.mapIdx = v8.id(NAMES.Map);
    this.setIdx = v8.id(NAMES.Set);
    this.arrayIdx = v8.id(NAMES.Array);
    this.objectIdx = v8.id(NAMES.Object);
    this.protoIdx = v8.id(NAMES.proto);
  }

  shapeOf(n: number): Shape {
    const snap = this.snap;
    const p = n * snap.nodeFieldCount;
    if (snap.nodes[p + snap.layout.nType] !== snap.typeObject) return Shape.None;
    const name = snap.nodes[p + snap.layout.nName];
    if (name === this.mapIdx) return Shape.Map;
    if (name === this.setIdx) return Shape.Set;
    if (name === this.arrayIdx) return Shape.Array;
    if (name === this.objectIdx) return Shape.Object;
    return Shape.None;
  }

  /** Entries of a collection of this shape (into `entries` and `bytes`). */
  count(n: number, shape: Shape): void {
    const snap = this.snap;
    const { nodes, nodeFieldCount: nf, edges, edgeTypeOf, edgeFieldCount: ef, firstEdge } = snap;
    const oTo = snap.layout.eToNode;
    const oSelf = snap.layout.nSelfSize;
    const oEName = snap.layout.eNameOrIndex;
    let count = 0;
    let size = 0;
    if (shape === Shape.Array) {
      for (let e = firstEdge[n], end = firstEdge[n + 1]; e < end; e++) {
        if (edgeTypeOf[e] === snap.edgeElement) {
          count++;
          size += nodes[edges[e * ef + oTo] * nf + oSelf];
        }
      }
    } else if (shape === Shape.Map || shape === Shape.Set) {
      const table = snap.v8.collectionTable(n);
      if (table >= 0) {
        count = tableEntries(snap, table, shape === Shape.Map ? TABLE_STRIDE.Map : TABLE_STRIDE.Set);
        for (let e = firstEdge[table], end = firstEdge[table + 1]; e < end; e++) {
          const to = edges[e * ef + oTo];
          if (!snap.v8.isHole(to)) size += nodes[to * nf + oSelf];
        }
      }
    } else if (shape === Shape.Object) {
      for (let e = firstEdge[n], end = firstEdge[n + 1]; e < end; e++) {
        if (edgeTypeOf[e] === snap.edgeProperty && edges[e * ef + oEName] !== this.protoIdx) {
          count++;
          size += nodes[edges[e * ef + oTo] * nf + oSelf];
        }
      }
    }
    this.entries = count;
    this.bytes = size;
  }

  /**
   * Each value a collection holds, with the edge that holds it (a Map's values — not its keys, when the table's
   * layout tells them apart —, a Set's members, an array's elements, an object's properties).
   */
  eachValue(n: number, shape: Shape, visit: (value: number, edge: number, from: number) => void): void {
    const snap = this.snap;
    if (shape === Shape.Map || shape === Shape.Set) {
      const table = snap.v8.collectionTable(n);
      if (table < 0) return;
      const stride = shape === Shape.Map ? TABLE_STRIDE.Map : TABLE_STRIDE.Set;
      const start = snap.v8.tableEntriesStart(table, stride);
      // the value's slot in an entry: a Map's second, a Set's first (its key is its member)
      const valueSlot = shape === Shape.Map ? 1 : 0;
      for (let e = snap.firstEdge[table], end = snap.firstEdge[table + 1]; e < end; e++) {
        if (snap.edgeType(e) !== snap.edgeInternal && snap.edgeType(e) !== snap.edgeElement) continue;
        const idx = snap.edgeNameOrIndex(e);
        const name = snap.edgeName(e);
        if (snap.v8.isHiddenClassName(name)) continue;
        const slot = Number(name);
        if (!Number.isInteger(slot) && snap.edgeType(e) !== snap.edgeElement) continue;
        const at = snap.edgeType(e) === snap.edgeElement ? idx : slot;
        // without a known layout a Map's keys and values cannot be told apart: only collections count as values
        if (start >= 0 && (at < start || (at - start) % stride !== valueSlot)) continue;
        const to = snap.edgeTo(e);
        if (snap.v8.isHole(to)) continue;
        if (start < 0 && shape === Shape.Map && this.shapeOf(to) === Shape.None) continue;
        visit(to, e, table);
      }
      return;
    }
    const type = shape === Shape.Array ? snap.edgeElement : shape === Shape.Object ? snap.edgeProperty : -1;
    if (type < 0) return;
    for (let e = snap.firstEdge[n], end = snap.firstEdge[n + 1]; e < end; e++) {
      if (snap.edgeType(e) !== type) continue;
      if (shape === Shape.Object && snap.edgeNameOrIndex(e) === this.protoIdx) continue;
      visit(snap.edgeTo(e), e, n);
    }
  }

  /**
   * The collections a collection's values are or keep (its shards): a value that is a Map, Set or Array, or an
   * object's Map, Set or Array properties (`Map<tenant, { orders: Map }>`), each counted once. `visit` gets each
   * shard with the value edge that leads to it and, for a kept one, the property's edge.
   */
  eachShard(
    n: number,
    shape: Shape,
    visit: (shard: number, shardShape: Shape, valueEdge: number, from: number, property: number) => void,
  ): void {
    const snap = this.snap;
    const seen = new Set<number>();
    this.eachValue(n, shape, (v, valueEdge, from) => {
      const vs = this.shapeOf(v);
      if (vs === Shape.Map || vs === Shape.Set || vs === Shape.Array) {
        if (!seen.has(v)) {
          seen.add(v);
          visit(v, vs, valueEdge, from, -1);
        }
        return;
      }
      // an object that keeps collections of its own: the program's class or a plain object, never V8's
      if (snap.nodeType(v) !== snap.typeObject || snap.v8.isSystemObject(v)) return;
      for (let e = snap.firstEdge[v], end = snap.firstEdge[v + 1]; e < end; e++) {
        if (snap.edgeType(e) !== snap.edgeProperty) continue;
        const c = snap.edgeTo(e);
        const cs = this.shapeOf(c);
        if ((cs === Shape.Map || cs === Shape.Set || cs === Shape.Array) && !seen.has(c) && c !== n) {
          seen.add(c);
          visit(c, cs, valueEdge, from, e);
        }
      }
    });
  }

  /** The entries of a collection's shards, their number and bytes (into `nested`, `shards`, `nestedBytes`). */
  nestedOf(n: number, shape: Shape): void {
    let nested = 0;
    let shards = 0;
    let bytes = 0;
    this.eachShard(n, shape, (s, ss) => {
      this.count(s, ss);
      nested += this.entries;
      bytes += this.bytes;
      shards++;
    });
    this.nested = nested;
    this.shards = shards;
    this.nestedBytes = bytes;
  }
}

/** The least number of shards that makes a collection of this shape a sharded holder. */
function minShards(shape: Shape): number {
  return shape === Shape.Object ? MIN_OBJECT_SHARDS : 1;
}

function ownThreshold(shape: Shape): number {
  return shape === Shape.Object ? MIN_DICTIONARY_PROPERTIES : MIN_ENTRIES;
}

function collect(snap: HeapSnapshot): CollectionSample {
  const ids: number[] = [];
  const entries: number[] = [];
  const bytes: number[] = [];
  const nested: number[] = [];
  const shards: number[] = [];
  const nestedBytes: number[] = [];
  const reader = new CollectionReader(snap);
  const { nodes, nodeFieldCount: nf, nodeCount } = snap;
  for (let n = 0; n < nodeCount; n++) {
    const shape = reader.shapeOf(n);
    if (shape === Shape.None) continue;
    reader.count(n, shape);
    const count = reader.entries;
    if (count === 0) continue;
    // (a plain object with fewer properties than could be shards keeps none worth counting)
    if (count >= minShards(shape)) reader.nestedOf(n, shape);
    else reader.nested = reader.shards = reader.nestedBytes = 0;
    const own = count >= ownThreshold(shape);
    const sharded = reader.nested >= MIN_ENTRIES && reader.shards >= minShards(shape);
    if (!own && !sharded) continue;
    ids.push(nodes[n * nf + snap.layout.nId]);
    entries.push(count);
    bytes.push(reader.bytes);
    nested.push(reader.nested);
    shards.push(reader.shards);
    nestedBytes.push(reader.nestedBytes);
  }
  const order = ids.map((_, i) => i).sort((a, b) => ids[a] - ids[b]);
  return {
    ids: Uint32Array.from(order, (i) => ids[i]),
    entries: Uint32Array.from(order, (i) => entries[i]),
    bytes: Float64Array.from(order, (i) => bytes[i]),
    nested: Uint32Array.from(order, (i) => nested[i]),
    shards: Uint32Array.from(order, (i) => shards[i]),
    nestedBytes: Float64Array.from(order, (i) => nestedBytes[i]),
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

/** A sharded holder's inner collection in the last snapshot. */
interface Shard {
  node: number;
  /** the entry that keeps it, when the entries keep their inner collection under a property (`.orders`) */
  wrapper: number;
  key: string;
  entries: number;
  /** held under the holder (its dominator): a shard another holder keeps does not make this one sharded */
  owned: boolean;
}

/** How far up the dominator tree a shard is looked at for its holder (table, wrapper object, its table…). */
const SHARD_DEPTH = 4;

/** The last snapshot's shards of a collection, with their keys and whether the collection dominates them. */
function shardsOf(
  ctx: JudgeContext,
  reader: CollectionReader,
  n: number,
  shape: Shape,
): { shards: Shard[]; shardClass: string; via: string | null } {
  const graph = ctx.last;
  const snap = graph.snap;
  const { idom } = graph.dominators;
  const shards: Shard[] = [];
  const classes = new Map<string, number>();
  const vias = new Map<string, number>();
  reader.eachShard(n, shape, (s, ss, valueEdge, from, property) => {
    reader.count(s, ss);
    let owned = false;
    for (let a = idom[s], k = 0; k < SHARD_DEPTH && a !== snap.rootIndex; a = idom[a], k++) {
      if (a === n) {
        owned = true;
        break;
      }
    }
    const key = entryKey(snap, from, valueEdge);
    const prop = property >= 0 ? snap.edgeName(property) : null;
    shards.push({
      node: s,
      wrapper: property >= 0 ? snap.edgeTo(valueEdge) : -1,
      key: prop ? `${key}.${prop}` : key,
      entries: reader.entries,
      owned,
    });
    const cls = snap.nodeName(s);
    classes.set(cls, (classes.get(cls) ?? 0) + 1);
    vias.set(prop ?? '', (vias.get(prop ?? '') ?? 0) + 1);
  });
  const most = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
  const via = most(vias);
  return { shards, shardClass: most(classes), via: via === '' ? null : via };
}

/** How a collection's entry reads in a report: a Map's key (`'t7'`, `42`), an array's `[3]`, an object's property. */
function entryKey(snap: HeapSnapshot, from: number, valueEdge: number): string {
  if (snap.edgeType(valueEdge) === snap.edgeElement) return `[${snap.edgeNameOrIndex(valueEdge)}]`;
  if (snap.edgeType(valueEdge) === snap.edgeProperty) return snap.edgeName(valueEdge);
  const key = snap.v8.tableKey(from, valueEdge);
  return key < 0 ? '' : keyText(snap, key);
}

interface Candidate {
  n: number;
  at: number[];
  shape: Shape;
  /** judged by its shards' entries in all, not by its own */
  sharded: { shards: Shard[]; shardClass: string; via: string | null } | null;
}

function judge(samples: CollectionSample[], ctx: JudgeContext): DetectorFinding[] {
  const last = samples[samples.length - 1];
  const reader = new CollectionReader(ctx.last.snap);
  const candidates: Candidate[] = [];
  // shards a sharded finding covers: not reported again one by one
  const covered = new Set<number>();
  for (let k = 0; k < last.ids.length; k++) {
    const id = last.ids[k];
    const at = samples.map((s) => find(s, id));
    if (at.some((i) => i < 0)) continue; // not a collection of that size in every snapshot
    const own = samples.map((s, i) => s.entries[at[i]]);
    const nested = samples.map((s, i) => s.nested[at[i]]);
    const shards = samples.map((s, i) => s.shards[at[i]]);
    const ownGrowth = own[own.length - 1] - own[0];
    const nestedGrowth = nested[nested.length - 1] - nested[0];
    if (ownGrowth < ctx.minGrowth && nestedGrowth < ctx.minGrowth) continue;
    const n = ctx.last.ids.ordinalOf(id);
    if (n < 0) continue;
    const shape = reader.shapeOf(n);
    // judged by its shards when the inner collections themselves fill up (a Map of Maps): their entries per shard
    // grow. Entries that each bring an inner collection of a fixed size (sessions that each keep a history of 32,
    // a cache's documents that each have 6 sections) grow the nested count only as fast as the own count: those are
    // judged by their own count, or not at all
    const lastShards = shards[shards.length - 1];
    const perShardGrows = lastShards > 0 && nested[nested.length - 1] / lastShards > (SHARD_GROWTH * nested[0]) / Math.max(1, shards[0]);
    let sharded: Candidate['sharded'] = null;
    if (nestedGrowth >= ctx.minGrowth && nestedGrowth > ownGrowth && lastShards >= minShards(shape) && perShardGrows) {
      const found = shardsOf(ctx, reader, n, shape);
      // the shards must be this holder's: most of their entries under it, not under another holder they share
      const owned = found.shards.filter((s) => s.owned);
      const ownedEntries = owned.reduce((a, s) => a + s.entries, 0);
      const allEntries = found.shards.reduce((a, s) => a + s.entries, 0);
      if (ownedEntries * 2 >= allEntries && owned.length > 0) sharded = { ...found, shards: owned };
    }
    if (!sharded && (ownGrowth < ctx.minGrowth || own[own.length - 1] < ownThreshold(shape))) continue;
    if (sharded) for (const s of sharded.shards) covered.add(s.node);
    candidates.push({ n, at, shape, sharded });
  }
  const out: DetectorFinding[] = [];
  for (const c of candidates) {
    if (covered.has(c.n)) continue;
    const f = c.sharded ? shardedFinding(samples, ctx, c, c.sharded) : ownFinding(samples, ctx, c);
    if (f) out.push(f);
  }
  return out;
}

/** A collection judged by its own entries. */
function ownFinding(samples: CollectionSample[], ctx: JudgeContext, c: Candidate): DetectorFinding | null {
  const { n, at } = c;
  const countByStep = samples.map((s, i) => s.entries[at[i]]);
  const d = describeNode(ctx.last, n);
  if (!d || isNodeInternal(d)) return null;
  const holderClass = d.className.startsWith('{') ? NAMES.Object : d.className;
  const offHeap = offHeapOf(ctx.last, n);
  return growthFinding(ctx, {
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
    summary:
      `${d.name} (${holderClass})${where(d.declaration)}${d.heldBy ? ` held by ${d.heldBy}` : ''}: ${countByStep.join(' → ')} ` +
      `entries, retaining ${formatSize(d.retained)}${offHeapClause(offHeap, d.retained)}${poolClause(offHeap)}`,
  });
}

/** A sharded collection (a Map of Maps): one finding for the holder, its shards' entries added up. */
function shardedFinding(
  samples: CollectionSample[],
  ctx: JudgeContext,
  c: Candidate,
  sharded: NonNullable<Candidate['sharded']>,
): DetectorFinding | null {
  const { n, at } = c;
  const countByStep = samples.map((s, i) => s.nested[at[i]]);
  const shardCounts = samples.map((s, i) => s.shards[at[i]]);
  const d = describeNode(ctx.last, n);
  if (!d || isNodeInternal(d)) return null;
  const holderClass = d.className.startsWith('{') ? NAMES.Object : d.className;
  const offHeap = offHeapOf(ctx.last, n);
  // the keys whose shard grew most: against the first snapshot's count of the same inner collection (by id; a shard
  // too small to be sampled then counts from zero)
  const first = samples[0];
  const growthOf = (s: Shard) => {
    const i = find(first, ctx.last.snap.nodeId(s.node));
    return s.entries - (i >= 0 ? first.entries[i] : 0);
  };
  const ranked = sharded.shards.map((s) => ({ s, growth: growthOf(s) })).sort((a, b) => b.growth - a.growth || b.s.entries - a.s.entries);
  const biggest = [...sharded.shards].sort((a, b) => b.entries - a.entries)[0];
  const itemClass = entryClass(ctx.last, biggest.node);
  const top = ranked.slice(0, TOP_SHARDS).filter((r) => r.s.key !== '');
  const lastShards = shardCounts[shardCounts.length - 1];
  const shardsText = `${formatCount(lastShards)} shard${lastShards === 1 ? '' : 's'} (${sharded.via ? `.${sharded.via} ` : ''}${sharded.shardClass}${itemClass ? ` of ${itemClass}` : ''})`;
  const grewMost = top.length ? `; grew most: ${top.map((r) => `${r.s.key} +${formatCount(r.growth)}`).join(', ')}` : '';
  const f = growthFinding(ctx, {
    kind: 'growing-collection',
    name: d.name,
    holderClass,
    itemClass,
    pathOf: n,
    described: d,
    location: d.declaration,
    countByStep,
    bytesByStep: samples.map((s, i) => s.nestedBytes[at[i]]),
    bytes: d.retained,
    offHeap: offHeapMatters(offHeap, d.retained) ? offHeap : null,
    hint: shardHint(d.name, sharded.shardClass),
    summary:
      `${d.name} (${holderClass})${where(d.declaration)}${d.heldBy ? ` held by ${d.heldBy}` : ''}: ${shardsText}, ` +
      `${countByStep.join(' → ')} entries in all, retaining ${formatSize(d.retained)}${offHeapClause(offHeap, d.retained)}${poolClause(offHeap)}${grewMost}`,
  });
  if (!f) return null;
  // where an inner collection is made: `cache = new Map()` beside `tenantCaches.set(tenant, cache)`, or the
  // entries' class field (`this.orders = new Map()`)
  const made = innerDeclaration(ctx.last, d.declaration, d.name, sharded.shardClass, sharded.via, biggest.wrapper);
  if (made) f.summary += `; inner ${sharded.shardClass}s made at ${shortLocation(made)}`;
  f.shards = {
    count: lastShards,
    countByStep: shardCounts,
    holderClass: sharded.shardClass,
    via: sharded.via,
    top: top.map((r) => ({ key: r.s.key, entries: r.s.entries, growth: r.growth })),
    ids: ranked.slice(0, MAX_TRACED_SHARDS).map((r) => ctx.last.snap.nodeId(r.s.node)),
    ...(made ? { declaredAt: made } : {}),
  };
  return f;
}

/**
 * A collection declared in Node's own code (node:internal/…: the nextTick queue, a timer list) and owned by no
 * program declaration: what fills it (requests in flight, say) is not a holder the program can change. Listeners,
 * timers and promises that pile up in Node's structures are the other detectors' findings.
 */
function isNodeInternal(d: NodeDescription): boolean {
  return (d.declaration?.file ?? d.scopeFile ?? '').startsWith('node:') && !d.owner;
}

/** At most this many shards (those that grew most) are named for a live trace of the lines that add to them. */
const MAX_TRACED_SHARDS = 20;

function shardHint(name: string, shardClass: string): string {
  const inner =
    shardClass === NAMES.Array
      ? 'cap each inner array (drop the oldest entries)'
      : `bound each inner ${shardClass} (an LRU with a max size) or expire its entries`;
  return `${name}'s inner collections only grow: ${inner}, and drop a shard when it empties`;
}

/** A sample renumbered (`to`: old id -> new id), the collections without a new id dropped, sorted by the new ids. */
function rekey(s: CollectionSample, to: ReadonlyMap<number, number>): CollectionSample {
  const keep: number[] = [];
  for (let i = 0; i < s.ids.length; i++) if (to.has(s.ids[i])) keep.push(i);
  const newId = (i: number) => to.get(s.ids[i]) as number;
  keep.sort((a, b) => newId(a) - newId(b));
  return {
    ids: Uint32Array.from(keep, newId),
    entries: Uint32Array.from(keep, (i) => s.entries[i]),
    bytes: Float64Array.from(keep, (i) => s.bytes[i]),
    nested: Uint32Array.from(keep, (i) => s.nested[i]),
    shards: Uint32Array.from(keep, (i) => s.shards[i]),
    nestedBytes: Float64Array.from(keep, (i) => s.nestedBytes[i]),
  };
}

export const collectionsDetector: Detector<CollectionSample> = {
  id: 'growing-collection',
  kind: 'growing-collection',
  summary: 'Map, Set, Array or dictionary object whose entry count rises at every snapshot',
  collect,
  judge,
  holderIds: (s) => s.ids,
  rekey,
};

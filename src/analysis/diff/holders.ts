/**
 * New and still alive, by object id, and who holds it (memlab's baseline / target / final, objgraph's
 * back-references):
 *
 * - new: objects of the last snapshot that were not in the first and (with 3+ snapshots) already existed at the one
 *   before last — what was allocated during the watch and survived it;
 * - holder: each new object is charged to its nearest dominator that is neither new nor one of V8's own structures
 *   (the Map, not its hash table, which is reallocated as it grows; the array, not its backing store; the scope), so
 *   10,000 sessions in one Map are one group;
 * - a group becomes a finding named by its holder's retainer path and declaration.
 */
import type { HeapGraph } from '../graph/heap-graph.js';
import type { SnapshotDigest } from './digest.js';
import type { ClassGrowth } from './growth.js';
import { describeNode } from '../places/describe.js';
import { isApplicationFile, isDependencyFile, packageOf } from '../places/source.js';
import { confidenceOf, hintFor, severityOf, type Finding } from '../findings/findings.js';
import { COLLECTION_CLASSES } from '../heap/v8.js';
import { dependencyHint, type DetectorFinding } from '../detectors/types.js';
import { formatSize, where } from '../../common/format.js';
import { offHeapClause, offHeapMatters, offHeapOf, poolClause } from '../findings/offheap.js';

/** Marks the nodes of `snap` whose id is in `later` but not in `first` (both ascending id lists). */
export function markNew(graph: HeapGraph, first: SnapshotDigest, middle: SnapshotDigest | null): Uint8Array {
  const snap = graph.snap;
  const { sortedIds, ordinals } = graph.ids;
  const isNew = new Uint8Array(snap.nodeCount);
  const A = first.ids;
  const M = middle?.ids;
  let i = 0;
  let m = 0;
  for (let k = 0; k < sortedIds.length; k++) {
    const id = sortedIds[k];
    while (i < A.length && A[i] < id) i++;
    if (i < A.length && A[i] === id) continue; // existed at the first snapshot
    if (M) {
      while (m < M.length && M[m] < id) m++;
      if (!(m < M.length && M[m] === id)) continue; // allocated after the one before last: may be in flight
    }
    isNew[ordinals[k]] = 1;
  }
  return isNew;
}

export interface Group {
  holder: number;
  count: number;
  bytes: number;
  /** class id -> count of new objects */
  classes: Map<number, number>;
}

/**
 * Charges every new object to its nearest dominator that is neither new nor one of V8's own structures: the Map
 * (not its hash table, which is reallocated as it grows), the array (not its backing store), the scope.
 */
export function groupByHolder(
  graph: HeapGraph,
  isNew: Uint8Array,
  classOf: Uint32Array,
): { groups: Map<number, Group>; holderOf: Uint32Array } {
  const snap = graph.snap;
  const dom = graph.dominators;
  const holderOf = new Uint32Array(snap.nodeCount);
  const groups = new Map<number, Group>();
  const order = dom.preorder;
  const { nodes, nodeFieldCount: nf } = snap;
  const oType = snap.layout.nType;
  for (let k = 1; k < order.length; k++) {
    const n = order[k];
    const d = dom.idom[n];
    // preorder: d's holder is known; pass through new objects and V8 structures
    const passThrough = isNew[d] === 1 || (d !== snap.rootIndex && snap.v8.isV8Internal(d));
    const holder = passThrough ? holderOf[d] : d;
    holderOf[n] = holder;
    if (isNew[n] === 0) continue;
    let g = groups.get(holder);
    if (!g) {
      g = { holder, count: 0, bytes: 0, classes: new Map() };
      groups.set(holder, g);
    }
    if (isNew[d] === 0) g.bytes += dom.retained[n]; // topmost new nodes: their retained sizes add up exactly
    if (snap.v8.isCountableType(nodes[n * nf + oType])) {
      g.count++;
      const c = classOf[n];
      g.classes.set(c, (g.classes.get(c) ?? 0) + 1);
    }
  }
  return { groups, holderOf };
}

export function describeGroup(
  graph: HeapGraph,
  g: Group,
  names: string[],
  byClass: Map<string, ClassGrowth>,
  steps: number,
  isNew?: Uint8Array,
): DetectorFinding | null {
  const snap = graph.snap;
  // objects hanging off the root itself are unreachable garbage the snapshot caught, not a holder's
  if (g.holder === snap.rootIndex) return null;
  const d = describeNode(graph, g.holder);
  if (!d) return null;
  // what piles up: the most numerous class among the new objects, preferring the program's own objects
  const items = [...g.classes.entries()].sort((a, b) => b[1] - a[1]);
  const preferred = items.find(([c]) => !names[c].startsWith('(')) ?? items[0];
  const itemClass = names[preferred[0]];
  const growth = byClass.get(itemClass);
  const holderClass = d.className;
  const isCollection = COLLECTION_CLASSES.has(holderClass) || holderClass.startsWith('{');
  const kind: Finding['kind'] = isCollection ? 'growing-collection' : 'class-growth';
  const name = d.name;
  const countByStep = growth?.countByStep ?? [];
  const bytesByStep = growth?.bytesByStep ?? [];
  // a holder whose items keep growing at every step is a leak; growth once or twice is a suspect. The class's count
  // is the whole heap's: it speaks for this holder only when the holder keeps at least half of the class's growth
  // (strings and closures grow everywhere; 52 new strings under a FinalizationRegistry are not why 480 appeared)
  const explains = growth !== undefined && preferred[1] * 2 >= growth.deltaCount;
  const confidence = countByStep.length === steps && explains ? confidenceOf(countByStep) : Math.min(0.4, confidenceOf(countByStep));
  const severity = severityOf(confidence, g.bytes);
  const location = d.declaration ?? d.stepLocation ?? snap.location(g.holder);
  // Node's own structures (the nextTick queue holding requests in flight, an internal list) are not a holder a
  // program can change: what they keep is charged to nothing rather than named wrongly
  if ((location?.file ?? d.scopeFile ?? '').startsWith('node:') && !d.owner) return null;
  // an owner only matters when the holder's location is not the application's own
  const owner = location && isApplicationFile(location.file) ? null : d.owner;
  const pkg = location && isDependencyFile(location.file) ? packageOf(location.file) : null;
  const holderStep = d.retainerPath.at(-2) ?? '';
  // the new objects' bytes outside the JS heap (the Buffers among them)
  const offHeap = isNew ? offHeapOf(graph, g.holder, isNew) : null;
  return {
    kind,
    name,
    holderClass,
    itemClass,
    retainerPath: d.retainerPath,
    pathText: d.pathText,
    location,
    owner,
    ...(pkg ? { package: pkg } : {}),
    countByStep,
    bytesByStep,
    newObjects: g.count,
    newBytes: g.bytes,
    offHeap: offHeapMatters(offHeap, g.bytes) ? offHeap : null,
    growthBytes: g.bytes,
    status: 'suspect',
    statusReason: '',
    evidence: [],
    representative: g.holder,
    severity,
    confidence,
    hint: pkg ? dependencyHint(hintFor(kind, holderClass, name), pkg, owner, d.retainerPath) : hintFor(kind, holderClass, name),
    summary:
      `${name} (${holderClass})${where(location)}${holderStep ? ` held by ${holderStep}` : ''}: +${g.count.toLocaleString('en-US')} ` +
      `new objects still alive (mostly ${itemClass}), retaining ${formatSize(g.bytes)}${offHeapClause(offHeap, g.bytes)}${poolClause(offHeap)}; ` +
      `${itemClass} ${countByStep.join(' → ')}`,
  };
}

/** How far up the dominator tree a node that is not new is looked at for the holder that owns it. */
const OWNED_DEPTH = 8;
/** A reachability walk stops after this many nodes (the bytes found so far are the answer). */
const MAX_REACHABLE = 4_000_000;

/**
 * The bytes of new objects a holder keeps reachable, shared ones included: a walk from the holder over retaining
 * edges, into new objects (whoever else also keeps them) and into the holder's own structure (what it dominates:
 * its hash table, its inner Maps), never into older objects it does not own (a prototype, the global object). Two
 * leaks that keep the same objects (a cache and a listener whose closure reaches the cached value) are each judged
 * on what they keep: the dominator tree charges shared objects to neither.
 */
export function reachableNewBytes(graph: HeapGraph, holder: number, isNew: Uint8Array): number {
  const snap = graph.snap;
  const { idom } = graph.dominators;
  const bits = graph.essential.bits;
  const { edges, edgeFieldCount: ef, firstEdge } = snap;
  const oTo = snap.layout.eToNode;
  const root = snap.rootIndex;
  const owned = (t: number) => {
    for (let a = idom[t], k = 0; k < OWNED_DEPTH && a !== root; a = idom[a], k++) if (a === holder) return true;
    return false;
  };
  const seen = new Set<number>([holder]);
  const stack = [holder];
  let bytes = 0;
  while (stack.length > 0 && seen.size < MAX_REACHABLE) {
    const n = stack.pop() as number;
    if (isNew[n] === 1) bytes += snap.selfSize(n);
    for (let e = firstEdge[n], end = firstEdge[n + 1]; e < end; e++) {
      if ((bits[e >>> 5] & (1 << (e & 31))) === 0) continue;
      const t = edges[e * ef + oTo];
      if (seen.has(t)) continue;
      if (isNew[t] !== 1 && !owned(t)) continue;
      seen.add(t);
      stack.push(t);
    }
  }
  return bytes;
}

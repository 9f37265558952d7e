/**
 * Pending promises: promises that never settle and keep growing (what "pending" looks like in a heap: v8.ts
 * isPendingPromise; a promise fulfilled with a small integer looks the same — rare in leaks, and the growth rule
 * filters noise).
 */
import type { HeapSnapshot } from '../heap/snapshot.js';
import { confidenceOf } from '../findings/findings.js';
import { NAMES } from '../heap/v8.js';
import { describeNode } from '../places/describe.js';
import { growthFinding, type Detector, type DetectorFinding, type JudgeContext } from './types.js';

function pendingPromises(snap: HeapSnapshot, visit: (promise: number) => void): void {
  const promiseIdx = snap.v8.id(NAMES.Promise);
  if (promiseIdx < 0) return;
  const { nodes, nodeFieldCount: nf, nodeCount } = snap;
  const oType = snap.layout.nType;
  const oName = snap.layout.nName;
  for (let n = 0; n < nodeCount; n++) {
    if (nodes[n * nf + oType] !== snap.typeObject || nodes[n * nf + oName] !== promiseIdx) continue;
    if (snap.v8.isPendingPromise(n)) visit(n);
  }
}

/** how far up the dominator tree a pending promise's holder is looked for */
const HOLDER_DEPTH = 12;

/** A node a developer would call the holder: an object of the program (a Map, an array, a class instance), not V8's. */
function isHolder(snap: HeapSnapshot, n: number): boolean {
  if (snap.nodeType(n) !== snap.typeObject) return false;
  return !snap.v8.isSystemObject(n) && snap.nodeName(n) !== NAMES.Promise;
}

export interface PromiseSample {
  count: number;
  /** the pending promises' ids, ascending; null when they cannot be compared with the other snapshots' */
  ids: Uint32Array | null;
}

function collect(snap: HeapSnapshot): PromiseSample {
  const ids: number[] = [];
  pendingPromises(snap, (n) => ids.push(snap.nodeId(n)));
  return { count: ids.length, ids: Uint32Array.from(ids).sort() };
}

/** At least this many pending at the first snapshot before their persistence is judged. */
const MIN_PERSISTENCE_SAMPLE = 10;
/** Of the promises pending at the first snapshot, at least this share must still be pending at the last. */
const MIN_PERSISTENCE = 0.5;

/** The share of `first`'s ids also in `last` (both ascending). */
function persistence(first: Uint32Array, last: Uint32Array): number {
  let i = 0;
  let j = 0;
  let both = 0;
  while (i < first.length && j < last.length) {
    if (first[i] === last[j]) {
      both++;
      i++;
      j++;
    } else if (first[i] < last[j]) i++;
    else j++;
  }
  return first.length === 0 ? 0 : both / first.length;
}

function judge(samples: PromiseSample[], ctx: JudgeContext): DetectorFinding[] {
  const counts = samples.map((s) => s.count);
  if (counts[counts.length - 1] - counts[0] < ctx.minGrowth || confidenceOf(counts) < 0.5) return [];
  // promises that never settle are the same promises at every snapshot; requests in flight are new each time: a
  // busy moment's in-flight work (13 → 21 → 115 pending) settles, and what was pending at the first snapshot is gone
  const first = samples[0].ids;
  const lastIds = samples[samples.length - 1].ids;
  if (first && lastIds && first.length >= MIN_PERSISTENCE_SAMPLE && persistence(first, lastIds) < MIN_PERSISTENCE) return [];
  // who holds them: the deepest node that dominates at least half of the pending promises (a `pending` Map of
  // resolvers), else the most recent pending promise (highest id) stands for them
  const snap = ctx.last.snap;
  const { idom, retained: retainedOf } = ctx.last.dominators;
  let rep = -1;
  let retained = 0;
  let total = 0;
  const votes = new Map<number, number>();
  pendingPromises(snap, (n) => {
    total++;
    retained += retainedOf[n];
    if (rep < 0 || snap.nodeId(n) > snap.nodeId(rep)) rep = n;
    for (let a = idom[n], k = 0; k < HOLDER_DEPTH && a !== snap.rootIndex; a = idom[a], k++) votes.set(a, (votes.get(a) ?? 0) + 1);
  });
  if (rep < 0) return [];
  let holder = -1;
  for (const [a, v] of votes) {
    if (v * 2 < total || !isHolder(snap, a)) continue;
    if (holder < 0 || retainedOf[a] < retainedOf[holder]) holder = a;
  }
  if (holder >= 0) rep = holder;
  const d = describeNode(ctx.last, rep);
  const f = growthFinding(ctx, {
    kind: 'pending-promise',
    name: d?.name ?? NAMES.Promise,
    holderClass: d?.heldBy ?? '',
    itemClass: NAMES.Promise,
    pathOf: rep,
    described: d,
    location: d?.declaration ?? null,
    countByStep: counts,
    bytes: retained,
    hint:
      'promises that never settle pile up: give every await on I/O a timeout (AbortSignal.timeout), settle ' +
      'or reject pending requests on error and shutdown, and do not keep promises you no longer need',
    summary: `${counts.join(' → ')} pending promises${d ? `; held by ${d.pathText.split(' → ').slice(-2).join(' → ')}` : ''}`,
  });
  return f ? [f] : [];
}

export const promisesDetector: Detector<PromiseSample> = {
  id: 'pending-promise',
  kind: 'pending-promise',
  summary: 'promises that never settle, piling up (the same ones still pending at every snapshot)',
  collect,
  judge,
  // snapshots matched by place (separate sessions): the promises' ids say nothing; their counts still do
  rekey: (s) => ({ count: s.count, ids: null }),
};

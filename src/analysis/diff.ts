/**
 * `diff`: what grew between snapshots of one process, and who holds it.
 *
 * Reads only what it needs: every snapshot but the last is reduced to a digest (class counts, sorted ids) and
 * dropped; the last one gets the full graph (dominators, paths). Then:
 *
 * 1. per-class growth, first -> last and at every step; with 3+ snapshots a class is *monotonic* when its count
 *    rose above its previous peak at every step (objgraph's peak trick: a sawtooth never qualifies);
 * 2. new and still alive, by object id: objects of the last snapshot that were not in the first and (with 3+
 *    snapshots) already existed at the one before last — memlab's baseline / target / final;
 * 3. the culprit: each new object is charged to its nearest dominator that is *not* new (the Map whose table grew,
 *    the array whose elements grew, the scope that holds them), so 10,000 sessions in one Map are one finding; the
 *    holder's shortest retainer path and source location name it;
 * 4. a verdict with its reason.
 */
import { statSync } from 'node:fs';
import { COLLECTION_CLASSES, isV8InternalClass, NAMES } from './heap/v8.js';
import { classifyNodes } from './heap/classes.js';
import { HeapGraph } from './graph/heap-graph.js';
import { loadSnapshot } from './heap/loader.js';
import { releaseMemory } from './heap/release.js';
import { compareIds, digestSnapshot, type IdComparability, type SnapshotDigest } from './digest.js';
import { isApplicationFile } from './source.js';
import { describeNode, where } from './detectors/describe.js';
import { UserError } from '../errors.js';
import { confidenceOf, hintFor, KIND_ORDER, risesEveryStep, severityOf, type Finding, type FindingStatus, type Verdict } from './findings.js';
import { mergeCauses } from './causes.js';
import { DEFAULT_SIGNIFICANCE, windowOf, withStatus, type SignificanceOptions } from './significance.js';
import type { DetectorFinding } from './detectors/types.js';
import { collectSamples, runDetectors } from './detectors/index.js';
export type { Finding, Severity, Verdict } from './findings.js';

export interface ClassGrowth {
  name: string;
  countByStep: number[];
  bytesByStep: number[];
  deltaCount: number;
  deltaBytes: number;
  /** grew above its previous peak at every step (3+ snapshots) */
  monotonic: boolean;
}


export interface DiffResult {
  files: string[];
  snapshots: Array<{ file: string; bytes: number; nodes: number; totalSize: number; takenAt: number | null }>;
  idsComparable: boolean;
  idCheck: IdComparability[];
  verdict: Verdict;
  reason: string;
  classes: ClassGrowth[];
  findings: Finding[];
  warnings: string[];
}

export interface DiffOptions {
  top: number;
  /** minimum new-and-alive objects under one holder to report it */
  minObjects: number;
  /** minimum bytes those objects retain */
  minBytes: number;
  /** when steady growth is material (significance.ts) */
  significance: SignificanceOptions;
}

export const DEFAULT_DIFF_OPTIONS: DiffOptions = { top: 20, minObjects: 50, minBytes: 16 * 1024, significance: DEFAULT_SIGNIFICANCE };

const STATUS_ORDER: FindingStatus[] = ['leak', 'suspect', 'watch'];


export function classGrowth(digests: SnapshotDigest[]): ClassGrowth[] {
  const names = new Set<string>();
  for (const d of digests) for (const k of d.classes.keys()) names.add(k);
  const out: ClassGrowth[] = [];
  for (const name of names) {
    const countByStep = digests.map((d) => d.classes.get(name)?.count ?? 0);
    const bytesByStep = digests.map((d) => d.classes.get(name)?.selfSize ?? 0);
    const deltaCount = countByStep[countByStep.length - 1] - countByStep[0];
    const deltaBytes = bytesByStep[bytesByStep.length - 1] - bytesByStep[0];
    const monotonic = digests.length >= 3 && risesEveryStep(countByStep);
    if (deltaCount !== 0 || deltaBytes !== 0) out.push({ name, countByStep, bytesByStep, deltaCount, deltaBytes, monotonic });
  }
  out.sort((a, b) => b.deltaBytes - a.deltaBytes || b.deltaCount - a.deltaCount || a.name.localeCompare(b.name));
  return out;
}

/** Marks the nodes of `snap` whose id is in `later` but not in `first` (both ascending id lists). */
function markNew(graph: HeapGraph, first: SnapshotDigest, middle: SnapshotDigest | null): Uint8Array {
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

interface Group {
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
function groupByHolder(graph: HeapGraph, isNew: Uint8Array, classOf: Uint32Array): { groups: Map<number, Group>; holderOf: Uint32Array } {
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



export interface DiffInput {
  /** digests of every snapshot but the last, in order */
  digests: SnapshotDigest[];
  /** the last snapshot, whole */
  last: HeapGraph;
  files: string[];
  /** when each snapshot was taken (ms since the epoch; null when unknown): for rates per minute */
  times?: Array<number | null>;
  warnings?: string[];
}

export function diffSnapshots(input: DiffInput, options: DiffOptions = DEFAULT_DIFF_OPTIONS): DiffResult {
  const { last } = input;
  const files = input.files;
  const classification = classifyNodes(last.snap);
  const lastDigest = digestSnapshot(last.snap, files[files.length - 1], last.ids, classification);
  lastDigest.detectors = collectSamples(last.snap);
  const digests = [...input.digests, lastDigest];
  const warnings = [...(input.warnings ?? [])];
  const idCheck: IdComparability[] = [];
  for (let k = 1; k < digests.length; k++) idCheck.push(compareIds(digests[k - 1], digests[k]));
  idCheck.forEach((c, k) => {
    // one process, listed newest first: the ids agree, but the "new" ones are all older
    if (!c.comparable && c.sameKindShare >= 0.97 && c.reusedShare > 0.5) {
      throw new UserError(`${files[k + 1]} was taken before ${files[k]}: list the snapshots oldest first`);
    }
  });
  const idsComparable = idCheck.every((c) => c.comparable);
  const classes = classGrowth(digests);
  const steps = digests.length;
  const findings: Finding[] = [];

  if (idsComparable) {
    const { classOf, names } = classification;
    void last.dominators;
    releaseMemory(); // the dominator computation's working arrays are garbage now
    const isNew = markNew(last, digests[0], steps >= 3 ? digests[steps - 2] : null);
    const { groups, holderOf } = groupByHolder(last, isNew, classOf);
    // the detectors name the kind of mistake; a holder they already explain is not reported again
    const detected = runDetectors(digests.map((d) => d.detectors ?? {}), { last, steps, minGrowth: options.minObjects });
    const explained = new Set<number>();
    for (const f of detected) {
      explained.add(f.representative);
      explained.add(holderOf[f.representative]);
    }
    const isExplained = (holder: number) => {
      for (let a = holder, k = 0; k < 4 && a !== last.snap.rootIndex; a = last.dominators.idom[a], k++) if (explained.has(a)) return true;
      return false;
    };
    const byClass = new Map(classes.map((c) => [c.name, c]));
    const ranked = [...groups.values()].filter((g) => g.count >= options.minObjects && g.bytes >= options.minBytes && !isExplained(g.holder)).sort((a, b) => b.bytes - a.bytes);
    const grouped: DetectorFinding[] = [];
    for (const g of ranked) {
      if (grouped.length >= options.top) break;
      const f = describeGroup(last, g, names, byClass, steps);
      // with 3+ snapshots only steady growth is reported; with 2, any growth (as a suspect)
      if (f && f.confidence >= 0.5) grouped.push(f);
    }
    // one root cause, one finding: what several detectors (and a generic holder) saw of one holder is merged
    const members = new Map<number, number[]>(grouped.map((f) => [f.representative, []]));
    if (members.size > 0) {
      for (let n = 0; n < isNew.length; n++) if (isNew[n] === 1) members.get(holderOf[n])?.push(n);
    }
    const merged = mergeCauses(last, detected, grouped.map((f) => ({ finding: f, members: (visit) => members.get(f.representative)?.forEach(visit) })));
    const windowMs = windowOf(input.times);
    for (const { representative: _, ...f } of merged) findings.push(withStatus(f, windowMs, options.significance));
    findings.sort((a, b) => STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status) || KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || b.confidence - a.confidence || b.newBytes - a.newBytes);
    findings.splice(options.top);
  } else {
    warnings.push(`object ids are not comparable (${idCheck.find((c) => !c.comparable)?.reason}); falling back to per-class count differences`);
    for (const c of classes) {
      if (findings.length >= options.top) break;
      if (!c.monotonic || isV8InternalClass(c.name) || c.name.startsWith('(') || c.deltaCount < options.minObjects || c.deltaBytes < options.minBytes) continue;
      findings.push({
        kind: 'class-growth',
        name: c.name,
        holderClass: '',
        itemClass: c.name,
        retainerPath: [],
        pathText: '',
        location: null,
        countByStep: c.countByStep,
        bytesByStep: c.bytesByStep,
        newObjects: c.deltaCount,
        newBytes: c.deltaBytes,
        growthBytes: Math.max(0, c.deltaBytes),
        status: 'suspect',
        statusReason: '',
        evidence: [],
        severity: 'low',
        confidence: 0.3,
        hint: hintFor('class-growth', '', c.name),
        summary: `${c.name}: ${c.countByStep.join(' → ')} objects (ids not comparable: no retainer path)`,
      });
    }
  }

  const { verdict, reason } = judge(findings, steps, idsComparable);
  return {
    files,
    snapshots: digests.map((d, k) => ({ file: d.file, bytes: d.bytes, nodes: d.nodeCount, totalSize: d.totalSize, takenAt: input.times?.[k] ?? null })),
    idsComparable,
    idCheck,
    verdict,
    reason,
    classes,
    findings,
    warnings,
  };
}

function describeGroup(graph: HeapGraph, g: Group, names: string[], byClass: Map<string, ClassGrowth>, steps: number): DetectorFinding | null {
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
  // an owner only matters when the holder's location is not the application's own
  const owner = location && isApplicationFile(location.file) ? null : d.owner;
  const holderStep = d.retainerPath.at(-2) ?? '';
  return {
    kind,
    name,
    holderClass,
    itemClass,
    retainerPath: d.retainerPath,
    pathText: d.pathText,
    location,
    owner,
    countByStep,
    bytesByStep,
    newObjects: g.count,
    newBytes: g.bytes,
    growthBytes: g.bytes,
    status: 'suspect',
    statusReason: '',
    evidence: [],
    representative: g.holder,
    severity,
    confidence,
    hint: hintFor(kind, holderClass, name),
    summary: `${name} (${holderClass})${where(location)}${holderStep ? ` held by ${holderStep}` : ''}: +${g.count.toLocaleString('en-US')} new objects still alive (mostly ${itemClass}), retaining ${formatSize(g.bytes)}; ${itemClass} ${countByStep.join(' → ')}`,
  };
}

function formatSize(b: number): string {
  return b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : `${(b / 1e3).toFixed(1)} kB`;
}

function leakSentence(f: Finding): string {
  switch (f.kind) {
    case 'growing-collection':
      return `${f.name} (${f.holderClass})${f.itemClass ? ` holding ${f.itemClass}` : ''}`;
    case 'timer':
      return `setInterval(${f.name}) timers`;
    case 'listener':
      return `'${f.name}' listeners on ${f.holderClass}`;
    case 'closure':
      return f.itemClass === '(closure chain)' ? `the chain of \`${f.name}\` in ${f.holderClass}` : `closures ${f.name}`;
    case 'pending-promise':
      return f.holderClass && f.name !== NAMES.Promise ? `${f.name} (${f.holderClass}) holding promises that never settle` : 'pending promises';
    default:
      return `${f.itemClass} objects held by ${f.name}${f.holderClass ? ` (${f.holderClass})` : ''}`;
  }
}

/**
 * leak: with 3+ snapshots of one process, a holder keeps new objects whose class grew at every step.
 * inconclusive: growth seen, but only 2 snapshots (warm-up and leak look alike), or ids not comparable.
 * no-leak: nothing above the thresholds grew steadily.
 */
function judge(findings: Finding[], steps: number, idsComparable: boolean): { verdict: Verdict; reason: string } {
  const strong = findings.filter((f) => f.status === 'leak');
  const watch = findings.filter((f) => f.status === 'watch');
  if (!idsComparable) {
    return findings.length > 0
      ? { verdict: 'inconclusive', reason: `classes grew at every step, but the snapshots' object ids are not comparable, so no holder can be named` }
      : { verdict: 'no-leak', reason: 'no class grew at every step (ids not comparable: per-class counts only)' };
  }
  if (strong.length > 0) {
    const f = strong[0];
    return { verdict: 'leak', reason: `${leakSentence(f)} grew at every one of ${steps} snapshots (${f.countByStep.join(' → ')})` };
  }
  const suspects = findings.filter((f) => f.confidence >= 0.4);
  if (steps < 3 && suspects.length > 0) {
    return { verdict: 'inconclusive', reason: `objects grew between the two snapshots; take a third to tell a leak from warm-up` };
  }
  if (watch.length > 0) {
    const w = watch[0];
    return { verdict: 'no-leak', reason: `no material growth; watch: ${leakSentence(w)} grew at every step (${w.countByStep.join(' → ')}) but ${w.statusReason}${watch.length > 1 ? ` (+${watch.length - 1} more watch item${watch.length > 2 ? 's' : ''})` : ''}` };
  }
  return { verdict: 'no-leak', reason: steps < 3 ? 'nothing new and alive above the thresholds' : `nothing grew at every one of ${steps} snapshots above the thresholds` };
}

export interface DiffFilesOptions extends DiffOptions {
  /** when each snapshot was taken (default: the files' modification times) */
  times?: Array<number | null>;
  onProgress?: (phase: string, done?: number, total?: number) => void;
}

/**
 * Loads the files one at a time (at most one whole snapshot in memory): every one but the last is reduced to its
 * digest, the last is kept whole for dominators and paths.
 */
export async function diffFiles(files: string[], options: DiffFilesOptions): Promise<DiffResult> {
  const progress = options.onProgress ?? (() => {});
  const digests: SnapshotDigest[] = [];
  const digestFile = async (k: number): Promise<SnapshotDigest> => {
    const snap = await loadSnapshot(files[k], { onProgress: (phase, done, total) => progress(`${k + 1}/${files.length} ${phase}`, done, total) });
    progress(`${k + 1}/${files.length} digest`);
    const digest = digestSnapshot(snap, files[k]);
    digest.detectors = collectSamples(snap);
    return digest;
  };
  for (let k = 0; k < files.length - 1; k++) {
    digests.push(await digestFile(k));
    releaseMemory(); // that snapshot is unreachable now: free its arrays before the next one is read
  }
  const k = files.length - 1;
  const snap = await loadSnapshot(files[k], { onProgress: (phase, done, total) => progress(`${k + 1}/${files.length} ${phase}`, done, total) });
  const graph = new HeapGraph(snap, (phase) => progress(`${k + 1}/${files.length} ${phase}`));
  return diffSnapshots({ digests, last: graph, files, times: options.times ?? files.map(modifiedAt) }, options);
}

/** When a snapshot file was written (its modification time), or null. */
function modifiedAt(file: string): number | null {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

/**
 * `diff`: what grew between snapshots of one process, and who holds it. The steps, each in its own module:
 *
 * 1. per-class growth, first -> last and at every step (growth.ts); with 3+ snapshots a class is *monotonic* when
 *    its count rose above its previous peak at every step (objgraph's peak trick: a sawtooth never qualifies);
 * 2. new and still alive, by object id, charged to the holder that keeps them (holders.ts);
 * 3. the detectors name the kind of mistake (detectors/); one root cause becomes one finding (causes.ts), material or
 *    only worth watching (significance.ts);
 * 4. a verdict with its reason (verdict.ts).
 *
 * diffSnapshots works on digests and the last snapshot's graph; diff-files.ts loads files for it one at a time.
 */
import { classifyNodes } from '../heap/classes.js';
import type { HeapGraph } from '../graph/heap-graph.js';
import { releaseMemory } from '../heap/release.js';
import { compareIds, digestSnapshot, type IdComparability, type SnapshotDigest } from './digest.js';
import { UserError } from '../../common/errors.js';
import type { Finding, FindingStatus, Verdict } from '../findings/findings.js';
import { kindOrder, type FindingKind } from '../findings/kinds.js';
import { mergeCauses } from './causes.js';
import { DEFAULT_SIGNIFICANCE, windowOf, withStatus, type SignificanceOptions } from '../findings/significance.js';
import type { DetectorFinding } from '../detectors/types.js';
import { collectSamples, runDetectors } from '../detectors/index.js';
import { classGrowth, classGrowthFindings, type ClassGrowth } from './growth.js';
import { describeGroup, groupByHolder, markNew, reachableNewBytes } from './holders.js';
import { formatSize } from '../../common/format.js';
import { judgeDiff } from '../findings/verdict.js';
import { addingMethods, fromAllocationTraces, holderVariable } from '../findings/added.js';
export type { Finding, Severity, Verdict } from '../findings/findings.js';
export type { ClassGrowth } from './growth.js';

export interface DiffResult {
  files: string[];
  snapshots: Array<{ file: string; bytes: number; nodes: number; totalSize: number; takenAt: number | null }>;
  idsComparable: boolean;
  /** how holders were followed across the snapshots: by object id (one process, one session), by their place in
   * the heap (ids not comparable: separate sessions or restarts), or only per class */
  matchedBy: 'ids' | 'place' | 'class';
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

export interface DiffInput {
  /** digests of every snapshot but the last, in order */
  digests: SnapshotDigest[];
  /** the last snapshot, whole */
  last: HeapGraph;
  files: string[];
  /** when each snapshot was taken (ms since the epoch; null when unknown): for rates per minute */
  times?: Array<number | null>;
  warnings?: string[];
  /** the last snapshot's digest, when the caller made it (with its detector samples) */
  lastDigest?: SnapshotDigest;
  /**
   * the ids are not comparable, and the detectors' samples were renumbered by matching holders by their place in
   * the heap (match.ts): how many of the earlier snapshots' sampled holders found theirs in the last
   */
  matched?: { by: 'place'; holders: number; found: number; unique: number };
}

export function diffSnapshots(input: DiffInput, options: DiffOptions = DEFAULT_DIFF_OPTIONS): DiffResult {
  const { last } = input;
  const files = input.files;
  const classification = classifyNodes(last.snap);
  const lastDigest = input.lastDigest ?? digestSnapshot(last.snap, files[files.length - 1], last.ids, classification);
  lastDigest.detectors ??= collectSamples(last.snap);
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
    const detected = runDetectors(
      digests.map((d) => d.detectors ?? {}),
      { last, steps, minGrowth: options.minObjects },
    );
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
    const ranked = [...groups.values()]
      .filter((g) => g.count >= options.minObjects && g.bytes >= options.minBytes && !isExplained(g.holder))
      .sort((a, b) => b.bytes - a.bytes);
    const grouped: DetectorFinding[] = [];
    for (const g of ranked) {
      if (grouped.length >= options.top) break;
      const f = describeGroup(last, g, names, byClass, steps, isNew);
      // with 3+ snapshots only steady growth is reported; with 2, any growth (as a suspect)
      if (f && f.confidence >= 0.5) grouped.push(f);
    }
    // one root cause, one finding: what several detectors (and a generic holder) saw of one holder is merged
    const members = new Map<number, number[]>(grouped.map((f) => [f.representative, []]));
    if (members.size > 0) {
      for (let n = 0; n < isNew.length; n++) if (isNew[n] === 1) members.get(holderOf[n])?.push(n);
    }
    const merged = mergeCauses(
      last,
      detected,
      grouped.map((f) => ({ finding: f, members: (visit) => members.get(f.representative)?.forEach(visit) })),
    );
    const windowMs = windowOf(input.times);
    // a snapshot taken with allocation tracking says which code allocated what each holder keeps
    const methodsOf = (f: (typeof merged)[number]) => {
      const m = addingMethods(f);
      return typeof m === 'string' ? [] : m;
    };
    // every object allocated since the first snapshot, the last round's too: V8 can lose the allocation stack of an
    // object a compacting GC moved, so the newest objects are often the only ones that still carry theirs
    const sinceFirst = last.snap.traceFunctionInfos.length > 0 ? markNew(last, digests[0], null) : isNew;
    const allocated = fromAllocationTraces(
      last,
      merged.map((f) => ({
        representative: f.representative,
        methods: methodsOf(f),
        variable: holderVariable(f),
        sharded: f.shards !== undefined,
      })),
      sinceFirst,
    );
    for (const { representative, ...f } of merged) {
      const addedAt = allocated?.get(representative);
      const kept = keptGrowth(last, representative, f, isNew, steps);
      findings.push(
        withStatus(
          { ...f, ...kept, holderId: last.snap.nodeId(representative), ...(addedAt ? { addedAt } : {}) },
          windowMs,
          options.significance,
        ),
      );
    }
    findings.sort(
      (a, b) =>
        STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status) ||
        kindOrder(a.kind) - kindOrder(b.kind) ||
        b.confidence - a.confidence ||
        b.newBytes - a.newBytes,
    );
    findings.splice(options.top);
  } else if (input.matched) {
    // separate sessions or restarts: the detectors judge holders matched by their place in the heap; what is new and
    // alive cannot be told without ids, so no generic holder groups
    const m = input.matched;
    warnings.push(
      `object ids are not comparable (${idCheck.find((c) => !c.comparable)?.reason}): holders were matched ` +
        `across the snapshots by their place in the heap (${m.found} of ${m.holders} sampled holders found theirs ` +
        `in the last snapshot)`,
    );
    void last.dominators;
    releaseMemory();
    const detected = runDetectors(
      digests.map((d) => d.detectors ?? {}),
      { last, steps, minGrowth: options.minObjects },
    );
    const merged = mergeCauses(last, detected, []);
    const windowMs = windowOf(input.times);
    for (const { representative, ...f } of merged)
      findings.push(withStatus({ ...f, holderId: last.snap.nodeId(representative) }, windowMs, options.significance));
    if (findings.length === 0) findings.push(...classGrowthFindings(classes, options));
    findings.sort(
      (a, b) =>
        STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status) ||
        kindOrder(a.kind) - kindOrder(b.kind) ||
        b.confidence - a.confidence ||
        b.newBytes - a.newBytes,
    );
    findings.splice(options.top);
  } else {
    warnings.push(
      `object ids are not comparable (${idCheck.find((c) => !c.comparable)?.reason}); falling back to per-class count differences`,
    );
    findings.push(...classGrowthFindings(classes, options));
  }

  const { verdict, reason } = judgeDiff(
    findings,
    steps,
    idsComparable || input.matched !== undefined,
    idsComparable ? 'ids' : input.matched ? 'place' : 'class',
  );
  return {
    files,
    snapshots: digests.map((d, k) => ({
      file: d.file,
      bytes: d.bytes,
      nodes: d.nodeCount,
      totalSize: d.totalSize,
      takenAt: input.times?.[k] ?? null,
    })),
    idsComparable,
    matchedBy: idsComparable ? 'ids' : input.matched ? 'place' : 'class',
    idCheck,
    verdict,
    reason,
    classes,
    findings,
    warnings,
  };
}

/** Shared objects count for each holder that keeps them when at least this much more than it dominates. */
const MIN_SHARED_BYTES = 16 * 1024;

/**
 * What a finding keeps growing, shared objects included: the new objects its holder keeps reachable (reachableNewBytes),
 * scaled from the window they were counted over (first -> before last) to the whole series. When that is clearly
 * more than the dominator tree charges it (another holder keeps the same objects), the finding is judged on it and
 * says so.
 */
function keptGrowth(graph: HeapGraph, holder: number, f: Finding, isNew: Uint8Array, steps: number): Partial<Finding> {
  if (holder === graph.snap.rootIndex) return {};
  const kept = reachableNewBytes(graph, holder, isNew);
  const counts = f.countByStep;
  const grew = counts[counts.length - 1] - counts[0];
  const counted = steps >= 3 ? counts[counts.length - 2] - counts[0] : grew;
  const growth = counted > 0 && grew > counted ? (kept * grew) / counted : kept;
  if (kept < f.newBytes * 1.25 || kept - f.newBytes < MIN_SHARED_BYTES || growth <= f.growthBytes) return {};
  return {
    growthBytes: growth,
    sharedBytes: kept,
    summary: `${f.summary}; keeps ${formatSize(kept)} of new objects, some of them shared with another holder`,
  };
}

/** Does this diff fail a build that fails on leaks of `kinds`? A leak verdict with a material leak of one of them. */
export function failsOn(result: Pick<DiffResult, 'verdict' | 'findings'>, kinds: ReadonlySet<FindingKind>): boolean {
  return result.verdict === 'leak' && result.findings.some((f) => f.status === 'leak' && kinds.has(f.kind));
}

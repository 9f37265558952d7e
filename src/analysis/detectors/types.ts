/**
 * The detector contract. A detector looks at a series of snapshots of one process in two steps, so that only the
 * last snapshot has to stay whole in memory:
 *   collect(snapshot)  -> a small sample, taken while each snapshot is loaded (forward edges only);
 *   judge(samples, ctx) -> findings, with the last snapshot's full graph for paths and retained sizes.
 */
import { libraryHint } from '../places/libraries.js';
import { confidenceOf, severityOf, type Finding, type FindingKind } from '../findings/findings.js';
import type { HeapSnapshot } from '../heap/snapshot.js';
import type { HeapGraph } from '../graph/heap-graph.js';
import { shortLocation } from '../../common/format.js';
import { describeNode, type NodeDescription } from '../places/describe.js';
import { isDependencyFile, packageOf, packageText } from '../places/source.js';
import type { OffHeap } from '../findings/offheap.js';

export interface DetectorFinding extends Finding {
  /** ordinal, in the last snapshot, of the node the finding is about (for de-duplication; not in the JSON) */
  representative: number;
}

export interface JudgeContext {
  last: HeapGraph;
  steps: number;
  /** least growth (first -> last) of a count to report it */
  minGrowth: number;
}

export interface Detector<S> {
  /** names its samples (one kind may have several detectors: closures and closure chains) */
  id: string;
  kind: FindingKind;
  summary: string;
  collect(snap: HeapSnapshot): S;
  judge(samples: S[], ctx: JudgeContext): DetectorFinding[];
  /** the node ids a sample is keyed by (for matching snapshots whose ids differ: match.ts); none if not by id */
  holderIds?(sample: S): Iterable<number>;
  /** the sample with its ids renumbered (`to`: old id -> new id); holders without a new id are dropped */
  rekey?(sample: S, to: ReadonlyMap<number, number>): S;
}

/** A sample keyed `<node id><sep><rest>` (listeners: `id|event`, chains: `id:variable`): its ids, and renumbered. */
export function idKeyedSample(sep: string): {
  holderIds(s: Map<string, number>): number[];
  rekey(s: Map<string, number>, to: ReadonlyMap<number, number>): Map<string, number>;
} {
  const split = (key: string): [number, string] => {
    const i = key.indexOf(sep);
    return [Number(key.slice(0, i)), key.slice(i)];
  };
  return {
    holderIds: (s) => [...s.keys()].map((k) => split(k)[0]),
    rekey: (s, to) => {
      const out = new Map<string, number>();
      for (const [key, n] of s) {
        const [id, rest] = split(key);
        const target = to.get(id);
        if (target !== undefined) out.set(`${target}${rest}`, n);
      }
      return out;
    },
  };
}

/** A count per key, per snapshot: which keys rose (at every step with 3+ snapshots) by at least minGrowth. */
export function risingKeys(samples: Array<Map<string, number>>, minGrowth: number): Array<{ key: string; counts: number[] }> {
  const last = samples[samples.length - 1];
  const out: Array<{ key: string; counts: number[] }> = [];
  for (const [key, n] of last) {
    const counts = samples.map((s) => s.get(key) ?? 0);
    if (n - counts[0] < minGrowth) continue;
    out.push({ key, counts });
  }
  return out;
}

export interface GrowthFacts {
  kind: FindingKind;
  name: string;
  holderClass: string;
  itemClass: string;
  /** the node whose retainer path is shown */
  pathOf: number;
  /** its description, when the detector already made it */
  described?: NodeDescription | null;
  location: Finding['location'];
  countByStep: number[];
  bytesByStep?: number[];
  /** bytes the leaking objects retain in the last snapshot */
  bytes: number;
  /** how much of `bytes` is outside the JS heap (ArrayBuffer backing stores), when that matters */
  offHeap?: OffHeap | null;
  hint: string;
  summary: string;
}

/** The fix for a leak held inside a dependency: the package's own advice when known, where the program owns it. */
export function dependencyHint(
  generic: string,
  pkg: { name: string; version: string | null } | null,
  owner: Finding['location'] | null | undefined,
  path: readonly string[],
): string {
  const where = owner ? ` (your code at ${shortLocation(owner)})` : '';
  const known = pkg ? libraryHint(pkg.name, path) : null;
  if (known) return `${known}${where}`;
  return `${generic.replace(/\.?$/, '')}; it lives in ${pkg ? packageText(pkg) : 'a dependency'}: change how your code ${owner ? `at ${shortLocation(owner)} ` : ''}creates or configures it (a size or TTL option, a bounded set of keys), or upgrade if the package bounds it in a later version`;
}

/**
 * One finding from a count series and the node that shows it, with the shared rules for confidence and severity;
 * null when the series is not growth worth reporting (confidence below 0.5).
 */
export function growthFinding(ctx: JudgeContext, facts: GrowthFacts): DetectorFinding | null {
  const confidence = confidenceOf(facts.countByStep);
  if (confidence < 0.5) return null;
  const d = facts.described !== undefined ? facts.described : describeNode(ctx.last, facts.pathOf);
  const counts = facts.countByStep;
  // "in a dependency" only when the growing objects themselves are declared under node_modules
  const inDependency = facts.location && isDependencyFile(facts.location.file) ? facts.location : null;
  const owner = inDependency ? (d?.owner ?? null) : null;
  const pkg = inDependency ? packageOf(inDependency.file) : null;
  const last = counts[counts.length - 1];
  const ownerText = inDependency
    ? ` (in ${pkg ? packageText(pkg) : 'a dependency'}${owner ? `; owned by ${shortLocation(owner)}` : ''})`
    : '';
  return {
    kind: facts.kind,
    name: facts.name,
    holderClass: facts.holderClass,
    itemClass: facts.itemClass,
    retainerPath: d?.retainerPath ?? [],
    pathText: d?.pathText ?? '',
    location: facts.location,
    owner,
    ...(pkg ? { package: pkg } : {}),
    countByStep: counts,
    bytesByStep: facts.bytesByStep ?? [],
    newObjects: counts[counts.length - 1] - counts[0],
    newBytes: facts.bytes,
    offHeap: facts.offHeap ?? null,
    growthBytes: last > 0 ? (facts.bytes * Math.max(0, last - counts[0])) / last : 0,
    status: 'suspect',
    statusReason: '',
    evidence: [],
    severity: severityOf(confidence, facts.bytes),
    confidence,
    // inside a dependency, the fix is where the program creates or configures it — in the package's own terms when
    // its leaky configurations are known
    hint: inDependency ? dependencyHint(facts.hint, pkg, owner, d?.retainerPath ?? []) : facts.hint,
    summary: facts.summary + ownerText,
    representative: facts.pathOf,
  };
}

/**
 * The soak test's verdict: statistics, not a single comparison.
 *
 *   leak          a finding of a --fail-on kind, not in the baseline, whose growth is steady AND material
 *                 (status `leak`, significance.ts) AND the post-GC heap slope is positive with 95 % confidence and
 *                 at least the drift floor (max(--min-heap-rate, --min-heap-share x median heap) per minute: V8's
 *                 warm-up drift of JIT code and feedback is 0.05-0.1 MB/min); or the slope's 95 % lower bound alone
 *                 exceeds --max-growth (a heap that grows without a named culprit is still a leak);
 *   inconclusive  such a finding, but the heap does not rise materially;
 *   no-leak       otherwise: findings of other kinds, accepted in the baseline, or `watch` items (steady but
 *                 immaterial growth) are reported but do not fail.
 */
import { isAccepted, type Baseline } from '../findings/baseline.js';
import { culpritOf } from '../findings/verdict.js';
import type { DiffResult } from '../diff/diff.js';
import type { Finding, FindingKind, Verdict } from '../findings/findings.js';
import type { Trend } from './trend.js';
import {
  allocationRate,
  memoryTrends,
  MIN_SLOPE_RISE,
  MIN_SLOPE_WINDOW_MS,
  type MemorySample,
  type MemoryTrends,
  type PartTrend,
} from './memory.js';
import { formatBytes, formatRate } from '../../common/format.js';

export { MIN_SLOPE_RISE, MIN_SLOPE_WINDOW_MS } from './memory.js';

export interface SoakJudgement {
  verdict: Verdict;
  reason: string;
  trend: Trend | null;
  /** new findings of a failing kind: these fail the build */
  failing: Finding[];
  /** findings in the baseline */
  accepted: Finding[];
  /** findings of kinds not in --fail-on */
  ignored: Finding[];
  /** steady growth too small to matter (reported, never failing) */
  watch: Finding[];
  /** the heap slope that counts as growth (bytes/min): the drift floor */
  floor: number;
  /** where the memory grows: JS heap, Buffers, other external, native (null without usage samples) */
  memory: MemoryTrends | null;
}

const MB = 1e6;

export interface HeapFloor {
  /** the runtime's drift: a slope under this is not growth that matters (bytes/min) */
  minRate: number;
  /** and under this share of the median post-GC heap per minute (0.001 = 0.1 %/min) */
  minShare: number;
}

/**
 * Below this allocation rate a program is taken as idle: a Node process doing nothing (timers only) allocates a
 * few kB per second (leakscope's own probes included); a service handling even a trickle of requests, far more.
 */
export const IDLE_ALLOCATION_PER_SEC = 50 * 1024;

export const DEFAULT_HEAP_FLOOR: HeapFloor = { minRate: 0.3 * MB, minShare: 0.001 };

/** The slope a heap must exceed to be growing materially: the larger of the two floors. */
export function heapFloor(usage: Array<{ used: number }>, floor: HeapFloor): number {
  const sorted = usage.map((u) => u.used).sort((a, b) => a - b);
  const median = sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0;
  return Math.max(floor.minRate, floor.minShare * median);
}

export function judgeSoak(input: {
  diff: DiffResult | null;
  usage: MemorySample[];
  /** when each snapshot was taken, on the usage samples' clock (what they cost in rss is not the program's) */
  snapshotT?: readonly number[];
  /** the usage is the main thread's: rss (the whole process's) may be judged with it; a worker's may not */
  processWide?: boolean;
  maxGrowth: number;
  floor?: HeapFloor;
  failOn: Set<FindingKind>;
  baseline: Baseline | null;
}): SoakJudgement {
  const findings = input.diff?.findings ?? [];
  const floor = heapFloor(input.usage, input.floor ?? DEFAULT_HEAP_FLOOR);
  const accepted = findings.filter((f) => isAccepted(input.baseline, f));
  const ignored = findings.filter((f) => !accepted.includes(f) && !input.failOn.has(f.kind));
  const failing = findings.filter((f) => !accepted.includes(f) && input.failOn.has(f.kind) && f.status === 'leak');
  const watch = findings.filter((f) => !accepted.includes(f) && input.failOn.has(f.kind) && f.status === 'watch');
  // the verdict names the failing leak that grows most, whatever its kind
  const worst = culpritOf(failing) ?? undefined;
  // every part of the process's memory, judged the same way: Buffers and native memory grow where heapUsed is flat
  const trends = memoryTrends(input.usage, floor, input.maxGrowth, { native: input.processWide ?? true, snapshotT: input.snapshotT });
  const memory = input.usage.length >= 3 ? trends : null;
  // the heap part: its trend, and whether its window is long enough and its rise large enough to judge it alone
  const heap = trends.parts.find((p) => p.part === 'heap') as PartTrend;
  const trend = heap.trend;
  // (native memory is reported, never judged: see memory.ts)
  const judgedOutside = memory?.growing.some((p) => p === 'buffers' || p === 'external') ?? false;
  const whereText = memory?.brief ? `; ${memory.brief}` : '';
  const slopeText = trend
    ? `post-GC heap ${formatRate(trend.slope)} (95% CI ${formatRate(trend.low)} … ${formatRate(trend.high)})`
    : 'too few heap samples for a trend';
  const base = { trend, failing, accepted, ignored, watch, floor, memory };
  // the slope alone (no culprit needed) judges only a window long enough to be past a fresh process's warm-up
  // noise, over which the heap rose by a material amount: six seconds of a --quick run that rise by 0.4 MB
  // extrapolate to "+4 MB/min" on Node 22 while nothing leaks
  const { windowMs } = trends;
  const { rise, judgeable: slopeJudgeable } = heap;
  if (trend && trend.low > input.maxGrowth && slopeJudgeable) {
    const culprit = worst ? `; ${worst.summary}` : `; ${unexplained(input.diff, watch)}`;
    return { ...base, verdict: 'leak', reason: `${slopeText} exceeds --max-growth ${formatRate(input.maxGrowth)}${culprit}${whereText}` };
  }
  // memory outside the JS heap that grows surely faster than --max-growth fails the run by itself too (a culprit
  // found in the snapshots is named first, below)
  const outside = memory?.parts.find((p) => p.part !== 'heap' && p.exceeds);
  const shortWindow =
    trend && trend.low > input.maxGrowth && !slopeJudgeable
      ? `; the heap rose ${formatBytes(rise)} in ${Math.round(windowMs / 1000)} s, too little or too short for ` +
        `the slope alone to fail the run (${MIN_SLOPE_WINDOW_MS / 1000} s and ${formatBytes(MIN_SLOPE_RISE)} ` +
        `at least)`
      : '';
  // the heap must rise with confidence (the interval clears zero) and by more than the runtime's drift
  // (or, for a culprit whose bytes are Buffers, the memory outside the heap does)
  const heapRises = !trend || (trend.low > 0 && trend.slope >= floor);
  const memoryRises = heapRises || judgedOutside;
  if (failing.length > 0) {
    if (memoryRises || outside)
      return {
        ...base,
        verdict: 'leak',
        reason: `${(worst as Finding).summary}; ${whereText ? `${memory?.brief}, while the ` : ''}${slopeText}`,
      };
    const why = trend && trend.low > 0 ? `does not clear the drift floor ${formatRate(floor)}` : 'is not significantly rising';
    return { ...base, verdict: 'inconclusive', reason: `${(worst as Finding).summary}, but the ${slopeText} ${why}` };
  }
  if (memory && outside) {
    return {
      ...base,
      verdict: 'leak',
      reason: `${memory.brief} (95% CI lower bound ${formatRate(outside.trend?.low ?? 0)}) exceeds --max-growth ${formatRate(input.maxGrowth)}, while the ${slopeText}; ${memory.text}`,
    };
  }
  // a program that did next to no work (nothing drove it) passes nothing: a soak that saw no work is inconclusive
  const allocated = allocationRate(input.usage);
  // (the main thread's: a worker that waits for work while the main thread serves is fine)
  if ((input.processWide ?? true) && allocated !== null && allocated < IDLE_ALLOCATION_PER_SEC && input.usage.length >= 3) {
    return {
      ...base,
      verdict: 'inconclusive',
      reason:
        `the program did next to no work during the watch (it allocated ${formatBytes(allocated)}/s beyond leakscope's ` +
        `own probes): nothing seems to drive it — add --load '<a load generator>' (or check that its traffic ` +
        `reaches it); a soak that saw no work is not a pass`,
    };
  }
  const rest = accepted.length ? ` (${accepted.length} accepted in the baseline)` : '';
  const watchText = watch.length
    ? `; watch: ${watch[0].name} (${watch[0].holderClass || watch[0].kind}) ${watch[0].countByStep.join(' → ')}, ${watch[0].statusReason}${watch.length > 1 ? ` (+${watch.length - 1} more)` : ''}`
    : '';
  return { ...base, verdict: 'no-leak', reason: `no material leak finding; ${slopeText}${rest}${watchText}${shortWindow}` };
}

/**
 * A heap that grows with no material finding, said once with what was looked at: the steady items too small on
 * their own, the classes that grew at every snapshot, or that nothing in the snapshots grew steadily.
 */
export function unexplained(diff: DiffResult | null, watch: Finding[]): string {
  if (!diff) return 'no holder explains it: no snapshots were compared';
  const looked = `${diff.snapshots.length} snapshots compared`;
  if (!diff.idsComparable) return `no holder explains it: the snapshots' object ids are not comparable (${looked}; per-class counts only)`;
  if (watch.length > 0) {
    const w = watch[0];
    return `no holder explains it on its own (${looked}): the largest steady one, ${w.name} (${w.holderClass || w.kind}) ${w.countByStep.join(' → ')}, ${w.statusReason}`;
  }
  const steady = diff.classes.filter((c) => c.monotonic && c.deltaBytes > 0 && !c.name.startsWith('(')).slice(0, 3);
  if (steady.length > 0)
    return `no holder explains it (${looked}); classes that grew at every snapshot: ${steady.map((c) => `${c.name} ${c.countByStep.join(' → ')}`).join(', ')}`;
  return `no holder explains it (${looked}): no object of the program's grew at every snapshot; the growth may be V8's own (code, feedback) or outside what the snapshots compare`;
}

/** One isolate's judgement, for a process watched with its worker threads. */
export interface IsolateJudgement {
  /** "main thread", `worker 1 "pool" (/srv/pool.mjs)` */
  label: string;
  main: boolean;
  judgement: SoakJudgement;
}

/**
 * The run's verdict over every isolate: a leak if any isolate leaks (the main thread first), else inconclusive if
 * any is, else no leak. A worker's findings keep their numbers; their summary says which worker they are in, so
 * JUnit, SARIF and the baseline can tell them apart. The trend and the floor are the main thread's.
 */
export function mergeIsolateJudgements(parts: IsolateJudgement[]): SoakJudgement {
  const main = parts.find((p) => p.main) ?? parts[0];
  const tag = (p: IsolateJudgement, fs: Finding[]) => (p.main ? fs : fs.map((f) => ({ ...f, summary: `in ${p.label}: ${f.summary}` })));
  const all = (key: 'failing' | 'accepted' | 'ignored' | 'watch') => parts.flatMap((p) => tag(p, p.judgement[key]));
  const decisive = parts.find((p) => p.judgement.verdict === 'leak') ?? parts.find((p) => p.judgement.verdict === 'inconclusive') ?? main;
  const others = parts.length > 1;
  return {
    verdict: decisive.judgement.verdict,
    reason:
      others && !(decisive === main && decisive.judgement.verdict === 'no-leak')
        ? `${decisive.label}: ${decisive.judgement.reason}`
        : decisive.judgement.reason,
    trend: main.judgement.trend,
    failing: all('failing'),
    accepted: all('accepted'),
    ignored: all('ignored'),
    watch: all('watch'),
    floor: main.judgement.floor,
    memory: main.judgement.memory,
  };
}

/**
 * Where a process's memory grows: the JS heap, ArrayBuffers (Buffers), other memory V8 is told about, or native
 * memory that none of these explain. Each series of the usage samples (process.memoryUsage(): heapUsed,
 * arrayBuffers, external, rss) gets its own least-squares trend, judged by the same rules as the heap's:
 *
 *   rising    the slope's 95 % interval clears zero and the slope is at least the drift floor;
 *   judgeable over a measured window of MIN_SLOPE_WINDOW_MS in which it rose by MIN_SLOPE_RISE at least;
 *   exceeds   judgeable, and the interval's lower bound is above --max-growth: growth that fails a run by itself.
 *
 * Native memory (rss - heapTotal - external) is measured and explained, never judged: taking a heap snapshot raises
 * a healthy process's rss by megabytes that the allocator keeps (a 40-second soak of a healthy upload service
 * measured +15 MB/min of it), so it cannot tell a leak from our own footprint.
 *
 * The parts are disjoint: `external` includes `arrayBuffers`, so "other external" is external - arrayBuffers;
 * "native, unexplained" is rss - heapTotal - external (what the allocator, native add-ons, zlib, TLS and thread
 * stacks hold, and fragmentation).
 */
import { heapTrend, type Trend } from './trend.js';
import { formatBytes, formatRate } from '../../common/format.js';

export const MIN_SLOPE_WINDOW_MS = 30_000;
export const MIN_SLOPE_RISE = 1e6;

/** One usage sample as the capture records it (bytes; ms since the capture began). */
export interface MemorySample {
  t: number;
  used: number;
  /** the rest are absent from recorded heap-only series (and arrayBuffers from a Node that does not report it) */
  total?: number;
  external?: number;
  arrayBuffers?: number;
  rss?: number;
  /** heapUsed just before this sample's GC (a soak's samples): what was allocated since the previous GC */
  usedBeforeGc?: number;
}

/**
 * How much the program allocated per second over a series of post-GC samples that also say the heap before their
 * GC: the garbage it made between collections (what it kept shows in the trend). Null when the samples do not say.
 *
 * Robust to leakscope's own doings: each interval's allocation is counted less what one usage probe allocates in
 * the target (PROBE_ALLOCATION), intervals shorter than MIN_INTERVAL_MS (the one right after a snapshot) are left
 * out, and the rate is the median interval's, so that one burst of V8's own (a snapshot, a statistics call that
 * compiles) does not make an idle program look busy — nor one quiet moment a busy one idle.
 */
export function allocationRate(usage: MemorySample[]): number | null {
  const rates: number[] = [];
  for (let k = 1; k < usage.length; k++) {
    const before = usage[k].usedBeforeGc;
    if (before === undefined) return null;
    const ms = usage[k].t - usage[k - 1].t;
    if (ms < MIN_INTERVAL_MS) continue;
    rates.push((Math.max(0, before - usage[k - 1].used - PROBE_ALLOCATION) / ms) * 1000);
  }
  if (rates.length === 0) return null;
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)] as number;
}

/** What one usage probe (an evaluation in the target, then its answer) allocates on the target's heap, about. */
export const PROBE_ALLOCATION = 24 * 1024;
/** Intervals shorter than this say little about a rate (a sample right after a snapshot's own). */
const MIN_INTERVAL_MS = 250;

export type MemoryPart = 'heap' | 'buffers' | 'external' | 'native';

export const PART_LABEL: Record<MemoryPart, string> = {
  heap: 'JS heap (heapUsed)',
  buffers: 'Buffers and ArrayBuffers outside the JS heap (arrayBuffers)',
  external: 'other memory V8 is told about (external - arrayBuffers)',
  native: 'native memory none of these explain (rss - heapTotal - external)',
};

export interface PartTrend {
  part: MemoryPart;
  trend: Trend | null;
  /** bytes it rose over the measured window (by the fit) */
  rise: number;
  rising: boolean;
  judgeable: boolean;
  /** its growth alone fails a run (the lower bound is above --max-growth) */
  exceeds: boolean;
}

export interface MemoryTrends {
  windowMs: number;
  parts: PartTrend[];
  /** rss, for the record */
  rss: Trend | null;
  /** the parts that rise: the judged ones (heap, buffers, external) by slope, largest first, then native */
  growing: MemoryPart[];
  /** "the growth is in Buffers outside the JS heap: …" — one sentence with the numbers and what it usually means */
  text: string;
  /** "Buffers outside the JS heap +3.10 MB/min (arrayBuffers)" for a verdict's reason; '' when only the heap grows */
  brief: string;
  /**
   * what leakscope's own snapshots cost the process: the rss it gained across them (the allocator keeps what the
   * snapshot's native graph took), bytes; the native part above is measured without it. 0 when not known
   */
  snapshotCost: number;
}

const VALUE: Record<MemoryPart, (s: MemorySample) => number> = {
  heap: (s) => s.used,
  buffers: (s) => s.arrayBuffers ?? 0,
  external: (s) => (s.external ?? 0) - (s.arrayBuffers ?? 0),
  native: (s) => (s.rss ?? 0) - (s.total ?? 0) - (s.external ?? 0),
};

/** Does every sample have what the part is computed from? */
const MEASURED: Record<MemoryPart, (s: MemorySample) => boolean> = {
  heap: () => true,
  buffers: (s) => s.arrayBuffers !== undefined,
  external: (s) => s.external !== undefined,
  native: (s) => s.rss !== undefined && s.total !== undefined && s.external !== undefined,
};

const MEANING: Record<MemoryPart, string> = {
  heap: 'objects on the JS heap',
  buffers: 'Buffers (or typed arrays) kept alive — the heap snapshots name their holder',
  external: 'native objects bound to JS objects (zlib, crypto, add-on handles) kept alive',
  native:
    'memory outside V8 altogether: a native add-on or a library allocating with malloc (zlib streams, TLS ' +
    'contexts, sharp/canvas images) that is never freed or closed, or allocator fragmentation (glibc arenas: ' +
    'try MALLOC_ARENA_MAX=2 or jemalloc); heap snapshots cannot see it, and taking them raises rss too, so ' +
    "this part is reported, never judged — watch the pod's rss without leakscope attached to confirm it",
};

/**
 * The rss a process gained across each snapshot (first sample after it minus last sample before it, when it rose):
 * leakscope's own cost, not the program's growth. Returns the total and the samples with it taken out of their rss.
 */
export function withoutSnapshotCost(usage: MemorySample[], snapshotT: readonly number[]): { cost: number; usage: MemorySample[] } {
  if (snapshotT.length === 0 || usage.some((s) => s.rss === undefined)) return { cost: 0, usage };
  const jumps = snapshotT.map((t) => {
    const before = [...usage].reverse().find((s) => s.t <= t);
    const after = usage.find((s) => s.t > t);
    return before && after ? Math.max(0, (after.rss ?? 0) - (before.rss ?? 0)) : 0;
  });
  const cost = jumps.reduce((a, b) => a + b, 0);
  const adjusted = usage.map((s) => {
    let taken = 0;
    snapshotT.forEach((t, k) => {
      if (s.t > t) taken += jumps[k];
    });
    return taken > 0 ? { ...s, rss: (s.rss ?? 0) - taken } : s;
  });
  return { cost, usage: adjusted };
}

/** The trend of each part of the process's memory, judged against the drift floor and --max-growth. */
export function memoryTrends(
  usage: MemorySample[],
  floor: number,
  maxGrowth: number,
  opts: { native: boolean; snapshotT?: readonly number[] } = { native: true },
): MemoryTrends {
  // leakscope's snapshots raise rss by themselves: the native part is measured without what they added
  const { cost: snapshotCost, usage: ownUsage } = opts.native ? withoutSnapshotCost(usage, opts.snapshotT ?? []) : { cost: 0, usage };
  const windowMs = usage.length >= 2 ? usage[usage.length - 1].t - usage[0].t : 0;
  const parts: PartTrend[] = [];
  for (const part of ['heap', 'buffers', 'external', 'native'] as const) {
    if (!usage.every(MEASURED[part])) continue;
    // a worker's usage: rss is the whole process's, so rss - this isolate's heap is not this isolate's native memory
    if (part === 'native' && !opts.native) continue;
    const trend = heapTrend((part === 'native' ? ownUsage : usage).map((s) => [s.t, VALUE[part](s)]));
    const rise = trend ? (trend.slope * windowMs) / 60_000 : 0;
    const rising = !!trend && trend.low > 0 && trend.slope >= floor;
    const judgeable = windowMs >= MIN_SLOPE_WINDOW_MS && rise >= MIN_SLOPE_RISE;
    const judged = part !== 'native';
    parts.push({ part, trend, rise, rising, judgeable, exceeds: judged && rising && judgeable && !!trend && trend.low > maxGrowth });
  }
  const rss = opts.native && usage.every((s) => s.rss !== undefined) ? heapTrend(usage.map((s) => [s.t, s.rss ?? 0])) : null;
  // judged parts first (largest slope first), then native: rss also rises with the Buffers' own churn
  // (freed bodies leave the allocator's pages resident), so a native slope beside growing Buffers is not the story
  const growing = parts
    .filter((p) => p.rising)
    .sort((a, b) => Number(a.part === 'native') - Number(b.part === 'native') || (b.trend?.slope ?? 0) - (a.trend?.slope ?? 0))
    .map((p) => p.part);
  // the verdict's words: the judged part outside the heap that grows most
  const top = parts.find((p) => p.part === growing.find((g) => g === 'buffers' || g === 'external'));
  const brief = top ? `${BRIEF[top.part]} ${formatRate(top.trend?.slope ?? 0)}` : '';
  return { windowMs, parts, rss, growing, text: whereText(parts, growing, windowMs, snapshotCost), brief, snapshotCost };
}

/**
 * What each part of the memory did, in one sentence that states numbers and never a verdict (the verdict is the
 * findings' and the heap slope's, said elsewhere): the part that rises most with what it usually means, the others'
 * rates, and what leakscope's own snapshots cost.
 */
function whereText(parts: PartTrend[], growing: MemoryPart[], windowMs: number, snapshotCost: number): string {
  const judged = growing.filter((g) => g !== 'native');
  const top = judged[0];
  // a few seconds say how much each part moved, not how fast: a 1-second change per minute is no rate
  const short = windowMs < MIN_SLOPE_WINDOW_MS;
  const signed = (bytes: number) => `${bytes >= 0 ? '+' : '-'}${formatBytes(Math.abs(bytes))}`;
  const amount = (p: PartTrend) => (short ? signed(p.rise) : formatRate(p.trend?.slope ?? 0));
  // the other parts' rates (or changes), the flat ones left out (a column of "+0.00 MB/min" says nothing)
  const moving = parts.filter(
    (p) => p.part !== top && p.trend && (short ? Math.abs(p.rise) >= FLAT_CHANGE : Math.abs(p.trend.slope) >= FLAT_RATE),
  );
  const rates = moving.map((p) => `${shortLabel(p.part)} ${amount(p)}`).join(', ');
  const over = `over ${Math.round(windowMs / 1000)} s${short ? ' (too short for a rate)' : ''}`;
  const cost =
    snapshotCost >= 1e6 ? `; leakscope's snapshots added ${formatBytes(snapshotCost)} to rss (their own cost, left out of native)` : '';
  if (top === undefined) {
    const native = growing.includes('native') && !short ? `; native memory rises by itself: ${MEANING.native}` : '';
    return `${rates || 'every part flat'} ${over}${cost}${native}`;
  }
  const p = parts.find((x) => x.part === top) as PartTrend;
  // the JS heap needs no gloss; the parts outside it say what usually makes them grow
  const meaning = top === 'heap' ? '' : `, usually ${MEANING[top]}`;
  const rise = short ? `rose ${signed(p.rise)}` : `rises ${formatRate(p.trend?.slope ?? 0)} (+${formatBytes(p.rise)})`;
  return `${PART_LABEL[top]} ${rise}${meaning}${rates ? `; ${rates}` : ''} ${over}${cost}`;
}

/** A part moving less than this (bytes/min) is flat, and left out of the sentence. */
const FLAT_RATE = 10_000;
/** and, over a window too short for a rate, a part that moved less than this (bytes) */
const FLAT_CHANGE = 10_000;

const BRIEF: Record<MemoryPart, string> = {
  heap: 'JS heap',
  buffers: 'memory grows outside the JS heap, in Buffers: arrayBuffers',
  external: 'memory grows outside the JS heap: external (not ArrayBuffers)',
  native: 'memory grows outside V8 (native, unexplained): rss - heapTotal - external',
};

function shortLabel(part: MemoryPart): string {
  return { heap: 'JS heap', buffers: 'Buffers', external: 'other external', native: 'native' }[part];
}

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
import { formatBytes, formatRate } from '../format.js';

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
}

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
    "memory outside V8 altogether: a native add-on or a library allocating with malloc (zlib streams, TLS contexts, sharp/canvas images) that is never freed or closed, or allocator fragmentation (glibc arenas: try MALLOC_ARENA_MAX=2 or jemalloc); heap snapshots cannot see it, and taking them raises rss too, so this part is reported, never judged — watch the pod's rss without leakscope attached to confirm it",
};

/** The trend of each part of the process's memory, judged against the drift floor and --max-growth. */
export function memoryTrends(usage: MemorySample[], floor: number, maxGrowth: number, opts: { native: boolean } = { native: true }): MemoryTrends {
  const windowMs = usage.length >= 2 ? usage[usage.length - 1].t - usage[0].t : 0;
  const parts: PartTrend[] = [];
  for (const part of ['heap', 'buffers', 'external', 'native'] as const) {
    if (!usage.every(MEASURED[part])) continue;
    // a worker's usage: rss is the whole process's, so rss - this isolate's heap is not this isolate's native memory
    if (part === 'native' && !opts.native) continue;
    const trend = heapTrend(usage.map((s) => [s.t, VALUE[part](s)]));
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
  return { windowMs, parts, rss, growing, text: whereText(parts, growing, rss, windowMs), brief };
}

function whereText(parts: PartTrend[], growing: MemoryPart[], rss: Trend | null, windowMs: number): string {
  const rates = parts.map((p) => `${shortLabel(p.part)} ${p.trend ? formatRate(p.trend.slope) : '?'}`).join(', ');
  const rssText = rss ? `; rss ${formatRate(rss.slope)}` : '';
  if (growing.length === 0) return `no part of the process's memory rises materially (${rates}${rssText})`;
  const top = growing[0];
  const p = parts.find((x) => x.part === top) as PartTrend;
  const others = growing.slice(1).map((g) => shortLabel(g));
  const over = `+${formatBytes(p.rise)} in ${Math.round(windowMs / 1000)} s`;
  return `the growth is in ${PART_LABEL[top]}, ${formatRate(p.trend?.slope ?? 0)} (${over})${others.length ? `, and in ${others.join(', ')}` : ''}: usually ${MEANING[top]} (${rates}${rssText})`;
}

const BRIEF: Record<MemoryPart, string> = {
  heap: 'JS heap',
  buffers: 'memory grows outside the JS heap, in Buffers: arrayBuffers',
  external: 'memory grows outside the JS heap: external (not ArrayBuffers)',
  native: 'memory grows outside V8 (native, unexplained): rss - heapTotal - external',
};

function shortLabel(part: MemoryPart): string {
  return { heap: 'JS heap', buffers: 'Buffers', external: 'other external', native: 'native' }[part];
}

/**
 * Practical significance: a finding that grew steadily is a *leak* only when its growth also matters.
 *
 * Statistics answer "is the growth real" (a count that rose above its previous peak at every one of 3+ snapshots,
 * a heap slope whose confidence interval clears zero). They do not answer "does it matter": a bounded cache that
 * wobbles up 3 % across five snapshots, or V8's warm-up drift of 0.05–0.1 MB/min, are real and harmless. So a
 * steady finding must also pass, on its own numbers:
 *
 *   relative growth  grew by at least `minRelative` (10 %) of its size at the first snapshot: a bounded cache wobbles
 *                    in proportion to its size, an unbounded one keeps adding. A long-lived process attached for a
 *                    short window can fall under this; the watch item says so and how to tell (watch longer);
 *   rate             its bytes grew by at least `minRate` (64 kB/min) when the snapshots' times are known (their
 *                    files' modification times span at least a second). Timers and listeners are judged by count
 *                    (each one costs CPU or an event dispatch whatever its size), not by bytes.
 *
 * A steady finding that fails either is a `watch` item: reported with its numbers, never a failing verdict.
 * The heap's own slope (run) must clear the runtime's drift floor as well as zero (see soak.ts).
 */
import type { Finding } from './findings.js';
import { KINDS } from './kinds.js';
import { formatPercent as pct, formatSmallRate as kB } from '../../common/format.js';

export interface SignificanceOptions {
  /** least growth first -> last as a share of the first value (0.1 = 10 %) */
  minRelative: number;
  /** least growth of a finding's bytes, per minute (bytes/min); 0 turns the rate floor off */
  minRate: number;
}

export const DEFAULT_SIGNIFICANCE: SignificanceOptions = { minRelative: 0.1, minRate: 64 * 1024 };

export interface Significance {
  /** growth first -> last divided by the first value (Infinity from zero) */
  relativeGrowth: number;
  /** the finding's bytes growth per minute, or null when the snapshots' times are unknown */
  bytesPerMinute: number | null;
  /** the window the rate is taken over, ms (null when unknown) */
  windowMs: number | null;
  material: boolean;
  /** why it is not material ('' when it is) */
  reason: string;
}

/** Snapshot times (ms) span at least this much before a per-minute rate is trusted. */
const MIN_WINDOW_MS = 1000;

export function windowOf(times: Array<number | null> | undefined): number | null {
  if (!times || times.length < 2) return null;
  const first = times[0];
  const last = times[times.length - 1];
  if (first === null || last === null || !Number.isFinite(first) || !Number.isFinite(last)) return null;
  const span = last - first;
  return span >= MIN_WINDOW_MS ? span : null;
}

export function significanceOf(
  f: Pick<Finding, 'kind' | 'countByStep' | 'growthBytes'>,
  windowMs: number | null,
  opts: SignificanceOptions = DEFAULT_SIGNIFICANCE,
): Significance {
  const counts = f.countByStep;
  const first = counts[0] ?? 0;
  const last = counts[counts.length - 1] ?? 0;
  const growth = last - first;
  const relativeGrowth = first > 0 ? growth / first : growth > 0 ? Number.POSITIVE_INFINITY : 0;
  const bytesPerMinute = windowMs !== null ? (f.growthBytes / windowMs) * 60000 : null;
  const reasons: string[] = [];
  if (relativeGrowth < opts.minRelative) {
    reasons.push(
      `grew ${pct(relativeGrowth)} of its size, within the wobble of a bounded cache (floor ${pct(opts.minRelative)}); watch longer to tell`,
    );
  }
  if (!KINDS[f.kind].byCount && bytesPerMinute !== null && opts.minRate > 0 && bytesPerMinute < opts.minRate) {
    reasons.push(`adds ${kB(bytesPerMinute)}, below the ${kB(opts.minRate)} floor`);
  }
  return { relativeGrowth, bytesPerMinute, windowMs, material: reasons.length === 0, reason: reasons.join('; ') };
}

/** A finding's status: a steady one (3+ snapshots, every step) is a leak when material, else a watch item. */
export function withStatus<F extends Finding>(f: F, windowMs: number | null, opts: SignificanceOptions): F {
  if (f.confidence < 0.9) return { ...f, status: 'suspect', statusReason: '' };
  const s = significanceOf(f, windowMs, opts);
  return { ...f, status: s.material ? 'leak' : 'watch', statusReason: s.reason, severity: s.material ? f.severity : 'low' };
}

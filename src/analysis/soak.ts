/**
 * The soak test's verdict: statistics, not a single comparison.
 *
 *   leak          a finding of a --fail-on kind, not in the baseline, rose at every snapshot AND the post-GC heap
 *                 slope is positive with 95 % confidence; or the slope's 95 % lower bound alone exceeds
 *                 --max-growth (a heap that grows without a named culprit is still a leak);
 *   inconclusive  such a finding, but the heap slope is not significantly positive;
 *   no-leak       otherwise (findings of other kinds, or accepted in the baseline, are reported but do not fail).
 */
import { isAccepted, type Baseline } from './baseline.js';
import type { DiffResult } from './diff.js';
import type { Finding, FindingKind, Verdict } from './findings.js';
import { heapTrend, type Trend } from './trend.js';

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
}

export const ALL_KINDS: FindingKind[] = ['growing-collection', 'timer', 'listener', 'closure', 'pending-promise', 'class-growth'];

const MB = 1e6;

/** "1MB/min", "500kB/min", "2 MB/h", "10kB/s" -> bytes per minute. */
export function parseRate(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)?\s*\/\s*(s|sec|m|min|h|hour)\s*$/i.exec(text);
  if (!m) return null;
  const unit = (m[2] ?? 'b').toLowerCase();
  const mult: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };
  const per = m[3].toLowerCase();
  const perMinute = per.startsWith('s') ? 60 : per.startsWith('h') ? 1 / 60 : 1;
  return Number(m[1]) * mult[unit] * perMinute;
}

export function formatRate(bytesPerMin: number): string {
  return `${bytesPerMin >= 0 ? '+' : ''}${(bytesPerMin / MB).toFixed(2)} MB/min`;
}

export function judgeSoak(input: {
  diff: DiffResult | null;
  usage: Array<{ t: number; used: number }>;
  maxGrowth: number;
  failOn: Set<FindingKind>;
  baseline: Baseline | null;
}): SoakJudgement {
  const trend = heapTrend(input.usage.map((u) => [u.t, u.used]));
  const findings = input.diff?.findings ?? [];
  const accepted = findings.filter((f) => isAccepted(input.baseline, f));
  const ignored = findings.filter((f) => !accepted.includes(f) && !input.failOn.has(f.kind));
  const failing = findings.filter((f) => !accepted.includes(f) && input.failOn.has(f.kind) && f.confidence >= 0.9);
  const slopeText = trend ? `post-GC heap ${formatRate(trend.slope)} (95% CI ${formatRate(trend.low)} … ${formatRate(trend.high)})` : 'too few heap samples for a trend';
  if (trend && trend.low > input.maxGrowth) {
    const culprit = failing[0] ? `; ${failing[0].summary}` : '';
    return { verdict: 'leak', reason: `${slopeText} exceeds --max-growth ${formatRate(input.maxGrowth)}${culprit}`, trend, failing, accepted, ignored };
  }
  if (failing.length > 0) {
    if (!trend || trend.low > 0) return { verdict: 'leak', reason: `${failing[0].summary}; ${slopeText}`, trend, failing, accepted, ignored };
    return { verdict: 'inconclusive', reason: `${failing[0].summary}, but the ${slopeText} is not significantly rising`, trend, failing, accepted, ignored };
  }
  const rest = accepted.length ? ` (${accepted.length} accepted in the baseline)` : '';
  return { verdict: 'no-leak', reason: `no new leak finding; ${slopeText}${rest}`, trend, failing, accepted, ignored };
}

/**
 * The heap's trend over a soak: an ordinary least-squares slope of post-GC heap used against time, with a 95 %
 * confidence interval (Student's t), so that a sawtooth or a flat heap after warm-up does not read as growth.
 */

export interface Trend {
  samples: number;
  /** bytes per minute */
  slope: number;
  /** 95 % confidence bounds of the slope, bytes per minute */
  low: number;
  high: number;
  /** the fit's first and last predicted values, bytes */
  start: number;
  end: number;
}

// two-sided 97.5 % quantiles of Student's t for 1..30 degrees of freedom
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086,
  2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export function tQuantile975(df: number): number {
  if (df < 1) return Number.POSITIVE_INFINITY;
  return df <= 30 ? T975[df - 1] : 1.96 + 2.4 / df;
}

/** points: [ms, bytes]. Null with fewer than 3 points. */
export function heapTrend(points: Array<[number, number]>): Trend | null {
  const n = points.length;
  if (n < 3) return null;
  const xs = points.map(([t]) => t / 60000);
  const ys = points.map(([, y]) => y);
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - mx) ** 2;
    sxy += (xs[i] - mx) * (ys[i] - my);
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (ys[i] - (intercept + slope * xs[i])) ** 2;
  const se = Math.sqrt(sse / (n - 2) / sxx);
  const margin = tQuantile975(n - 2) * se;
  return {
    samples: n,
    slope,
    low: slope - margin,
    high: slope + margin,
    start: intercept + slope * xs[0],
    end: intercept + slope * xs[n - 1],
  };
}

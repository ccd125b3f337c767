/**
 * Whether a curve sampled during a soak is flat: exact counts (tensors) by the least-squares slope of
 * the last half; RSS by its peaks, because it rises and falls with garbage collection (see
 * src/cli/bench-soak.ts).
 */

/** The samples these functions read: `requests` done when the sample was taken, and the measures. */
export interface CurveSample {
  requests: number;
}

/** RSS peaks: the highest sample of each half of the run after warm-up (see src/cli/bench-soak.ts). */
export interface PeakTrend {
  firstPeakMB: number;
  lastPeakMB: number;
  /** lastPeakMB − firstPeakMB */
  growth: number;
  /** The least-squares slope of the last half, per 1000 requests, for information only. */
  slopePer1000: number;
  tolerance: number;
  flat: boolean;
}

export interface Trend {
  /** Least-squares slope over the last half, per 1000 requests. */
  slopePer1000: number;
  /** slope × requests spanned by the last half. */
  drift: number;
  tolerance: number;
  flat: boolean;
}

/** Slope of y over x by least squares; 0 for fewer than two points. */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** The trend of `y` over the last half of the samples. */
export function trend<S extends CurveSample>(samples: S[], y: (s: S) => number, tolerance: number): Trend {
  const half = samples.slice(Math.floor(samples.length / 2));
  const xs = half.map((s) => s.requests);
  const k = slope(
    xs,
    half.map((s) => y(s)),
  );
  const span = xs.length > 1 ? xs[xs.length - 1] - xs[0] : 0;
  const drift = k * span;
  return {
    slopePer1000: round(k * 1000, 3),
    drift: round(drift, 2),
    tolerance: round(tolerance, 2),
    flat: drift <= tolerance,
  };
}

/** Peak growth of `y` between the two halves of the samples after the first fifth (warm-up). */
export function peakTrend<S extends CurveSample>(
  samples: S[],
  y: (s: S) => number,
  tolerance: number,
): PeakTrend {
  const settled = samples.slice(Math.floor(samples.length / 5));
  const middle = Math.floor(settled.length / 2);
  if (middle === 0) throw new Error(`a peak trend needs at least 3 samples, got ${samples.length}`);
  const peak = (part: S[]) => Math.max(...part.map(y));
  const firstPeak = peak(settled.slice(0, middle));
  const lastPeak = peak(settled.slice(middle));
  const growth = lastPeak - firstPeak;
  return {
    firstPeakMB: round(firstPeak, 1),
    lastPeakMB: round(lastPeak, 1),
    growth: round(growth, 1),
    slopePer1000: trend(samples, y, tolerance).slopePer1000,
    tolerance: round(tolerance, 2),
    flat: growth <= tolerance,
  };
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

import { expect } from 'chai';

import { peakTrend, trend } from '../src/bench/trend.js';

/** 40 samples, 500 requests apart, of a GC sawtooth (rises 60 MB over 5 samples, then falls) plus `leakPer1000`. */
function sawtooth(leakPer1000: number) {
  return Array.from({ length: 40 }, (_, i) => ({
    requests: i * 500,
    rssMB: 540 + 12 * (i % 5) + (leakPer1000 * i * 500) / 1000,
  }));
}

describe('soak curves (src/bench/trend.ts)', () => {
  it('a GC sawtooth without a leak is flat by its peaks, though a line through its last half may rise', () => {
    const samples = sawtooth(0);
    // the last half starts on a low point and ends on a high one: a least-squares line sees growth
    const line = trend(samples.slice(0, 30), (s) => s.rssMB, 16);
    expect(line.flat, `drift ${line.drift} MB`).to.equal(false);
    const peaks = peakTrend(samples, (s) => s.rssMB, 16);
    expect(peaks).to.include({ firstPeakMB: 588, lastPeakMB: 588, growth: 0, flat: true });
  });

  it('the same sawtooth leaking 2 MB per 1000 requests is growing', () => {
    const peaks = peakTrend(sawtooth(2), (s) => s.rssMB, 16);
    // peaks: sample 19 (first half after warm-up) and sample 39 → 20 samples × 500 requests × 2 MB/1000
    expect(peaks.growth).to.be.closeTo(20, 1e-9);
    expect(peaks.flat).to.equal(false);
  });

  it('tensors: an exact count that grows by one every 1000 requests is not flat', () => {
    const samples = Array.from({ length: 20 }, (_, i) => ({ requests: i * 1000, tensors: 46 + i }));
    const t = trend(samples, (s) => s.tensors, 1);
    expect(t.slopePer1000).to.equal(1);
    expect(t.flat).to.equal(false);
    expect(trend(samples, () => 46, 1)).to.include({ slopePer1000: 0, drift: 0, flat: true });
  });

  it('refuses too few samples', () => {
    expect(() => peakTrend([{ requests: 0 }], () => 1, 1)).to.throw('needs at least 3 samples, got 1');
  });
});

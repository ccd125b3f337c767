/**
 * Training curves as inline SVG, computed on the server (no client-side charting under the CSP) and drawn
 * by views/partials/chart.ejs: nice axis ticks, scaling into the plot area, thinning of long series.
 */
import { round } from './format.js';
import type { MetricPoint, TrainingMetrics } from './model-info.js';

export interface ChartSeries {
  name: string;
  cls: string;
  d: string;
  dots: { cx: number; cy: number; label: string }[];
}

export interface Chart {
  id: string;
  title: string;
  yLabel: string;
  width: number;
  height: number;
  plot: { x: number; y: number; w: number; h: number };
  xTicks: { x: number; label: string }[];
  yTicks: { y: number; label: string }[];
  series: ChartSeries[];
}

function niceStep(range: number, target: number): number {
  const raw = range / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag;
}

function ticks(min: number, max: number, target: number): number[] {
  if (max <= min) max = min + 1;
  const step = niceStep(max - min, target);
  const out: number[] = [];
  // From the last tick at or below min to the first at or above max, so every point is inside the plot.
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  for (let k = first; k <= last; k++) out.push(Number((k * step).toPrecision(12)));
  return out;
}

function fmtTick(v: number): string {
  if (Math.abs(v) >= 1000) return `${Number((v / 1000).toPrecision(3))}k`;
  return String(Number(v.toPrecision(3)));
}

/** Bucket-average a long series down to at most `max` points (training loss is logged often). */
function thin(points: MetricPoint[], max: number): MetricPoint[] {
  if (points.length <= max) return points;
  const per = Math.ceil(points.length / max);
  const out: MetricPoint[] = [];
  for (let i = 0; i < points.length; i += per) {
    const b = points.slice(i, i + per);
    out.push({ step: b[b.length - 1].step, value: b.reduce((a, p) => a + p.value, 0) / b.length });
  }
  return out;
}

export function lineChart(
  id: string,
  title: string,
  yLabel: string,
  series: { name: string; cls: string; points: MetricPoint[]; dots: boolean }[],
): Chart | undefined {
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return undefined;
  const width = 640;
  const height = 260;
  const plot = { x: 52, y: 16, w: width - 52 - 16, h: height - 16 - 40 };
  const xs = ticks(0, Math.max(...all.map((p) => p.step)), 6);
  const yMinRaw = Math.min(...all.map((p) => p.value));
  const yMaxRaw = Math.max(...all.map((p) => p.value));
  const ys = ticks(Math.min(0, yMinRaw), yMaxRaw, 5);
  const [x0, x1] = [xs[0], xs[xs.length - 1]];
  const [y0, y1] = [ys[0], ys[ys.length - 1]];
  const sx = (v: number) => round(plot.x + ((v - x0) / (x1 - x0 || 1)) * plot.w, 1);
  const sy = (v: number) => round(plot.y + plot.h - ((v - y0) / (y1 - y0 || 1)) * plot.h, 1);
  return {
    id,
    title,
    yLabel,
    width,
    height,
    plot,
    xTicks: xs.map((v) => ({ x: sx(v), label: fmtTick(v) })),
    yTicks: ys.map((v) => ({ y: sy(v), label: fmtTick(v) })),
    series: series
      .filter((s) => s.points.length > 0)
      .map((s) => {
        const pts = thin(s.points, 300);
        return {
          name: s.name,
          cls: s.cls,
          d: pts.map((p, i) => `${i ? 'L' : 'M'}${sx(p.step)},${sy(p.value)}`).join(''),
          dots: s.dots
            ? pts.map((p) => ({
                cx: sx(p.step),
                cy: sy(p.value),
                label: `${s.name} at step ${p.step}: ${p.value.toFixed(2)}`,
              }))
            : [],
        };
      }),
  };
}

/** The model page's two charts (loss; validation BLEU and chrF), leaving out any without points. */
export function trainingCharts(m: TrainingMetrics): Chart[] {
  return [
    lineChart('loss', 'Loss', 'cross-entropy per token', [
      { name: 'training loss', cls: 's1', points: m.trainLoss, dots: false },
      { name: 'validation loss', cls: 's2', points: m.validLoss, dots: true },
    ]),
    lineChart('bleu', 'Validation scores', 'score (0–100)', [
      { name: 'BLEU', cls: 's1', points: m.bleu, dots: true },
      { name: 'chrF', cls: 's3', points: m.chrf, dots: true },
    ]),
  ].filter((c): c is Chart => c !== undefined);
}

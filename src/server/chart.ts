/**
 * Training curves as inline SVG, computed on the server (no client-side charting under the CSP) and drawn
 * by views/partials/chart.ejs: nice axis ticks, scaling into the plot area, thinning of long series.
 *
 * An SVG scales its text with its width, so one drawing cannot be readable both on a 1280 px screen and
 * on a 390 px phone: each chart comes in two layouts, `wide` (640 units) and `narrow` (340 units, fewer
 * ticks), and the stylesheet shows the one that fits, so tick labels stay at 10 px or more on screen.
 * The x axis ends at the last logged step (its last tick is the last round number before it), not at the
 * next round number: a run that stopped at 20.5k steps is not drawn as if it had gone to 25k.
 */
import { round } from './format.js';
import type { MetricPoint, TrainingMetrics } from './model-info.js';

export interface ChartSeries {
  name: string;
  cls: string;
  d: string;
  dots: { cx: number; cy: number; label: string }[];
}

export interface ChartLayout {
  name: 'wide' | 'narrow';
  width: number;
  height: number;
  /** Plot margins: left (y tick labels), right, top, bottom (x tick labels and axis title). */
  margin: { left: number; right: number; top: number; bottom: number };
  /** Roughly how many ticks to aim for on each axis. */
  xTicks: number;
  yTicks: number;
}

export const CHART_LAYOUTS: Record<ChartLayout['name'], ChartLayout> = {
  wide: {
    name: 'wide',
    width: 640,
    height: 260,
    margin: { left: 52, right: 16, top: 16, bottom: 40 },
    xTicks: 6,
    yTicks: 5,
  },
  narrow: {
    name: 'narrow',
    width: 340,
    height: 240,
    margin: { left: 44, right: 12, top: 12, bottom: 40 },
    xTicks: 3,
    yTicks: 4,
  },
};

export interface Chart {
  id: string;
  /** The element id's stem: `id` for the wide layout, `id-narrow` for the narrow one. */
  domId: string;
  layout: ChartLayout['name'];
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

/** Nice tick values inside [min, max] (the axis ends at the data, not at a round number beyond it). */
function ticksWithin(min: number, max: number, target: number): number[] {
  if (max <= min) max = min + 1;
  const step = niceStep(max - min, target);
  const out: number[] = [];
  const first = Math.ceil(min / step - 1e-9);
  const last = Math.floor(max / step + 1e-9);
  for (let k = first; k <= last; k++) out.push(Number((k * step).toPrecision(12)));
  return out;
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
  layout: ChartLayout = CHART_LAYOUTS.wide,
): Chart | undefined {
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return undefined;
  const { width, height, margin: m } = layout;
  const plot = { x: m.left, y: m.top, w: width - m.left - m.right, h: height - m.top - m.bottom };
  const xMax = Math.max(...all.map((p) => p.step));
  const [x0, x1] = [0, xMax > 0 ? xMax : 1];
  const xs = ticksWithin(x0, x1, layout.xTicks);
  const yMinRaw = Math.min(...all.map((p) => p.value));
  const yMaxRaw = Math.max(...all.map((p) => p.value));
  const ys = ticks(Math.min(0, yMinRaw), yMaxRaw, layout.yTicks);
  const [y0, y1] = [ys[0], ys[ys.length - 1]];
  const sx = (v: number) => round(plot.x + ((v - x0) / (x1 - x0 || 1)) * plot.w, 1);
  const sy = (v: number) => round(plot.y + plot.h - ((v - y0) / (y1 - y0 || 1)) * plot.h, 1);
  return {
    id,
    domId: layout.name === 'wide' ? id : `${id}-${layout.name}`,
    layout: layout.name,
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
export function trainingCharts(m: TrainingMetrics, layout: ChartLayout = CHART_LAYOUTS.wide): Chart[] {
  return [
    lineChart(
      'loss',
      'Loss',
      'cross-entropy per token',
      [
        { name: 'training loss', cls: 's1', points: m.trainLoss, dots: false },
        { name: 'validation loss', cls: 's2', points: m.validLoss, dots: true },
      ],
      layout,
    ),
    lineChart(
      'bleu',
      'Validation scores',
      'score (0–100)',
      [
        { name: 'BLEU', cls: 's1', points: m.bleu, dots: true },
        { name: 'chrF', cls: 's3', points: m.chrf, dots: true },
      ],
      layout,
    ),
  ].filter((c): c is Chart => c !== undefined);
}

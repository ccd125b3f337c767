/**
 * The web page and JSON API, as an Express app without a listening socket (src/cli/serve.ts listens;
 * tests drive it with supertest).
 *
 *   GET  /                 translate page (views/index.ejs)
 *   POST /                 the same page with a result, rendered server-side (works without JavaScript)
 *   GET  /model            model page (views/model.ejs): languages, size, corpus, scores, training curves
 *   POST /api/translate    JSON API
 *   GET  /api/health       liveness, model summary, backend, live tensors
 *
 * Every error is `{ error: { code, message, field? } }` with a 4xx status on the API, or the page
 * re-rendered with the message; stack traces never leave the process. Translation happens in the
 * TranslationService (worker threads in production): this module only handles plain data.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { rateLimit } from 'express-rate-limit';
import type { Logger } from 'pino';
import { pharaoh, wordAlignment } from '../translate/alignment.js';
import type { Translation, TranslationHypothesis } from '../translate/translator.js';
import type { ModelConfig } from '../model/config.js';
import { ServiceClosedError, type ServiceInfo, type TranslationService } from './pool.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The project root: two levels up from src/server, three from a compiled dist/src/server. */
const ROOT =
  [path.resolve(HERE, '../..'), path.resolve(HERE, '../../..')].find((d) =>
    fs.existsSync(path.join(d, 'views', 'index.ejs')),
  ) ?? path.resolve(HERE, '../..');
const VIEWS_DIR = path.join(ROOT, 'views');
const PUBLIC_DIR = path.join(ROOT, 'public');

// ---------------------------------------------------------------------------------------------------------
// Options

export interface Limits {
  /** Characters per text, after whitespace clean-up (default 500). */
  maxChars: number;
  /** Texts per API request (default 64). */
  maxTexts: number;
  /** Characters over all texts of one request (default 8000). */
  maxTotalChars: number;
  /** Largest beam (default 10). */
  maxBeam: number;
  /** Request body size limit, bytes or a string such as '64kb' (default '64kb'). */
  bodyLimit: string | number;
  /** Translation requests (page + API) per client per window; max 0 disables the limiter. */
  rateLimit: { windowMs: number; max: number };
}

export const DEFAULT_LIMITS: Limits = {
  maxChars: 500,
  maxTexts: 64,
  maxTotalChars: 8000,
  maxBeam: 10,
  bodyLimit: '64kb',
  rateLimit: { windowMs: 60_000, max: 60 },
};

export interface MetricPoint {
  step: number;
  value: number;
}

export interface TrainingMetrics {
  trainLoss: MetricPoint[];
  validLoss: MetricPoint[];
  bleu: MetricPoint[];
  chrf: MetricPoint[];
}

/** Everything the pages show about the model: plain data, no tensors. */
export interface ModelInfo {
  srcLang: string;
  tgtLang: string;
  parameters: number;
  backend: string;
  model: ModelConfig;
  /** config.json `info`: corpus, step, validBleu, testBleu, testChrf, elapsedSeconds, … */
  info: Record<string, unknown>;
  metrics?: TrainingMetrics;
}

export interface AppOptions {
  pool: TranslationService;
  modelInfo: ModelInfo;
  limits?: Partial<Limits>;
  log?: Logger;
  /** Express 'trust proxy' setting, so rate limiting sees client addresses behind a reverse proxy. */
  trustProxy?: boolean | number | string;
}

/** Model info from a service plus the optional `metrics.jsonl` in the model directory. */
export function loadModelInfo(service: ServiceInfo): ModelInfo {
  const c = service.config;
  return {
    srcLang: c.srcLang,
    tgtLang: c.tgtLang,
    parameters: service.parameters,
    backend: service.backend,
    model: c.model,
    info: c.info,
    metrics: readMetrics(path.join(service.dir, 'metrics.jsonl')),
  };
}

/** Parse a trainer metrics log (JSON lines); unknown events and malformed lines are skipped. */
export function readMetrics(file: string): TrainingMetrics | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const m: TrainingMetrics = { trainLoss: [], validLoss: [], bleu: [], chrf: [] };
  const push = (list: MetricPoint[], step: unknown, value: unknown) => {
    if (typeof step === 'number' && typeof value === 'number' && Number.isFinite(value))
      list.push({ step, value });
  };
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (e.event === 'train') push(m.trainLoss, e.step, e.loss);
    if (e.event === 'valid') {
      push(m.validLoss, e.step, e.validLoss);
      push(m.bleu, e.step, e.bleu);
      push(m.chrf, e.step, e.chrf);
    }
  }
  return m;
}

// ---------------------------------------------------------------------------------------------------------
// Errors

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

function errorBody(e: HttpError) {
  return { error: { code: e.code, message: e.message, ...(e.field ? { field: e.field } : {}) } };
}

/** Body-parser and other middleware errors → HttpError; anything unknown is a 500 with a generic message. */
function toHttpError(err: unknown, limits: Limits): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof ServiceClosedError)
    return new HttpError(503, 'unavailable', 'The server is shutting down.');
  const e = err as { type?: string; status?: number; statusCode?: number; message?: string };
  switch (e.type) {
    case 'entity.too.large':
      return new HttpError(
        413,
        'payload_too_large',
        `The request body exceeds the ${limits.bodyLimit} limit.`,
      );
    case 'entity.parse.failed':
      return new HttpError(400, 'invalid_json', 'The request body is not valid JSON.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError(415, 'unsupported_media_type', e.message ?? 'Unsupported content encoding.');
    case 'request.aborted':
      return new HttpError(400, 'request_aborted', 'The request was aborted.');
  }
  const status = e.status ?? e.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new HttpError(status, 'bad_request', 'The request could not be processed.');
  }
  return new HttpError(500, 'internal_error', 'Internal server error.');
}

// ---------------------------------------------------------------------------------------------------------
// API request validation

export interface ApiRequest {
  texts: string[];
  single: boolean;
  beam: number;
  nbest?: number;
  alignments: boolean;
}

const API_FIELDS = new Set(['text', 'texts', 'beam', 'nbest', 'alignments']);

function invalid(field: string, message: string): HttpError {
  return new HttpError(400, 'invalid_field', message, field);
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/** Validate a /api/translate body; errors name the field and, for limits, the limit. */
export function parseApiRequest(body: unknown, limits: Limits): ApiRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(
      400,
      'invalid_body',
      'The request body must be a JSON object such as {"text": "Hello"}.',
    );
  }
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) {
    if (!API_FIELDS.has(k)) {
      throw new HttpError(
        400,
        'unknown_field',
        `Unknown field "${k}"; expected ${[...API_FIELDS].join(', ')}.`,
        k,
      );
    }
  }
  let texts: string[];
  let single: boolean;
  if (b.text !== undefined && b.texts !== undefined) {
    throw invalid('texts', 'Send either "text" or "texts", not both.');
  } else if (b.text !== undefined) {
    if (typeof b.text !== 'string') throw invalid('text', '"text" must be a string.');
    texts = [b.text];
    single = true;
  } else if (b.texts !== undefined) {
    if (!Array.isArray(b.texts)) throw invalid('texts', '"texts" must be an array of strings.');
    if (b.texts.length === 0) throw invalid('texts', '"texts" must not be empty.');
    if (b.texts.length > limits.maxTexts) {
      throw new HttpError(
        422,
        'too_many_texts',
        `"texts" has ${b.texts.length} items; the limit is ${limits.maxTexts} per request.`,
        'texts',
      );
    }
    b.texts.forEach((t, i) => {
      if (typeof t !== 'string') throw invalid(`texts[${i}]`, `"texts[${i}]" must be a string.`);
    });
    texts = b.texts as string[];
    single = false;
  } else {
    throw new HttpError(
      400,
      'missing_field',
      'Missing field "text" (a string) or "texts" (an array of strings).',
      'text',
    );
  }
  let total = 0;
  texts.forEach((t, i) => {
    const field = single ? 'text' : `texts[${i}]`;
    const n = [...t.trim()].length;
    if (n === 0) throw invalid(field, `"${field}" is empty.`);
    if (n > limits.maxChars) {
      throw new HttpError(
        422,
        'text_too_long',
        `"${field}" is ${n} characters long; the limit is ${limits.maxChars} characters per text.`,
        field,
      );
    }
    total += n;
  });
  if (total > limits.maxTotalChars) {
    throw new HttpError(
      422,
      'request_too_long',
      `The texts hold ${total} characters in all; the limit is ${limits.maxTotalChars} per request.`,
      'texts',
    );
  }
  const beam = b.beam ?? 1;
  if (!isInt(beam) || beam < 1 || beam > limits.maxBeam) {
    throw invalid('beam', `"beam" must be an integer from 1 to ${limits.maxBeam}.`);
  }
  let nbest: number | undefined;
  if (b.nbest !== undefined) {
    if (!isInt(b.nbest) || b.nbest < 1) throw invalid('nbest', '"nbest" must be a positive integer.');
    if (b.nbest > beam) throw invalid('nbest', `"nbest" (${b.nbest}) must not exceed "beam" (${beam}).`);
    nbest = b.nbest;
  }
  if (b.alignments !== undefined && typeof b.alignments !== 'boolean') {
    throw invalid('alignments', '"alignments" must be true or false.');
  }
  return { texts, single, beam, nbest, alignments: b.alignments === true };
}

// ---------------------------------------------------------------------------------------------------------
// View models

const round = (x: number, digits = 4) => Number(x.toFixed(digits));

export interface HeatmapCell {
  level: number;
  text: string;
  label: string;
}

export interface Heatmap {
  id: string;
  caption: string;
  cols: string[];
  rows: string[];
  cells: HeatmapCell[][];
}

/** Shade bucket 0–10 for a weight in [0, 1] (CSS classes w0…w10: no inline styles under the CSP). */
function level(w: number): number {
  return Math.max(0, Math.min(10, Math.round(w * 10)));
}

function heatmap(
  id: string,
  caption: string,
  cols: string[],
  rows: string[],
  m: readonly (readonly number[])[],
) {
  return {
    id,
    caption,
    cols,
    rows,
    cells: rows.map((r, i) =>
      cols.map((c, j) => {
        const w = m[i]?.[j] ?? 0;
        return {
          level: level(w),
          text: w.toFixed(2).replace(/^0\./, '.'),
          label: `${r} ← ${c}: ${w.toFixed(2)}`,
        };
      }),
    ),
  } satisfies Heatmap;
}

export interface PageResult {
  source: string;
  translation: string;
  ms: number;
  beam: number;
  nbest: { text: string; score: string; logProb: string }[];
  word?: Heatmap;
  subword?: Heatmap;
  pharaoh: string;
  links: { source: string; target: string }[];
}

function pageResult(t: Translation, beam: number, ms: number): PageResult {
  const best = t.hypotheses[0];
  const result: PageResult = {
    source: t.source,
    translation: best?.text ?? '',
    ms,
    beam,
    nbest: t.hypotheses.map((h) => ({
      text: h.text,
      score: h.score.toFixed(3),
      logProb: h.logProb.toFixed(3),
    })),
    pharaoh: '',
    links: [],
  };
  if (best && t.sourceTokens && best.tokens && best.attention) {
    const wa = wordAlignment(t.sourceTokens, best.tokens, best.attention);
    if (wa.targetWords.length > 0 && wa.sourceWords.length > 0) {
      result.word = heatmap('words', 'Word alignment', wa.sourceWords, wa.targetWords, wa.matrix);
      result.pharaoh = pharaoh(wa.links);
      result.links = wa.links.map(([s, tg]) => ({ source: wa.sourceWords[s], target: wa.targetWords[tg] }));
    }
    const rows = best.attention.map((_, i) => best.tokens?.[i] ?? '</s>');
    result.subword = heatmap('subwords', 'Subword attention', t.sourceTokens, rows, best.attention);
  }
  return result;
}

function apiAlignment(t: Translation, h: TranslationHypothesis) {
  if (!t.sourceTokens || !h.tokens || !h.attention) return undefined;
  const wa = wordAlignment(t.sourceTokens, h.tokens, h.attention);
  return {
    sourceTokens: t.sourceTokens,
    targetTokens: [...h.tokens, '</s>'].slice(0, h.attention.length),
    attention: h.attention.map((row) => row.map((x) => round(x))),
    sourceWords: wa.sourceWords,
    targetWords: wa.targetWords,
    wordMatrix: wa.matrix.map((row) => row.map((x) => round(x))),
    pharaoh: pharaoh(wa.links),
  };
}

const LANGUAGE_NAMES = new Intl.DisplayNames(['en'], { type: 'language' });

export function languageName(code: string): string {
  try {
    return LANGUAGE_NAMES.of(code) ?? code;
  } catch {
    return code;
  }
}

// --- Charts (inline SVG, computed here, drawn by views/partials/chart.ejs) --------------------------------

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

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function modelPageData(mi: ModelInfo) {
  const m = mi.metrics;
  const charts = m
    ? [
        lineChart('loss', 'Loss', 'cross-entropy per token', [
          { name: 'training loss', cls: 's1', points: m.trainLoss, dots: false },
          { name: 'validation loss', cls: 's2', points: m.validLoss, dots: true },
        ]),
        lineChart('bleu', 'Validation scores', 'score (0–100)', [
          { name: 'BLEU', cls: 's1', points: m.bleu, dots: true },
          { name: 'chrF', cls: 's3', points: m.chrf, dots: true },
        ]),
      ].filter((c): c is Chart => c !== undefined)
    : [];
  const evals = m
    ? m.bleu.map((b) => ({
        step: b.step,
        validLoss: m.validLoss.find((p) => p.step === b.step)?.value,
        bleu: b.value,
        chrf: m.chrf.find((p) => p.step === b.step)?.value,
      }))
    : [];
  const i = mi.info;
  const elapsed = num(i.elapsedSeconds);
  return {
    charts,
    evals,
    corpus: typeof i.corpus === 'string' ? i.corpus : undefined,
    untrained: i.untrained === true,
    testBleu: num(i.testBleu),
    testChrf: num(i.testChrf),
    validBleu: num(i.validBleu),
    steps: num(i.step),
    elapsed: elapsed === undefined ? undefined : formatDuration(elapsed),
  };
}

function formatDuration(s: number): string {
  const h = Math.floor(s / 3600);
  const min = Math.round((s % 3600) / 60);
  return h > 0 ? `${h} h ${min} min` : `${Math.max(1, min)} min`;
}

// ---------------------------------------------------------------------------------------------------------
// The app

export function createApp(opts: AppOptions): express.Express {
  const limits: Limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const { pool, modelInfo, log } = opts;
  const started = Date.now();
  const app = express();

  app.set('views', VIEWS_DIR);
  app.set('view engine', 'ejs');
  app.set('trust proxy', opts.trustProxy ?? false);
  app.disable('x-powered-by');

  app.locals.site = {
    srcName: languageName(modelInfo.srcLang),
    tgtName: languageName(modelInfo.tgtLang),
    srcLang: modelInfo.srcLang,
    tgtLang: modelInfo.tgtLang,
  };
  app.locals.limits = limits;

  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          baseUri: ["'self'"],
          scriptSrc: ["'self'"],
          scriptSrcAttr: ["'none'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          fontSrc: ["'self'"],
          connectSrc: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          objectSrc: ["'none'"],
        },
      },
      // Served over plain HTTP on a LAN as often as behind TLS: do not pin HTTPS from here.
      strictTransportSecurity: false,
    }),
  );

  if (log) {
    app.use((req, res, next) => {
      const t0 = performance.now();
      res.on('finish', () => {
        log.debug({
          method: req.method,
          url: req.originalUrl,
          status: res.statusCode,
          ms: round(performance.now() - t0, 1),
        });
      });
      next();
    });
  }

  app.use(express.static(PUBLIC_DIR, { maxAge: '10m', index: false }));

  const limiter =
    limits.rateLimit.max > 0
      ? rateLimit({
          windowMs: limits.rateLimit.windowMs,
          limit: limits.rateLimit.max,
          standardHeaders: 'draft-7',
          legacyHeaders: false,
          handler: (req, res) => {
            const retry = Math.ceil(limits.rateLimit.windowMs / 1000);
            const e = new HttpError(
              429,
              'rate_limited',
              `Too many requests: the limit is ${limits.rateLimit.max} translations per ${retry} s per client. Try again later.`,
            );
            if (isApi(req)) res.status(429).json(errorBody(e));
            else renderIndex(res, 429, { form: formState(req), error: e.message });
          },
        })
      : (_req: Request, _res: Response, next: NextFunction) => next();

  // --- Pages ----------------------------------------------------------------------------------------------

  interface FormState {
    text: string;
    beam: number;
  }

  const formState = (req: Request): FormState => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const beam = Number(b.beam);
    return {
      text: typeof b.text === 'string' ? b.text : '',
      beam: Number.isInteger(beam) && beam >= 1 && beam <= limits.maxBeam ? beam : 5,
    };
  };

  const renderIndex = (
    res: Response,
    status: number,
    data: { form?: FormState; error?: string; result?: PageResult },
  ) => {
    res.status(status).render('index', {
      page: 'translate',
      title: 'Translate',
      form: data.form ?? { text: '', beam: 5 },
      error: data.error,
      result: data.result,
      beams: Array.from({ length: limits.maxBeam }, (_, i) => i + 1),
    });
  };

  app.get('/', (_req, res) => renderIndex(res, 200, {}));

  app.post(
    '/',
    (req, _res, next) => {
      if (!req.is('application/x-www-form-urlencoded')) {
        next(
          new HttpError(
            415,
            'unsupported_media_type',
            'The form must be sent as application/x-www-form-urlencoded.',
          ),
        );
      } else next();
    },
    express.urlencoded({ extended: false, limit: limits.bodyLimit, parameterLimit: 20 }),
    limiter,
    async (req, res) => {
      const form = formState(req);
      const b = (req.body ?? {}) as Record<string, unknown>;
      const beamRaw = b.beam === undefined ? '5' : String(b.beam);
      if (!/^\d+$/.test(beamRaw) || Number(beamRaw) < 1 || Number(beamRaw) > limits.maxBeam) {
        return renderIndex(res, 400, {
          form,
          error: `Beam size must be a whole number from 1 to ${limits.maxBeam}.`,
        });
      }
      const n = [...form.text.trim()].length;
      if (n === 0) return renderIndex(res, 400, { form, error: 'Enter some text to translate.' });
      if (n > limits.maxChars) {
        return renderIndex(res, 422, {
          form,
          error: `The text is ${n} characters long; the limit is ${limits.maxChars} characters.`,
        });
      }
      const beam = Number(beamRaw);
      const t0 = performance.now();
      const [t] = await pool.translate([form.text], { beam, nbest: beam, withAttention: true });
      const ms = Math.round(performance.now() - t0);
      renderIndex(res, 200, { form, result: pageResult(t, beam, ms) });
    },
  );

  app.get('/model', (_req, res) => {
    res.render('model', {
      page: 'model',
      title: 'Model',
      mi: modelInfo,
      d: modelPageData(modelInfo),
    });
  });

  // --- API ------------------------------------------------------------------------------------------------

  app.get('/api/health', (_req, res) => {
    const s = pool.stats?.();
    res.json({
      status: 'ok',
      model: { srcLang: modelInfo.srcLang, tgtLang: modelInfo.tgtLang, parameters: modelInfo.parameters },
      backend: modelInfo.backend,
      uptimeSeconds: Math.round((Date.now() - started) / 1000),
      ...(s
        ? { tensors: s.tensors, workers: s.workers, queued: s.queued, batches: s.batches, texts: s.texts }
        : {}),
      rssBytes: process.memoryUsage.rss(),
    });
  });

  app.post(
    '/api/translate',
    limiter,
    (req, _res, next) => {
      if (!req.is('application/json')) {
        next(new HttpError(415, 'unsupported_media_type', 'Content-Type must be application/json.'));
      } else next();
    },
    express.json({ limit: limits.bodyLimit, strict: false }),
    async (req, res) => {
      const r = parseApiRequest(req.body, limits);
      const t0 = performance.now();
      const out = await pool.translate(r.texts, {
        beam: r.beam,
        nbest: r.nbest ?? 1,
        withAttention: r.alignments,
      });
      const ms = round(performance.now() - t0, 1);
      res.json({
        translations: out.map((t) => {
          const best = t.hypotheses[0];
          return {
            source: t.source,
            translation: best?.text ?? '',
            score: best ? round(best.score) : 0,
            ...(r.nbest !== undefined
              ? { nbest: t.hypotheses.map((h) => ({ text: h.text, score: round(h.score) })) }
              : {}),
            ...(r.alignments && best ? { alignment: apiAlignment(t, best) } : {}),
          };
        }),
        backend: modelInfo.backend,
        ms,
      });
    },
  );

  app.all('/api/translate', (_req, res) => {
    res.set('Allow', 'POST');
    res.status(405).json(errorBody(new HttpError(405, 'method_not_allowed', 'Use POST /api/translate.')));
  });

  // --- Fallbacks ------------------------------------------------------------------------------------------

  app.use((req, _res, next) => {
    next(new HttpError(404, 'not_found', `No route for ${req.method} ${req.path}.`));
  });

  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const e = toHttpError(err, limits);
    if (e.status >= 500) log?.error({ err, url: req.originalUrl }, 'request failed');
    if (isApi(req)) {
      res.status(e.status).json(errorBody(e));
    } else if (req.method === 'POST' && req.path === '/') {
      renderIndex(res, e.status, { form: formState(req), error: e.message });
    } else if (req.accepts(['json', 'html']) === 'html') {
      res.status(e.status).render('partials/error-page', { page: 'error', title: `Error ${e.status}`, e });
    } else {
      res.status(e.status).json(errorBody(e));
    }
  });

  return app;
}

function isApi(req: Request): boolean {
  return req.path.startsWith('/api/') || req.path === '/api';
}

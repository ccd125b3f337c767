/**
 * The HTML pages: the translate page (GET /, and POST / which renders the result server-side so the page
 * works without JavaScript), its "Check a translation" mode (GET /check, POST /check: the forced alignment
 * of a translation the user typed) and the model page (GET /model: languages, size, corpora and licences
 * from the model's metadata, scores, curves). Form errors are thrown as HttpErrors and re-rendered on
 * their form by the final error handler.
 */
import express, { type Request, type Response } from 'express';
import type { RouteContext } from './route-context.js';
import { CHART_LAYOUTS, trainingCharts } from './chart.js';
import { finite, formatDuration } from './format.js';
import { corporaOf, linkableSource, type ModelInfo } from './model-info.js';
import { parseCheckForm, parseFormRequest, requireContentType, type Limits } from './validation.js';
import { checkResult, pageResult, type CheckResult, type PageResult } from './view-model.js';
import { isRecord } from '../util/records.js';

interface FormState {
  text: string;
  beam: number;
}

/** The form as submitted, for showing it again: any text, and the beam if it is valid (else 5). */
function formState(req: Request, limits: Limits): FormState {
  const b = (req.body ?? {}) as Record<string, unknown>;
  const beam = Number(b.beam);
  return {
    text: typeof b.text === 'string' ? b.text : '',
    beam: Number.isInteger(beam) && beam >= 1 && beam <= limits.maxBeam ? beam : 5,
  };
}

function renderIndex(
  res: Response,
  limits: Limits,
  status: number,
  data: { form?: FormState; error?: string; result?: PageResult },
): void {
  res.status(status).render('index', {
    page: 'translate',
    title: 'Translate',
    form: data.form ?? { text: '', beam: 5 },
    error: data.error,
    result: data.result,
    beams: Array.from({ length: limits.maxBeam }, (_, i) => i + 1),
  });
}

interface CheckFormState {
  source: string;
  target: string;
  pretokenized: boolean;
}

/** The check form as submitted (POST body) or prefilled from a link (GET query): any texts. */
function checkFormState(fields: unknown): CheckFormState {
  const b = (fields ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    source: str(b.source),
    target: str(b.target),
    pretokenized: b.pretokenized === 'on' || b.pretokenized === 'true',
  };
}

function renderCheck(
  res: Response,
  status: number,
  data: { form: CheckFormState; error?: string; result?: CheckResult },
): void {
  res.status(status).render('check', {
    page: 'check',
    title: 'Check a translation',
    form: data.form,
    error: data.error,
    result: data.result,
  });
}

/** The form that was posted (translate or check) again, with its fields and an error message. */
export function renderFormError(
  req: Request,
  res: Response,
  limits: Limits,
  status: number,
  message: string,
): void {
  if (req.path === '/check') renderCheck(res, status, { form: checkFormState(req.body), error: message });
  else renderIndex(res, limits, status, { form: formState(req, limits), error: message });
}

interface ScoreRow {
  set: string;
  role: 'test' | 'validation';
  bleu: number;
  chrf?: number;
  sentences?: number;
  how: string;
}

/** `evaluate`'s name for the held-out part of the first training corpus, shortened to what the card calls it. */
const SPLIT_SET = /^test split of /;

/** What a search was: "greedy", "beam 5", plus "all references" when every reference of a source counted. */
function searchLabel(beam: number | undefined, refs: unknown): string {
  const how = beam && beam > 1 ? `beam ${beam}` : 'greedy';
  return refs === 'var' ? `${how}, all references` : how;
}

/**
 * Every scored data set of config.json's info, test sets first: `tests` (the --test files, written when
 * training ends), `scores` (the `evaluate --json` records `export-model --scores` keeps: any file, any
 * search), `testBleu`/`testChrf` (the held-out split, as the model card records it, when `scores` does
 * not score it) and `validation` (each validation set at the chosen step). A `scores` record of a file the
 * model validated on (`corpora`, role `valid`) is listed as validation: it was not unseen when the
 * checkpoint was chosen.
 */
export function scoreRows(i: Record<string, unknown>): ScoreRow[] {
  const rows: ScoreRow[] = [];
  const record = (v: unknown): Record<string, unknown> | undefined => (isRecord(v) ? v : undefined);
  // `tests` and `validation` hold { sets: { name: { bleu, chrf, sentences } } }.
  const setRows = (v: unknown, role: ScoreRow['role'], how: string): ScoreRow[] => {
    const s = record(record(v)?.sets) ?? {};
    return Object.entries(s).flatMap(([set, raw]) => {
      const sc = record(raw) ?? {};
      const bleu = finite(sc.bleu);
      return bleu === undefined
        ? []
        : [{ set, role, bleu, chrf: finite(sc.chrf), sentences: finite(sc.sentences), how }];
    });
  };
  rows.push(...setRows(i.tests, 'test', searchLabel(finite(record(i.tests)?.beam), 1)));
  const validNames = new Set(
    corporaOf(i)
      .filter((c) => c.role === 'valid')
      .map((c) => c.name),
  );
  const recorded: ScoreRow[] = [];
  for (const sc of (Array.isArray(i.scores) ? i.scores : []).map(record)) {
    const bleu = finite(sc?.bleu);
    if (!sc || bleu === undefined || typeof sc.testSet !== 'string') continue;
    // The corpus's held-out test part; its validation part is also named 'split' in corpora. A record of a
    // several-set evaluate has the set's short name beside the file (scoreRecords).
    const testSplit = SPLIT_SET.test(sc.testSet);
    const set = testSplit ? 'split' : typeof sc.name === 'string' ? sc.name : sc.testSet;
    const how = searchLabel(finite(sc.beam), sc.referencesPerSentence);
    if (rows.some((r) => r.set === set && r.how === how)) continue;
    const role = !testSplit && validNames.has(set) ? 'validation' : 'test';
    recorded.push({ set, role, bleu, chrf: finite(sc.chrf), sentences: finite(sc.sentences), how });
  }
  // Stable sort: the tests before the validation files, each in the order they were recorded.
  rows.push(...recorded.filter((r) => r.role === 'test'));
  const testBleu = finite(i.testBleu);
  if (testBleu !== undefined && !rows.some((r) => r.set === 'split'))
    rows.push({ set: 'split', role: 'test', bleu: testBleu, chrf: finite(i.testChrf), how: 'as recorded' });
  rows.push(...recorded.filter((r) => r.role === 'validation'));
  rows.push(...setRows(i.validation, 'validation', 'greedy'));
  return rows;
}

/** What views/model.ejs shows beyond ModelInfo itself: charts, the evaluation table, a summary. */
function modelPageData(mi: ModelInfo) {
  const m = mi.metrics;
  const charts = m ? trainingCharts(m) : [];
  // The same charts drawn for phones; CSS shows one set or the other (chart.ts).
  const narrowCharts = m ? trainingCharts(m, CHART_LAYOUTS.narrow) : [];
  const evals = m
    ? m.bleu.map((b) => ({
        step: b.step,
        validLoss: m.validLoss.find((p) => p.step === b.step)?.value,
        bleu: b.value,
        chrf: m.chrf.find((p) => p.step === b.step)?.value,
      }))
    : [];
  const i = mi.info;
  const elapsed = finite(i.elapsedSeconds);
  const scores = scoreRows(i);
  // The headline is a file from outside the training data when there is one: the random split of the
  // training file scores far higher than new sentences do.
  const tests = scores.filter((r) => r.role === 'test');
  const headline = tests.find((r) => r.set !== 'split') ?? tests[0];
  return {
    charts,
    narrowCharts,
    evals,
    corpora: corporaOf(i).map((c) => ({ ...c, href: linkableSource(c.source) })),
    untrained: i.untrained === true,
    scores,
    headline: headline && { ...headline, label: `${headline.set}, ${headline.how}` },
    validBleu: finite(i.validBleu),
    steps: finite(i.step),
    elapsed: elapsed === undefined ? undefined : formatDuration(elapsed),
    // A fine-tuned model counts its steps from its warm start: say so, or "3,000 steps" reads as all.
    continuesEarlierModel: i.warmStartFrom !== undefined,
  };
}

export function pageRoutes({ pool, modelInfo, limits, limiter }: RouteContext): express.Router {
  const router = express.Router();

  router.get('/', (_req, res) => renderIndex(res, limits, 200, {}));

  router.post(
    '/',
    requireContentType(
      'application/x-www-form-urlencoded',
      'The form must be sent as application/x-www-form-urlencoded.',
    ),
    express.urlencoded({ extended: false, limit: limits.bodyLimit, parameterLimit: 20 }),
    limiter,
    async (req, res) => {
      const { text, beam } = parseFormRequest(req.body, limits);
      const t0 = performance.now();
      const [t] = await pool.translate([text], { beam, nbest: beam, withAttention: true });
      const ms = Math.round(performance.now() - t0);
      renderIndex(res, limits, 200, { form: formState(req, limits), result: pageResult(t, beam, ms) });
    },
  );

  router.get('/check', (req, res) => renderCheck(res, 200, { form: checkFormState(req.query) }));

  router.post(
    '/check',
    requireContentType(
      'application/x-www-form-urlencoded',
      'The form must be sent as application/x-www-form-urlencoded.',
    ),
    express.urlencoded({ extended: false, limit: limits.bodyLimit, parameterLimit: 20 }),
    limiter,
    async (req, res) => {
      const r = parseCheckForm(req.body, limits);
      const t0 = performance.now();
      const [a] = await pool.align([{ source: r.source, target: r.target }], {
        pretokenized: r.pretokenized,
      });
      const ms = Math.round(performance.now() - t0);
      renderCheck(res, 200, { form: checkFormState(req.body), result: checkResult(a, ms) });
    },
  );

  router.get('/model', (_req, res) => {
    res.render('model', { page: 'model', title: 'Model', mi: modelInfo, d: modelPageData(modelInfo) });
  });

  return router;
}

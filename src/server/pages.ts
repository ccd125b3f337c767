/**
 * The HTML pages: the translate page (GET /, and POST / which renders the result server-side so the page
 * works without JavaScript) and the model page (GET /model: languages, size, corpus, scores, curves).
 * Form errors are thrown as HttpErrors and re-rendered on the form by the final error handler.
 */
import express, { type Request, type Response } from 'express';
import type { RouteContext } from './app.js';
import { trainingCharts } from './chart.js';
import { finite, formatDuration } from './format.js';
import type { ModelInfo } from './model-info.js';
import { parseFormRequest, requireContentType, type Limits } from './validation.js';
import { pageResult, type PageResult } from './view-model.js';

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

/** The translate page again, with the submitted form and an error message. */
export function renderFormError(
  req: Request,
  res: Response,
  limits: Limits,
  status: number,
  message: string,
): void {
  renderIndex(res, limits, status, { form: formState(req, limits), error: message });
}

/** What views/model.ejs shows beyond ModelInfo itself: charts, the evaluation table, a summary. */
function modelPageData(mi: ModelInfo) {
  const m = mi.metrics;
  const charts = m ? trainingCharts(m) : [];
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
  return {
    charts,
    evals,
    corpus: typeof i.corpus === 'string' ? i.corpus : undefined,
    untrained: i.untrained === true,
    testBleu: finite(i.testBleu),
    testChrf: finite(i.testChrf),
    validBleu: finite(i.validBleu),
    steps: finite(i.step),
    elapsed: elapsed === undefined ? undefined : formatDuration(elapsed),
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

  router.get('/model', (_req, res) => {
    res.render('model', { page: 'model', title: 'Model', mi: modelInfo, d: modelPageData(modelInfo) });
  });

  return router;
}

/**
 * The JSON API:
 *
 *   POST /api/translate    { text } or { texts }, with beam, nbest and alignments options
 *   POST /api/align        { source, target, pretokenized? }: forced alignment of a given translation
 *   GET  /api/health       liveness, model summary, backend, uptime, live tensors, batching counters
 *
 * Bodies are validated by validation.ts; errors go to the final handler as HttpErrors.
 */
import express from 'express';
import type { RouteContext } from './route-context.js';
import { HttpError } from './errors.js';
import { round } from './format.js';
import { parseAlignRequest, parseApiRequest, requireContentType } from './validation.js';
import { apiAlignment, apiForcedAlignment } from './view-model.js';

export function apiRoutes({ pool, modelInfo, limits, limiter }: RouteContext): express.Router {
  const started = Date.now();
  const router = express.Router();

  router.get('/api/health', (_req, res) => {
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

  router.post(
    '/api/translate',
    limiter,
    requireContentType('application/json', 'Content-Type must be application/json.'),
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
            ...(t.recased !== undefined ? { recased: t.recased } : {}),
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

  router.post(
    '/api/align',
    limiter,
    requireContentType('application/json', 'Content-Type must be application/json.'),
    express.json({ limit: limits.bodyLimit, strict: false }),
    async (req, res) => {
      const r = parseAlignRequest(req.body, limits);
      const t0 = performance.now();
      const [a] = await pool.align([{ source: r.source, target: r.target }], {
        pretokenized: r.pretokenized,
      });
      res.json({
        ...apiForcedAlignment(a),
        backend: modelInfo.backend,
        ms: round(performance.now() - t0, 1),
      });
    },
  );

  for (const route of ['/api/translate', '/api/align']) {
    router.all(route, (_req, res, next) => {
      res.set('Allow', 'POST');
      next(new HttpError(405, 'method_not_allowed', `Use POST ${route}.`));
    });
  }

  return router;
}

/**
 * The web page and JSON API, as an Express app without a listening socket (src/cli/serve.ts listens;
 * tests drive it with supertest). This module only assembles it: settings, security headers, request
 * logging, static files, the routes and the final error handlers.
 *
 *   GET  /                 translate page (views/index.ejs)                       pages.ts
 *   POST /                 the same page with a result, rendered server-side       pages.ts
 *   GET  /check            "Check a translation": source + your translation        pages.ts
 *   POST /check            its forced alignment, word likelihoods, rendered         pages.ts
 *   GET  /model            model page (views/model.ejs)                            pages.ts
 *   POST /api/translate    JSON API                                                api.ts
 *   POST /api/align        forced alignment of a given translation, JSON           api.ts
 *   GET  /api/health       liveness, model summary, backend, live tensors          api.ts
 *
 * Every error is `{ error: { code, message, field? } }` with a 4xx status on the API, or the page
 * re-rendered with the message (errors.ts); stack traces never leave the process. Translation happens in
 * the TranslationService (worker threads in production): the app only handles plain data.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { apiRoutes } from './api.js';
import { errorHandler, notFound } from './errors.js';
import { languageName, round } from './format.js';
import { corporaOf, trainingDataLine, type ModelInfo } from './model-info.js';
import { pageRoutes, renderFormError } from './pages.js';
import type { RouteContext } from './route-context.js';
import type { TranslationService } from './service.js';
import { DEFAULT_LIMITS, rateLimiter, type Limits } from './validation.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The project root: two levels up from src/server, three from a compiled dist/src/server. */
const ROOT =
  [path.resolve(HERE, '../..'), path.resolve(HERE, '../../..')].find((d) =>
    fs.existsSync(path.join(d, 'views', 'index.ejs')),
  ) ?? path.resolve(HERE, '../..');
const VIEWS_DIR = path.join(ROOT, 'views');
const PUBLIC_DIR = path.join(ROOT, 'public');

export interface AppOptions {
  pool: TranslationService;
  modelInfo: ModelInfo;
  limits?: Partial<Limits>;
  log?: Logger;
  /**
   * Express 'trust proxy' setting, so rate limiting sees client addresses behind a reverse proxy; `true`
   * is taken as one hop (the proxy in front of this server).
   */
  trustProxy?: boolean | number | string;
}

/** Logs method, URL, status and time of every request at debug level. */
function requestLogger(log: Logger): RequestHandler {
  return (req, res, next) => {
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
  };
}

export function createApp(opts: AppOptions): express.Express {
  const limits: Limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const { pool, modelInfo, log } = opts;
  const app = express();

  app.set('views', VIEWS_DIR);
  app.set('view engine', 'ejs');
  // `true` means one proxy hop (the reverse proxy in front): trusting every hop would let a client choose
  // its own address with X-Forwarded-For and so escape the rate limit (express-rate-limit refuses it too).
  app.set('trust proxy', opts.trustProxy === true ? 1 : (opts.trustProxy ?? false));
  app.disable('x-powered-by');

  app.locals.site = {
    srcName: languageName(modelInfo.srcLang),
    tgtName: languageName(modelInfo.tgtLang),
    srcLang: modelInfo.srcLang,
    tgtLang: modelInfo.tgtLang,
    // From the model's own config.json, never assumed (model-info.ts).
    trainingData: trainingDataLine(corporaOf(modelInfo.info)),
    // Trained with guided alignment (src/train/guided-alignment.ts): the pages say how the links are made.
    guidedAlignment: Boolean(modelInfo.info.guidedAlignment),
    // The folder keeps a statistical word aligner (lexicon.json): the pages' links come from it.
    lexicon: modelInfo.lexicon,
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
  if (log) app.use(requestLogger(log));
  app.use(express.static(PUBLIC_DIR, { maxAge: '10m', index: false }));

  const routes: RouteContext = { pool, modelInfo, limits, limiter: rateLimiter(limits) };
  app.use(pageRoutes(routes));
  app.use(apiRoutes(routes));

  app.use(notFound);
  app.use(
    errorHandler({
      bodyLimit: limits.bodyLimit,
      log,
      renderForm: (req, res, status, message) => renderFormError(req, res, limits, status, message),
    }),
  );
  return app;
}

/**
 * What the page and API routers (pages.ts, api.ts) are given by the app that mounts them (app.ts). Its own
 * module so that the routers need not import the app that imports them.
 */
import type { RequestHandler } from 'express';
import type { ModelInfo } from './model-info.js';
import type { TranslationService } from './service.js';
import type { Limits } from './validation.js';

/** What the page and API routers need. */
export interface RouteContext {
  pool: TranslationService;
  modelInfo: ModelInfo;
  limits: Limits;
  /** The per-client rate limiter shared by the form and the API. */
  limiter: RequestHandler;
}

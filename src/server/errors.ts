/**
 * Errors the app sends: `HttpError` (status, code, message, field), the mapping of body-parser and service
 * errors to it, and the final handlers (404, then every error). The API and non-HTML clients get
 * `{ error: { code, message, field? } }`; the translate and check forms are re-rendered with the message; other pages
 * get an HTML error page. Stack traces never leave the process: anything unknown is a generic 500.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { ServiceClosedError } from './service.js';

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
export function toHttpError(err: unknown, bodyLimit: string | number): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof ServiceClosedError)
    return new HttpError(503, 'unavailable', 'The server is shutting down.');
  const e = err as { type?: string; status?: number; statusCode?: number; message?: string };
  switch (e.type) {
    case 'entity.too.large':
      return new HttpError(413, 'payload_too_large', `The request body exceeds the ${bodyLimit} limit.`);
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

export function isApi(req: Request): boolean {
  return req.path.startsWith('/api/') || req.path === '/api';
}

/** Last route: nothing matched. */
export const notFound: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'not_found', `No route for ${req.method} ${req.path}.`));
};

export interface ErrorHandlerOptions {
  bodyLimit: string | number;
  log?: Logger;
  /** Re-render the posted form (POST / or POST /check) with an error message. */
  renderForm: (req: Request, res: Response, status: number, message: string) => void;
}

/** The final error handler: 5xx are logged; the response is JSON, the form page or an HTML error page. */
export function errorHandler(opts: ErrorHandlerOptions) {
  return (err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const e = toHttpError(err, opts.bodyLimit);
    if (e.status >= 500) opts.log?.error({ err, url: req.originalUrl }, 'request failed');
    if (isApi(req)) {
      res.status(e.status).json(errorBody(e));
    } else if (req.method === 'POST' && (req.path === '/' || req.path === '/check')) {
      opts.renderForm(req, res, e.status, e.message);
    } else if (req.accepts(['json', 'html']) === 'html') {
      res.status(e.status).render('partials/error-page', { page: 'error', title: `Error ${e.status}`, e });
    } else {
      res.status(e.status).json(errorBody(e));
    }
  };
}

/**
 * Request limits and validation: the `Limits` a server runs with, the rate limiter, content-type checks,
 * and the parsing of /api/translate and /api/align bodies and of the translate and check forms into
 * checked values. Every rejection is an HttpError that names the field and, for limits, the limit.
 */
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { normalizeText } from '../data/readers.js';
import { isRecord } from '../util/records.js';
import { HttpError } from './errors.js';

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
  /**
   * Requests that translate or align (forms and API) per client per window; each request counts once,
   * whatever number of texts it holds. max 0 disables the limiter. Loopback clients (this machine) are
   * not counted unless `countLoopback`: one person using their own server never meets the limit.
   */
  rateLimit: { windowMs: number; max: number; countLoopback?: boolean };
}

export const DEFAULT_LIMITS: Limits = {
  maxChars: 500,
  maxTexts: 64,
  maxTotalChars: 8000,
  maxBeam: 10,
  bodyLimit: '64kb',
  rateLimit: { windowMs: 60_000, max: 60 },
};

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 addresses. */
export function isLoopback(ip: string | undefined): boolean {
  if (!ip) return false;
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return v4.startsWith('127.') || ip === '::1';
}

/** The 429 message: what is counted, the limit and the window. */
export function rateLimitMessage(limits: Limits): string {
  const seconds = Math.ceil(limits.rateLimit.windowMs / 1000);
  return (
    `Too many requests: the limit is ${limits.rateLimit.max} requests per ${seconds} s per client ` +
    '(translations and alignments, page and API; a request counts once, whatever number of texts it holds). ' +
    'Try again later, or send several texts in one request.'
  );
}

/** Per-client limiter for requests that translate or align (forms and API); a pass-through when `max` is 0. */
export function rateLimiter(limits: Limits): RequestHandler {
  if (!(limits.rateLimit.max > 0)) return (_req, _res, next) => next();
  return rateLimit({
    windowMs: limits.rateLimit.windowMs,
    limit: limits.rateLimit.max,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    // req.ip is the socket's address, or the proxy's X-Forwarded-For client with --trust-proxy.
    skip: (req) => !limits.rateLimit.countLoopback && isLoopback(req.ip),
    handler: (_req, _res, next) => next(new HttpError(429, 'rate_limited', rateLimitMessage(limits))),
  });
}

/** 415 unless the request body has the given content type. */
export function requireContentType(type: string, message: string): RequestHandler {
  return (req, _res, next) => {
    if (!req.is(type)) next(new HttpError(415, 'unsupported_media_type', message));
    else next();
  };
}

/**
 * Characters (code points) of a text after the clean-up the translator applies (normalizeText): what maxChars
 * and maxTotalChars count, and 0 for a text of only whitespace, control or zero-width characters, which
 * would otherwise be accepted and translated as an empty sentence.
 */
function charCount(text: string): number {
  return [...normalizeText(text)].length;
}

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

/** 422: well-formed, but over one of the limits (the message states it). */
function overLimit(code: string, field: string, message: string): HttpError {
  return new HttpError(422, code, message, field);
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/** Validate a /api/translate body; errors name the field and, for limits, the limit. */
export function parseApiRequest(body: unknown, limits: Limits): ApiRequest {
  if (!isRecord(body)) {
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
      throw overLimit(
        'too_many_texts',
        'texts',
        `"texts" has ${b.texts.length} items; the limit is ${limits.maxTexts} per request.`,
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
    const n = charCount(t);
    if (n === 0) throw invalid(field, `"${field}" is empty.`);
    if (n > limits.maxChars) {
      throw overLimit(
        'text_too_long',
        field,
        `"${field}" is ${n} characters long; the limit is ${limits.maxChars} characters per text.`,
      );
    }
    total += n;
  });
  if (total > limits.maxTotalChars) {
    throw overLimit(
      'request_too_long',
      'texts',
      `The texts hold ${total} characters in all; the limit is ${limits.maxTotalChars} per request.`,
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

/** A valid translate-form submission. */
export interface FormRequest {
  text: string;
  beam: number;
}

/** Validate a translate-form body (POST /): beam 1…maxBeam (default 5), a non-empty text within maxChars. */
export function parseFormRequest(body: unknown, limits: Limits): FormRequest {
  const b = (body ?? {}) as Record<string, unknown>;
  const text = typeof b.text === 'string' ? b.text : '';
  const beamRaw = b.beam === undefined ? '5' : String(b.beam);
  if (!/^\d+$/.test(beamRaw) || Number(beamRaw) < 1 || Number(beamRaw) > limits.maxBeam) {
    throw invalid('beam', `Beam size must be a whole number from 1 to ${limits.maxBeam}.`);
  }
  const n = charCount(text);
  if (n === 0) throw invalid('text', 'Enter some text to translate.');
  if (n > limits.maxChars) {
    throw overLimit(
      'text_too_long',
      'text',
      `The text is ${n} characters long; the limit is ${limits.maxChars} characters.`,
    );
  }
  return { text, beam: Number(beamRaw) };
}

export interface AlignRequest {
  source: string;
  target: string;
  pretokenized: boolean;
}

const ALIGN_FIELDS = new Set(['source', 'target', 'pretokenized']);

/** One side of a pair: a non-empty string within maxChars (after the translator's clean-up). */
function pairText(v: unknown, field: 'source' | 'target', limits: Limits): string {
  if (v === undefined) {
    throw new HttpError(400, 'missing_field', `Missing field "${field}" (a string).`, field);
  }
  if (typeof v !== 'string') throw invalid(field, `"${field}" must be a string.`);
  const n = charCount(v);
  if (n === 0) throw invalid(field, `"${field}" is empty.`);
  if (n > limits.maxChars) {
    throw overLimit(
      'text_too_long',
      field,
      `"${field}" is ${n} characters long; the limit is ${limits.maxChars} characters.`,
    );
  }
  return v;
}

/** Validate a /api/align body: { source, target, pretokenized? }. */
export function parseAlignRequest(body: unknown, limits: Limits): AlignRequest {
  if (!isRecord(body)) {
    throw new HttpError(
      400,
      'invalid_body',
      'The request body must be a JSON object such as {"source": "Hello", "target": "Hola"}.',
    );
  }
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) {
    if (!ALIGN_FIELDS.has(k)) {
      throw new HttpError(
        400,
        'unknown_field',
        `Unknown field "${k}"; expected ${[...ALIGN_FIELDS].join(', ')}.`,
        k,
      );
    }
  }
  const source = pairText(b.source, 'source', limits);
  const target = pairText(b.target, 'target', limits);
  if (b.pretokenized !== undefined && typeof b.pretokenized !== 'boolean') {
    throw invalid('pretokenized', '"pretokenized" must be true or false.');
  }
  return { source, target, pretokenized: b.pretokenized === true };
}

/** Validate the check form (POST /check): two texts, and a checkbox. */
export function parseCheckForm(body: unknown, limits: Limits): AlignRequest {
  const b = (body ?? {}) as Record<string, unknown>;
  const text = (field: 'source' | 'target', empty: string) => {
    const v = typeof b[field] === 'string' ? (b[field] as string) : '';
    const n = charCount(v);
    if (n === 0) throw invalid(field, empty);
    if (n > limits.maxChars) {
      throw overLimit(
        'text_too_long',
        field,
        `The ${field === 'source' ? 'source text' : 'translation'} is ${n} characters long; the limit is ${limits.maxChars} characters.`,
      );
    }
    return v;
  };
  return {
    source: text('source', 'Enter the text to check a translation of.'),
    target: text('target', 'Enter the translation to check.'),
    pretokenized: b.pretokenized === 'on' || b.pretokenized === 'true',
  };
}

/**
 * Hostile input, generated from a fixed seed so every run sends the same cases:
 *
 * - the JSON API (POST /api/translate) and the form (POST /) through supertest, against createApp over an
 *   InProcessService with the tiny model on an ephemeral loopback port: empty and whitespace-only text, a
 *   1 MB body, 10,000 texts, 10,000-level nesting, every wrong type for every field, invalid UTF-8 bytes,
 *   control, bidi and zero-width characters, emoji, HTML/script/template text, wrong content types and
 *   encodings, unknown and duplicate keys, huge and non-integer numbers, random structures and random byte
 *   damage. Each answer must be a 4xx with `{ error: { code, message } }` (the form page with its error
 *   alert for POST /) or a 200 with one translation per (non-empty) text; never a 5xx, never a stack trace
 *   or a file path; and GET /api/health must answer 200 after every case. No error may be logged.
 * - slow bodies over raw sockets: a body trickled in chunks completes correctly while other requests are
 *   answered; a stalled body is cut off by the server's request timeout; a client that aborts mid-body
 *   leaves the server healthy.
 * - the corpus readers (readTsv, readMoses) on damaged files: random bytes, truncated multibyte sequences,
 *   NULs, CR-only line ends, huge lines, stray tabs, BOMs, blank lines. Each read either succeeds with one
 *   clean pair per line or throws a CorpusError naming file:line (file-level errors name the file), and a
 *   content error at line L means lines 1…L-1 read cleanly on their own.
 *
 * Kept fast (a few seconds of translation with the tiny model) and on loopback only.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { pino } from 'pino';
import request from 'supertest';
import type { Express } from 'express';
import { readMoses, readTsv, normalizeText } from '../src/data/readers.js';
import { Rng } from '../src/util/rng.js';
import { CorpusError, type SentencePair } from '../src/data/types.js';
import { createApp } from '../src/server/app.js';
import { loadModelInfo } from '../src/server/model-info.js';
import { createHttpServer } from '../src/server/http-server.js';
import { InProcessService } from '../src/server/service.js';
import { SAMPLE_CORPUS } from '../src/util/repo-paths.js';
import { makeTinyModel } from './helpers/tiny-model.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SEED = 20240611;

// ---------------------------------------------------------------------------------------------------------
// Seeded generator

/** The project's seeded generator (src/util/rng.ts), with the picks that test cases are made of. */
class CaseRng extends Rng {
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  bytes(n: number): Buffer {
    return Buffer.from(Array.from({ length: n }, () => this.int(256)));
  }
}

/** Strings a user, a script or an attacker might send as text. */
const NASTY: readonly string[] = [
  'Hello, world.',
  'The cat sleeps.',
  '',
  ' ',
  '\t\n\r \u00a0\u3000',
  '\u0000',
  '\u0000\u0001\u0002\u001f',
  'a\u0000b',
  '\u0007bell\u0008',
  '\u001b[31mred\u001b[0m',
  '\u007f\u0085\u009f',
  '\u202e',
  '\u202eevil.exe',
  'abc\u202edef\u202c',
  '\u2066isolate\u2069 \u200e\u200f',
  '\u200b',
  '\u200b\u2060\ufeff',
  '\u200c\u200d',
  'zero\u200bwidth\u200bspace',
  '\ufeffbom first',
  '😀',
  '👩‍👩‍👧‍👦 family',
  '🇪🇸🇬🇧',
  '👍🏽 ok',
  '\ud800',
  'lone \udfff low',
  'x\ud83d',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "'; DROP TABLE users; --",
  '<%= 7*7 %> <%- "raw" %>',
  '{{7*7}} ${7*7} #{7*7}',
  '&amp; &lt;b&gt; &#x3C;',
  '%s %n %x %d',
  '\\u0000 \\n literal escapes',
  'e\u0301 cafe\u0301',
  'a' + '\u0301'.repeat(60),
  'Ǆ İ ß ﬁ ẞ',
  'مرحبا بالعالم',
  'שלום עולם',
  '你好，世界',
  'null',
  'undefined',
  'NaN',
  '__proto__',
  'constructor',
  'A'.repeat(501),
  'word '.repeat(30),
];

const NUMBERS: readonly number[] = [
  0,
  1,
  2,
  3,
  10,
  11,
  -1,
  1.5,
  0.1,
  1e308,
  -1e308,
  2 ** 53 + 2,
  Number.MAX_SAFE_INTEGER,
  1e-300,
];

const FIELDS = ['text', 'texts', 'beam', 'nbest', 'alignments'] as const;
const UNKNOWN_KEYS = ['foo', '__proto__', 'constructor', 'prototype', 'Text', 'text ', 'TEXT', ''];

/** A random JSON value, at most `depth` levels deep. */
function randomValue(rng: CaseRng, depth: number): unknown {
  switch (rng.int(depth > 0 ? 9 : 6)) {
    case 0:
    case 1:
      return rng.pick(NASTY);
    case 2:
      return rng.pick(NUMBERS);
    case 3:
      return rng.chance(0.5) ? null : rng.chance(0.5);
    case 4:
      return rng.range(1, 12);
    case 5:
      return rng.pick(NASTY) + rng.pick(NASTY);
    case 6:
      return Array.from({ length: rng.int(4) }, () => rng.pick(NASTY));
    case 7:
      return Array.from({ length: rng.int(3) }, () => randomValue(rng, depth - 1));
    default: {
      const o: Record<string, unknown> = Object.create(null);
      for (let i = rng.int(3); i > 0; i--)
        o[rng.pick([...FIELDS, ...UNKNOWN_KEYS])] = randomValue(rng, depth - 1);
      return o;
    }
  }
}

/** A random /api/translate body: often nearly valid, so that translation paths are exercised too. */
function randomApiBody(rng: CaseRng): Record<string, unknown> {
  const o: Record<string, unknown> = Object.create(null);
  if (rng.chance(0.5)) o.text = rng.pick(NASTY);
  else if (rng.chance(0.6)) o.texts = Array.from({ length: rng.range(0, 3) }, () => rng.pick(NASTY));
  for (const f of FIELDS) {
    if (rng.chance(0.15)) o[f] = randomValue(rng, 2);
  }
  if (rng.chance(0.3)) o.beam = rng.pick([1, 2, 3, 5, 10, 11, 0, -1, 2.5]);
  if (rng.chance(0.2)) o.nbest = rng.pick([1, 2, 3, 0, 99]);
  if (rng.chance(0.2)) o.alignments = rng.chance(0.8) ? rng.chance(0.5) : 'true';
  if (rng.chance(0.1)) o[rng.pick(UNKNOWN_KEYS)] = randomValue(rng, 1);
  return o;
}

/** Invalid or suspicious UTF-8 byte sequences. */
const BAD_UTF8: readonly number[][] = [
  [0xff],
  [0xfe, 0xff],
  [0x80],
  [0xc3], // truncated 2-byte sequence
  [0xe2, 0x82], // truncated 3-byte sequence
  [0xf0, 0x9f, 0x98], // truncated 4-byte sequence
  [0xc0, 0xaf], // overlong '/'
  [0xe0, 0x80, 0xaf], // overlong
  [0xed, 0xa0, 0x80], // encoded surrogate
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
  [0xf8, 0x88, 0x80, 0x80, 0x80], // 5-byte form
];

// ---------------------------------------------------------------------------------------------------------
// The request cases

type Target = 'api' | 'form';

interface HostileCase {
  name: string;
  target: Target;
  body: string | Buffer;
  /** Content-Type to send; undefined sends none (the body is then a Buffer, which supertest leaves untyped). */
  type?: string;
  headers?: Record<string, string>;
  /** The exact status, when the case has only one right answer. */
  status?: number;
  /** The texts a 200 must translate (API), or the form text, when they can be known in advance. */
  texts?: string[];
}

const JSON_TYPE = 'application/json';
const FORM_TYPE = 'application/x-www-form-urlencoded';

function api(name: string, body: unknown, status?: number): HostileCase {
  return { name, target: 'api', body: JSON.stringify(body), type: JSON_TYPE, status };
}

/** A body sent as it is; `type` null sends no Content-Type. */
function rawApi(name: string, body: string | Buffer, status?: number, type: string | null = JSON_TYPE) {
  return { name, target: 'api', body, type: type ?? undefined, status } satisfies HostileCase;
}

/** A form body; when built from fields with one "text", that is the text a 200 must show. */
function form(name: string, fields: [string, string][] | string, status?: number): HostileCase {
  if (typeof fields === 'string') return { name, target: 'form', body: fields, type: FORM_TYPE, status };
  const texts = fields.filter(([k]) => k === 'text').map(([, v]) => v);
  return {
    name,
    target: 'form',
    body: new URLSearchParams(fields).toString(),
    type: FORM_TYPE,
    status,
    texts: texts.length === 1 ? texts : undefined,
  };
}

/** The texts a JSON body asks to translate, parsed the way express.json does (last duplicate key wins). */
function apiTexts(body: string | Buffer): string[] | undefined {
  if (Buffer.isBuffer(body)) return undefined;
  let b: unknown;
  try {
    b = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof b !== 'object' || b === null) return undefined;
  const o = b as Record<string, unknown>;
  if (typeof o.text === 'string') return [o.text];
  if (Array.isArray(o.texts) && o.texts.every((t) => typeof t === 'string')) return o.texts as string[];
  return undefined;
}

function generateCases(seed: number): HostileCase[] {
  const rng = new CaseRng(seed);
  const cases: HostileCase[] = [];
  const add = (c: HostileCase) => cases.push(c);
  const MB = 1 << 20;

  // Empty and whitespace.
  add(rawApi('empty body', '', 400));
  add(api('empty text', { text: '' }, 400));
  add(api('whitespace-only text', { text: ' \t\r\n\u00a0\u2003\u3000 ' }, 400));
  add(api('control-only text', { text: '\u0000\u0001\u001f\u007f' }, 400));
  add(api('zero-width-only text', { text: '\u200b\u2060\ufeff\u200e' }, 400));
  add(api('empty texts array', { texts: [] }, 400));
  add(api('texts with one blank item', { texts: ['Hello.', '   '] }, 400));
  add(api('texts of zero-width items', { texts: ['\u200b', '\ufeff'] }, 400));

  // Size.
  add(api('1 MB text', { text: 'a'.repeat(MB) }, 413));
  add(rawApi('1 MB of spaces', ' '.repeat(MB), 413));
  add(api('10,000 texts', { texts: Array.from({ length: 10_000 }, () => 'a') }, 422));
  add(api('10,000 empty texts', { texts: Array.from({ length: 10_000 }, () => '') }, 422));
  add(api('65 texts', { texts: Array.from({ length: 65 }, (_, i) => `t${i}`) }, 422));
  add(api('501-character text', { text: 'b'.repeat(501) }, 422));
  add(api('too many characters in all', { texts: Array.from({ length: 20 }, () => 'c'.repeat(450)) }, 422));

  // Nesting.
  const deep = (n: number, open: string, close: string, inner = '1') =>
    open.repeat(n) + inner + close.repeat(n);
  add(rawApi('10,000 nested arrays', deep(10_000, '[', ']'), 400));
  add(rawApi('10,000 nested objects', deep(10_000, '{"a":', '}'), 400));
  add(rawApi('10,000 levels under text', `{"text":${deep(10_000, '[', ']', '"x"')}}`, 400));
  add(rawApi('10,000 levels under texts', `{"texts":${deep(10_000, '[', ']', '"x"')}}`, 400));
  add(rawApi('10,000 levels under beam', `{"text":"hi","beam":${deep(10_000, '{"b":', '}')}}`, 400));
  add(rawApi('100,000 nested arrays (over the body limit)', deep(100_000, '[', ']'), 413));
  add(rawApi('10,000 unclosed arrays', '['.repeat(10_000), 400));

  // Wrong types for each field.
  const wrong: [string, unknown][] = [
    ['number', 42],
    ['zero', 0],
    ['array', []],
    ['array of string', ['Hello.']],
    ['array of number', [1]],
    ['object', {}],
    ['object with text', { text: 'Hello.' }],
    ['null', null],
    ['true', true],
    ['false', false],
    ['string', 'Hello.'],
    ['numeric string', '3'],
  ];
  for (const field of FIELDS) {
    for (const [label, v] of wrong) {
      const body: Record<string, unknown> =
        field === 'text' || field === 'texts' ? { [field]: v } : { text: 'Hello.', [field]: v };
      add(api(`${field}: ${label}`, body));
    }
  }

  // Numbers.
  for (const [label, raw, status] of [
    ['beam 1e400 (Infinity)', '1e400', 400],
    ['beam -1e400', '-1e400', 400],
    ['beam 1e308', '1e308', 400],
    ['beam 2^53+1', '9007199254740993', 400],
    ['beam 10^30', '1000000000000000000000000000000', 400],
    ['beam -0', '-0', 400],
    ['beam -1', '-1', 400],
    ['beam 0', '0', 400],
    ['beam 11', '11', 400],
    ['beam 2.5', '2.5', 400],
    ['beam 1.0', '1.0', 200],
    ['beam 1e0', '1e0', 200],
    ['beam 1e-400 (zero)', '1e-400', 400],
    ['beam NaN literal', 'NaN', 400],
    ['beam Infinity literal', 'Infinity', 400],
    ['beam "NaN"', '"NaN"', 400],
    ['beam "Infinity"', '"Infinity"', 400],
    ['beam hex literal', '0x3', 400],
  ] as const) {
    add(rawApi(label, `{"text":"Hello.","beam":${raw}}`, status));
  }
  add(rawApi('nbest 1e400', '{"text":"Hello.","beam":3,"nbest":1e400}', 400));
  add(rawApi('nbest above beam', '{"text":"Hello.","beam":2,"nbest":3}', 400));
  add(rawApi('nbest -1', '{"text":"Hello.","beam":2,"nbest":-1}', 400));
  add(rawApi('nbest 1e-400', '{"text":"Hello.","beam":2,"nbest":1e-400}', 400));

  // Duplicate keys: the last one wins, as in JSON.parse.
  add(rawApi('duplicate text', '{"text":"first","text":"second"}', 200));
  add(rawApi('duplicate text, last not a string', '{"text":"first","text":5}', 400));
  add(rawApi('duplicate text, last a string', '{"text":5,"text":"second"}', 200));
  add(rawApi('duplicate beam, last out of range', '{"text":"x","beam":2,"beam":0}', 400));
  add(rawApi('duplicate alignments', '{"text":"x","alignments":true,"alignments":"yes"}', 400));
  add(rawApi('text and texts', '{"text":"x","texts":["y"]}', 400));
  add(rawApi('duplicate __proto__', '{"__proto__":1,"__proto__":{"beam":5},"text":"x"}', 400));

  // Unknown fields and odd top-level values.
  add(api('unknown field', { text: 'Hello.', foo: 1 }, 400));
  add(rawApi('__proto__ field', '{"text":"Hello.","__proto__":{"isAdmin":true}}', 400));
  add(rawApi('constructor field', '{"text":"Hello.","constructor":{"prototype":{}}}', 400));
  add(api('field with different case', { Text: 'Hello.' }, 400));
  add(api('empty key', { '': 'Hello.' }, 400));
  for (const top of ['null', '1', '"Hello."', '[]', '["Hello."]', 'true', '{}']) {
    add(rawApi(`top-level ${top}`, top, 400));
  }

  // Malformed JSON.
  for (const [label, raw] of [
    ['truncated', '{"text":'],
    ['trailing comma', '{"text":"Hello.",}'],
    ['single quotes', "{'text':'Hello.'}"],
    ['comment', '{"text":"Hello." /* c */}'],
    ['unquoted key', '{text:"Hello."}'],
    ['bad escape', '{"text":"\\x41"}'],
    ['raw newline in string', '{"text":"a\nb"}'],
    ['raw NUL in string', '{"text":"a\u0000b"}'],
    ['two objects', '{"text":"a"}{"text":"b"}'],
  ] as const) {
    add(rawApi(`malformed JSON: ${label}`, raw, 400));
  }
  add(rawApi('BOM before JSON', '\ufeff{"text":"Hello."}'));

  // Invalid UTF-8 (raw bytes), inside a string, a key, and as the whole body.
  for (const bytes of BAD_UTF8) {
    const hex = bytes.map((b) => b.toString(16)).join(' ');
    add(
      rawApi(
        `invalid UTF-8 ${hex} in text`,
        Buffer.concat([Buffer.from('{"text":"a'), Buffer.from(bytes), Buffer.from('b"}')]),
      ),
    );
  }
  add(
    rawApi(
      'invalid UTF-8 in a key',
      Buffer.concat([Buffer.from('{"te'), Buffer.from([0xff]), Buffer.from('xt":"a"}')]),
    ),
  );
  add(rawApi('64 random bytes', rng.bytes(64)));
  add(
    rawApi(
      'UTF-16LE body declared as such',
      Buffer.from('{"text":"Hello."}', 'utf16le'),
      undefined,
      'application/json; charset=utf-16le',
    ),
  );
  add(rawApi('UTF-16LE body declared as UTF-8', Buffer.from('{"text":"Hello."}', 'utf16le'), 400));
  add(
    rawApi(
      'odd-length UTF-16 body',
      Buffer.from('{"text":"x"}!'),
      undefined,
      'application/json; charset=utf-16be',
    ),
  );

  // Control, bidi, zero-width characters, emoji, markup: each alone and inside a sentence, as text.
  for (const s of NASTY.slice(4, 46)) {
    add(api(`text ${JSON.stringify(s).slice(0, 40)}`, { text: s }));
  }
  add(api('texts of mixed nasty strings', { texts: NASTY.slice(20, 30) }));

  // Content types and encodings.
  const hello = '{"text":"Hello."}';
  for (const [type, status] of [
    ['text/plain', 415],
    ['text/html', 415],
    ['application/xml', 415],
    ['application/x-www-form-urlencoded', 415],
    ['multipart/form-data; boundary=XyZ', 415],
    ['application/jsonp', 415],
    ['application/json; charset=latin1', 415],
    ['application/json; charset=utf-99', 415],
    ['application/json; charset="utf-8"', 200],
    ['APPLICATION/JSON', 200],
    [';;;', 415],
    ['application/', 415],
    ['*/*', 415],
  ] as const) {
    add(rawApi(`content type ${type}`, hello, status, type));
  }
  add(rawApi('no content type', Buffer.from(hello), 415, null));
  add(
    rawApi(
      'multipart body',
      '--XyZ\r\nContent-Disposition: form-data; name="text"\r\n\r\nHello.\r\n--XyZ--\r\n',
      415,
      'multipart/form-data; boundary=XyZ',
    ),
  );
  for (const enc of ['gzip', 'deflate', 'br', 'x-unknown', 'gzip, gzip']) {
    add({
      ...rawApi(`content-encoding ${enc} with plain bytes`, hello),
      headers: { 'Content-Encoding': enc },
    });
  }

  // Random structures and random byte damage.
  for (let i = 0; i < 60; i++) add(api(`random body #${i}`, randomApiBody(rng)));
  for (let i = 0; i < 30; i++) {
    let b = Buffer.from(JSON.stringify({ text: rng.pick(NASTY.slice(0, 2)), beam: rng.range(1, 3) }));
    for (let k = rng.range(1, 3); k > 0; k--) {
      const at = rng.int(b.length + 1);
      switch (rng.int(5)) {
        case 0:
          b = Buffer.concat([b.subarray(0, at), Buffer.from([rng.int(256)]), b.subarray(at + 1)]);
          break;
        case 1:
          b = Buffer.concat([b.subarray(0, at), rng.bytes(rng.range(1, 4)), b.subarray(at)]);
          break;
        case 2:
          b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
          break;
        case 3:
          b = b.subarray(0, at);
          break;
        default:
          b = Buffer.concat([b.subarray(0, at), Buffer.from(rng.pick(BAD_UTF8)), b.subarray(at)]);
      }
    }
    add(rawApi(`random byte damage #${i}`, b));
  }

  // ---- The form (POST /).
  add(form('form: empty body', '', 400));
  add(form('form: empty text', [['text', '']], 400));
  add(form('form: whitespace-only text', [['text', ' \t\r\n\u00a0 ']], 400));
  add(form('form: control-only text', [['text', '\u0000\u0001\u007f']], 400));
  add(form('form: zero-width-only text', [['text', '\u200b\ufeff']], 400));
  add(form('form: 1 MB text', [['text', 'a'.repeat(MB)]], 413));
  add(form('form: 501-character text', [['text', 'b'.repeat(501)]], 422));
  add(
    form(
      'form: 30 parameters',
      Array.from({ length: 30 }, (_, i) => [`k${i}`, 'v'] as [string, string]),
      413,
    ),
  );
  add(form('form: duplicate text', 'text=first&text=second'));
  add(form('form: duplicate beam', 'text=Hello.&beam=1&beam=2', 400));
  add(form('form: text[] key', 'text[]=Hello.', 400));
  add(form('form: text[a] key', 'text[a]=Hello.', 400));
  add(form('form: unknown field', 'text=Hello.&foo=bar', 200));
  add(form('form: invalid percent escape', 'text=%E0%A4%A&beam=1'));
  add(form('form: percent-encoded invalid UTF-8', 'text=a%FFb%C3&beam=1'));
  add(form('form: percent-encoded NUL', 'text=%00', 400));
  add(form('form: no equals sign', 'text', 400));
  add(form('form: only separators', '&&&==&', 400));
  add({
    ...form('form: raw invalid UTF-8 bytes', ''),
    body: Buffer.concat([Buffer.from('text=a'), Buffer.from([0xff, 0xc3]), Buffer.from('&beam=1')]),
  });
  for (const beam of [
    '',
    '0',
    '11',
    '-1',
    '1.5',
    '1e1',
    '٣',
    '0x3',
    ' 3',
    '3 ',
    '99999999999999999999',
    'NaN',
    '%00',
  ])
    add(form(`form: beam ${JSON.stringify(beam)}`, `text=Hello.&beam=${beam}`, 400));
  for (const s of [
    'a\u0000b',
    '\u202eevil.exe',
    'zero\u200bwidth\u200bspace',
    '👩‍👩‍👧‍👦 family',
    '\ud800',
    '<script>alert(1)</script>',
    '"><img src=x onerror=alert(1)>',
    '<%= 7*7 %> <%- "raw" %>',
    'e\u0301 cafe\u0301',
  ]) {
    add(
      form(`form: text ${JSON.stringify(s).slice(0, 40)}`, [
        ['text', s],
        ['beam', '2'],
      ]),
    );
  }
  for (const [type, status] of [
    ['application/json', 415],
    ['text/plain', 415],
    ['multipart/form-data; boundary=XyZ', 415],
    ['application/x-www-form-urlencoded; charset=utf-16', 415],
  ] as const) {
    add({ ...form(`form: content type ${type}`, 'text=Hello.', status), type });
  }
  add({
    ...form('form: no content type', ''),
    body: Buffer.from('text=Hello.'),
    type: undefined,
    status: 415,
  });
  add({ ...form('form: gzip header, plain bytes', 'text=Hello.'), headers: { 'Content-Encoding': 'gzip' } });
  for (let i = 0; i < 20; i++) {
    const fields: [string, string][] = [];
    for (let k = rng.range(0, 4); k > 0; k--) {
      const key = rng.pick(['text', 'text', 'beam', 'beam', 'foo', 'text[]', '__proto__', '']);
      const value = key === 'beam' ? String(rng.pick([...NUMBERS, 1, 2, 3, 5])) : rng.pick(NASTY);
      fields.push([key, value]);
    }
    add(form(`form: random fields #${i}`, fields));
  }

  for (const c of cases) if (c.target === 'api') c.texts ??= apiTexts(c.body);
  return cases;
}

// ---------------------------------------------------------------------------------------------------------
// Checks

/** Stack frames, source positions and local paths: none may reach a client. */
function leaks(body: string, extraPaths: string[]): string | undefined {
  const patterns: [string, RegExp][] = [
    ['stack frame', /^\s*at [^\n]*[(\s][^\s()]+:\d+:\d+\)?\s*$/m],
    ['source position', /\.(?:ts|js|mjs|cjs):\d+/],
    ['node_modules path', /node_modules/],
    ['file URL', /file:\/\//],
    ['exception name', /\b(?:TypeError|RangeError|SyntaxError|ReferenceError)\b/],
  ];
  for (const [what, re] of patterns) if (re.test(body)) return what;
  for (const p of [ROOT, ...extraPaths]) if (body.includes(p)) return `local path ${p}`;
  return undefined;
}

/** What EJS's <%= %> makes of a string. */
function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c] as string,
  );
}

/** Lone surrogates become U+FFFD once the page is encoded as UTF-8. */
function wellFormed(s: string): string {
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/** Why the response to `c` is wrong, or undefined when it is right. */
function problem(c: HostileCase, res: request.Response, extraPaths: string[]): string | undefined {
  const text = res.text ?? '';
  if (res.status >= 500) return `status ${res.status}: ${text.slice(0, 200)}`;
  if (res.status !== 200 && (res.status < 400 || res.status > 499)) return `status ${res.status}`;
  if (c.status !== undefined && res.status !== c.status)
    return `status ${res.status}, expected ${c.status}: ${text.slice(0, 200)}`;
  const leak = leaks(text, extraPaths);
  if (leak) return `${leak} in the body: ${text.slice(0, 300)}`;

  if (c.target === 'api') {
    if (res.type !== 'application/json') return `content type ${res.type}`;
    if (res.status !== 200) {
      const e = res.body?.error;
      if (Object.keys(res.body ?? {}).join() !== 'error')
        return `error body keys ${Object.keys(res.body ?? {})}`;
      if (typeof e?.code !== 'string' || !/^[a-z_]+$/.test(e.code)) return `error code ${e?.code}`;
      if (typeof e.message !== 'string' || e.message.length === 0) return 'no error message';
      return undefined;
    }
    const tr = res.body?.translations;
    if (!Array.isArray(tr) || tr.length === 0) return 'no translations';
    if (c.texts && tr.length !== c.texts.length)
      return `${tr.length} translations for ${c.texts.length} texts`;
    for (const [i, t] of tr.entries()) {
      if (typeof t.translation !== 'string' || typeof t.source !== 'string')
        return `translation ${i} malformed`;
      if (!Number.isFinite(t.score)) return `translation ${i} score ${t.score}`;
      if (t.source === '')
        return `translation ${i} of an empty source (the text was accepted but holds nothing)`;
      if (c.texts && t.source !== normalizeText(c.texts[i]))
        return `source ${i} is ${JSON.stringify(t.source)}`;
    }
    return undefined;
  }

  if (res.type !== 'text/html') return `content type ${res.type}`;
  if (res.status !== 200) {
    if (!/<div class="alert" role="alert" id="error"><strong>Error:<\/strong> [^<]+<\/div>/.test(text))
      return 'no error alert on the page';
    if (text.includes('id="result"')) return 'a result next to an error';
    return undefined;
  }
  if (!text.includes('id="result"')) return 'no result on the page';
  if (text.includes('id="error"')) return 'an error next to a result';
  const src = /<q lang="eng" id="source-text">([^<]*)<\/q>/.exec(text)?.[1];
  if (src === undefined || src === '') return 'no source text on the page';
  if (c.texts && src !== escapeHtml(wellFormed(normalizeText(c.texts[0]))))
    return `source on the page is ${JSON.stringify(src)}`;
  if (/<script>alert|<img src=x/.test(text)) return 'unescaped markup from the input on the page';
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Raw HTTP on loopback, for bodies sent slowly.

interface RawResponse {
  status: number;
  type: string;
  body: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface SlowRequestOptions {
  path: string;
  type: string;
  chunks: string[];
  delayMs: number;
  contentLength?: boolean;
  abortAfter?: number;
  end?: boolean;
}

/** Sends `chunks` one by one with `delayMs` between them; `abortAfter` destroys the request after that many. */
function slowRequest(port: number, opts: SlowRequestOptions): Promise<RawResponse | 'aborted' | 'closed'> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'Content-Type': opts.type, Connection: 'close' };
    if (opts.contentLength) headers['Content-Length'] = Buffer.byteLength(opts.chunks.join(''));
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: opts.path,
      headers,
      agent: false,
    });
    let settled = false;
    const done = (v: RawResponse | 'aborted' | 'closed') => {
      if (!settled) {
        settled = true;
        resolve(v);
      }
    };
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () =>
        done({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body }),
      );
      res.on('error', () => done('closed'));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (opts.abortAfter !== undefined) done('aborted');
      else if (err.code === 'ECONNRESET' || err.code === 'EPIPE') done('closed');
      else if (!settled) reject(err);
    });
    void (async () => {
      for (const [i, chunk] of opts.chunks.entries()) {
        if (opts.abortAfter === i) {
          req.destroy();
          done('aborted');
          return;
        }
        if (req.destroyed) return;
        req.write(chunk);
        await sleep(opts.delayMs);
      }
      if (opts.end !== false) req.end();
    })();
  });
}

function chunk(s: string, n: number): string[] {
  const size = Math.ceil(s.length / n);
  return Array.from({ length: Math.ceil(s.length / size) }, (_, i) => s.slice(i * size, (i + 1) * size));
}

// ---------------------------------------------------------------------------------------------------------

const CASES = generateCases(SEED);
const API_CASES = CASES.filter((c) => c.target === 'api');
const FORM_CASES = CASES.filter((c) => c.target === 'form');

describe(`hostile input: ${CASES.length} generated requests (seed ${SEED})`, function () {
  let dir: string;
  let service: InProcessService;
  let app: Express;
  let server: http.Server;
  let port: number;
  const errorLogs: string[] = [];
  const statuses = new Map<number, number>();

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-hostile-test-'));
    await makeTinyModel(dir);
    service = await InProcessService.load(dir);
    // Errors (every 5xx is logged) are collected; the test fails if there are any.
    const log = pino({ level: 'error' }, { write: (s: string) => void errorLogs.push(s) });
    app = createApp({
      pool: service,
      modelInfo: loadModelInfo(service.info),
      log,
      limits: { rateLimit: { windowMs: 60_000, max: 100_000 } },
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    port = (server.address() as AddressInfo).port;
  });

  after(async function () {
    if (statuses.size > 0) {
      const summary = [...statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`);
      console.log(`      statuses: ${summary.join(', ')}`);
    }
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await service?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  afterEach(function () {
    expect(errorLogs, 'errors logged by the server').to.deep.equal([]);
  });

  /** Sends a case's body byte for byte (superagent would otherwise JSON-encode a Buffer). */
  function send(c: HostileCase): request.Test {
    let req = request(server).post(c.target === 'api' ? '/api/translate' : '/');
    if (c.type !== undefined) req = req.set('Content-Type', c.type);
    for (const [k, v] of Object.entries(c.headers ?? {})) req = req.set(k, v);
    return req.serialize((x: unknown) => x as string).send(c.body as string);
  }

  async function run(cases: HostileCase[]): Promise<void> {
    const failures: string[] = [];
    for (const c of cases) {
      let res: request.Response;
      try {
        res = await send(c);
      } catch (err) {
        failures.push(`${c.name}: request failed: ${(err as Error).message}`);
        continue;
      }
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (process.env.HOSTILE_VERBOSE) console.log(`      ${res.status} ${c.target} ${c.name}`);
      const p = problem(c, res, [dir]);
      if (p) failures.push(`${c.name}: ${p}`);
      const health = await request(server).get('/api/health');
      if (health.status !== 200) failures.push(`${c.name}: then GET /api/health answered ${health.status}`);
    }
    expect(failures, failures.join('\n')).to.deep.equal([]);
  }

  it(`API: ${API_CASES.length} hostile POST /api/translate bodies → 4xx JSON error or 200 translation, never 5xx`, async function () {
    expect(CASES.length).to.be.at.least(100);
    await run(API_CASES);
  });

  it(`form: ${FORM_CASES.length} hostile POST / bodies → the page with an error (4xx) or a result (200)`, async function () {
    await run(FORM_CASES);
  });

  it('answers a few hostile requests sent at once, each correctly', async function () {
    const picked = [0, 3, 9, 20, 40, 60, 80, 100, 120, 140].map((i) => API_CASES[i % API_CASES.length]);
    const results = await Promise.all(picked.map(send));
    const failures = picked.flatMap((c, i) => {
      const p = problem(c, results[i], [dir]);
      return p ? [`${c.name}: ${p}`] : [];
    });
    expect(failures, failures.join('\n')).to.deep.equal([]);
    await request(server).get('/api/health').expect(200);
  });

  describe('slow bodies (raw loopback sockets)', function () {
    /** `body` sent slowly to POST /api/translate in `n` chunks. */
    const slowApi = (body: string, n: number, opts: Omit<SlowRequestOptions, 'path' | 'type' | 'chunks'>) =>
      slowRequest(port, { path: '/api/translate', type: JSON_TYPE, chunks: chunk(body, n), ...opts });

    it('a JSON body trickled in chunks completes correctly while other requests are answered', async function () {
      const body = JSON.stringify({ text: 'The cat sleeps.', beam: 2 });
      const slowChunked = slowApi(body, 8, { delayMs: 150 });
      const slowSized = slowApi(body, 6, { delayMs: 200, contentLength: true });
      const slowForm = slowRequest(port, {
        path: '/',
        type: FORM_TYPE,
        chunks: chunk('text=The+cat+sleeps.&beam=2', 5),
        delayMs: 200,
      });
      // Meanwhile, the server answers others promptly.
      await sleep(200);
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        await request(server).get('/api/health').expect(200);
        await request(server).post('/api/translate').send({ text: 'Hello.' }).expect(200);
        expect(performance.now() - t0, 'answer time while slow bodies arrive').to.be.below(1000);
        await sleep(150);
      }
      const results = await Promise.all([slowChunked, slowSized, slowForm]);
      for (const r of results.slice(0, 2)) {
        expect(r).to.be.an('object');
        const res = r as RawResponse;
        expect(res.status, res.body).to.equal(200);
        const parsed = JSON.parse(res.body);
        expect(parsed.translations).to.have.length(1);
        expect(parsed.translations[0].source).to.equal('The cat sleeps.');
        expect(parsed.translations[0].translation).to.be.a('string');
      }
      const page = results[2] as RawResponse;
      expect(page.status).to.equal(200);
      expect(page.body).to.include('id="result"');
      expect(page.body).to.include('<q lang="eng" id="source-text">The cat sleeps.</q>');
    });

    it('a client that stalls and then aborts mid-body leaves the server healthy', async function () {
      const body = JSON.stringify({ text: 'The cat sleeps.' });
      const aborted = await Promise.all([
        slowApi(body, 4, { delayMs: 100, abortAfter: 2 }),
        slowApi(body, 4, { delayMs: 100, abortAfter: 2, contentLength: true }),
        slowRequest(port, {
          path: '/',
          type: FORM_TYPE,
          chunks: ['text=The+c', 'at'],
          delayMs: 100,
          abortAfter: 1,
        }),
      ]);
      expect(aborted).to.deep.equal(['aborted', 'aborted', 'aborted']);
      await sleep(50);
      await request(server).get('/api/health').expect(200);
      await request(server).post('/api/translate').send({ text: 'Hello.' }).expect(200);
    });

    it('a body that stops arriving is cut off by the request timeout (408) without harming the app', async function () {
      // The same app behind a server with a short request timeout, checked every 100 ms.
      const timed = createHttpServer(app, {
        requestTimeoutMs: 600,
        headersTimeoutMs: 600,
        checkIntervalMs: 100,
      });
      await new Promise<void>((resolve) => timed.listen(0, '127.0.0.1', resolve));
      const timedPort = (timed.address() as AddressInfo).port;
      try {
        const t0 = performance.now();
        const stalled = slowRequest(timedPort, {
          path: '/api/translate',
          type: JSON_TYPE,
          chunks: ['{"text":"The c'],
          delayMs: 0,
          contentLength: false,
          end: false,
        });
        // Other clients are still served while the stalled one waits.
        await request(timed).get('/api/health').expect(200);
        const r = await stalled;
        const ms = performance.now() - t0;
        expect(ms, 'time to cut off the stalled body').to.be.below(2000);
        if (r !== 'closed') {
          expect(r).to.be.an('object');
          expect((r as RawResponse).status).to.equal(408);
        }
        await request(timed).get('/api/health').expect(200);
        await request(timed).post('/api/translate').send({ text: 'Hello.' }).expect(200);
      } finally {
        timed.closeAllConnections();
        await new Promise<void>((resolve) => timed.close(() => resolve()));
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------------------
// Corpus readers on damaged files

/** The lines a reader should see: split on LF after an optional BOM, without the empty piece after a final LF. */
function lfLines(bytes: Buffer): Buffer[] {
  const start = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const out: Buffer[] = [];
  let pos = start;
  for (;;) {
    const nl = bytes.indexOf(0x0a, pos);
    if (nl === -1) {
      // As the reader does: a last piece that is empty or a lone CR is not a line.
      const rest = bytes.subarray(pos);
      if (rest.length > 0 && !(rest.length === 1 && rest[0] === 0x0d)) out.push(rest);
      return out;
    }
    out.push(bytes.subarray(pos, nl));
    pos = nl + 1;
  }
}

/** The first `n` lines of a file (with their line ends, and the file's BOM if any). */
function firstLines(bytes: Buffer, n: number): Buffer {
  let end = 0;
  for (let i = 0; i < n; i++) {
    const nl = bytes.indexOf(0x0a, end);
    if (nl === -1) return bytes;
    end = nl + 1;
  }
  return bytes.subarray(0, end);
}

/** Errors found while decoding lines (reported for the whole file before any line's content is checked). */
const ENCODING_ERROR = /invalid UTF-8|carriage return|not a text file/;
const FILE_ERROR = /empty file|line counts differ|cannot read corpus file/;

const MULTIBYTE = ['é', 'ñ', '€', '中', '😀', '👩‍👧'].map((s) => Buffer.from(s));

/** Damages a file's bytes in 1–3 random ways. */
function damage(rng: CaseRng, input: Buffer): { bytes: Buffer; what: string[] } {
  let b = input;
  const what: string[] = [];
  const at = () => rng.int(b.length + 1);
  const lineStart = () => {
    const starts = [0];
    for (let i = 0; i < b.length; i++) if (b[i] === 0x0a) starts.push(i + 1);
    return rng.pick(starts);
  };
  const insert = (pos: number, x: Buffer) => (b = Buffer.concat([b.subarray(0, pos), x, b.subarray(pos)]));
  for (let k = rng.range(1, 3); k > 0; k--) {
    const op = rng.int(16);
    switch (op) {
      case 0:
        b = rng.bytes(rng.range(0, 300));
        what.push('random bytes');
        break;
      case 1: {
        const p = rng.int(Math.max(1, b.length));
        if (b.length > 0)
          b = Buffer.concat([b.subarray(0, p), Buffer.from([rng.int(256)]), b.subarray(p + 1)]);
        what.push('flipped byte');
        break;
      }
      case 2: {
        const m = rng.pick(MULTIBYTE);
        insert(at(), m.subarray(0, rng.range(1, m.length - 1)));
        what.push('truncated multibyte');
        break;
      }
      case 3: {
        const m = rng.pick(MULTIBYTE);
        b = Buffer.concat([b, m]).subarray(0, b.length + rng.range(1, m.length - 1));
        what.push('file ends inside a multibyte character');
        break;
      }
      case 4:
        insert(at(), Buffer.alloc(rng.range(1, 4)));
        what.push('NULs');
        break;
      case 5:
        b = Buffer.from(b.toString('latin1').replace(/\r?\n/g, '\r'), 'latin1');
        what.push('CR-only line ends');
        break;
      case 6: {
        const size = rng.range(50_000, 300_000);
        const huge = Buffer.alloc(size, 'x');
        if (rng.chance(0.5)) huge[rng.int(size)] = 0x09;
        insert(lineStart(), Buffer.concat([huge, Buffer.from('\n')]));
        what.push('huge line');
        break;
      }
      case 7:
        insert(at(), Buffer.from('\t'.repeat(rng.range(1, 3))));
        what.push('tab in an odd place');
        break;
      case 8:
        insert(lineStart(), Buffer.from('\t'));
        what.push('tab at a line start');
        break;
      case 9: {
        const tab = b.indexOf(0x09, rng.int(b.length));
        if (tab >= 0) b = Buffer.concat([b.subarray(0, tab), b.subarray(tab + 1)]);
        what.push('tab removed');
        break;
      }
      case 10:
        insert(lineStart(), Buffer.from(rng.pick(['\n', '\r\n', ' \n', '\u00a0\n', '\u200b\n'])));
        what.push('blank line');
        break;
      case 11:
        insert(rng.chance(0.5) ? 0 : lineStart(), Buffer.from([0xef, 0xbb, 0xbf]));
        what.push('BOM');
        break;
      case 12:
        b = b.subarray(0, at());
        what.push('truncated');
        break;
      case 13:
        insert(at(), Buffer.from(rng.pick(BAD_UTF8)));
        what.push('invalid UTF-8');
        break;
      case 14:
        insert(at(), Buffer.from(rng.pick(['\r', '\r\r\n', '\x0b', '\x0c', '\u2028', '\u0085'])));
        what.push('odd line break');
        break;
      default:
        b = Buffer.from(rng.pick(['', ' ', '\n', '\r\n', '\t', '\t\n', '\ufeff', '\ufeff\n', '\x00']));
        what.push('(nearly) empty');
    }
  }
  return { bytes: b, what };
}

describe('corpus readers on damaged files', function () {
  const N = 220;
  let tmp: string;
  let sample: string[];
  let n = 0;

  before(function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-hostile-corpus-'));
    sample = fs.readFileSync(SAMPLE_CORPUS, 'utf8').split('\n').filter(Boolean);
  });

  after(function () {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  function write(bytes: Buffer, ext: string): string {
    const file = path.join(tmp, `f${n++}.${ext}`);
    fs.writeFileSync(file, bytes);
    return file;
  }

  /** What is wrong with the outcome of `read()`, or undefined. `files` are the inputs with their bytes. */
  function judge(
    read: () => SentencePair[],
    files: { file: string; bytes: Buffer }[],
    prefixOk: (lines: number, errorFile: string, encoding: boolean) => string | undefined,
  ): { problem?: string; outcome: string } {
    let pairs: SentencePair[];
    try {
      pairs = read();
    } catch (err) {
      if (!(err instanceof CorpusError))
        return {
          problem: `threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`,
          outcome: 'crash',
        };
      const f = files.find((x) => x.file === err.file);
      if (!f) return { problem: `CorpusError names ${err.file}, not an input file`, outcome: 'error' };
      if (err.line === undefined) {
        if (!err.message.startsWith(`${err.file}: `))
          return { problem: `message ${err.message}`, outcome: 'error' };
        if (!FILE_ERROR.test(err.message))
          return { problem: `no line number: ${err.message}`, outcome: 'error' };
        return { outcome: 'file error' };
      }
      if (!err.message.startsWith(`${err.file}:${err.line}: `))
        return { problem: `message ${err.message}`, outcome: 'error' };
      const count = lfLines(f.bytes).length;
      if (!Number.isInteger(err.line) || err.line < 1 || err.line > count)
        return { problem: `line ${err.line} of a ${count}-line file: ${err.message}`, outcome: 'error' };
      if (err.line > 1) {
        // Lines are decoded (whole files, source first) before any content is checked: before an encoding
        // error only the same file's earlier lines must decode; before a content error, all must read.
        const encoding = ENCODING_ERROR.test(err.message);
        const p = prefixOk(err.line - 1, err.file, encoding);
        if (p && !(encoding && !ENCODING_ERROR.test(p)))
          return {
            problem: `${err.message.slice(0, 200)}, but the ${err.line - 1} lines before it: ${p}`,
            outcome: 'error',
          };
      }
      return { outcome: 'line error' };
    }
    const expected = lfLines(files[0].bytes).length;
    if (!Array.isArray(pairs) || pairs.length !== expected)
      return { problem: `${pairs.length} pairs from ${expected} lines`, outcome: 'ok' };
    for (const [i, p] of pairs.entries()) {
      if (!p.src || !p.tgt) return { problem: `pair ${i + 1} has an empty side`, outcome: 'ok' };
      if (normalizeText(p.src) !== p.src || normalizeText(p.tgt) !== p.tgt)
        return { problem: `pair ${i + 1} is not clean text`, outcome: 'ok' };
      // eslint-disable-next-line no-control-regex -- looking for control characters is the point
      if (/[\t\r\n\u0000\ufffd]/.test(p.src + p.tgt))
        return { problem: `pair ${i + 1} holds a control or U+FFFD`, outcome: 'ok' };
      if (p.origin?.file !== files[0].file || p.origin?.line !== i + 1)
        return { problem: `pair ${i + 1} origin`, outcome: 'ok' };
    }
    for (const f of files) {
      const lines = lfLines(f.bytes);
      if (lines.some((l) => l.subarray(0, l.length - 1).includes(0x0d)))
        return { problem: `accepted ${f.file}, which has a bare CR inside a line`, outcome: 'ok' };
    }
    return { outcome: 'ok' };
  }

  /**
   * N cases from a generator seeded with `seed`, each made and judged by `one`: logs how many had each outcome
   * and fails with every problem found.
   */
  function runDamaged(
    seed: number,
    one: (rng: CaseRng) => { what: string[]; problem?: string; outcome: string },
  ) {
    const rng = new CaseRng(seed);
    const outcomes = new Map<string, number>();
    const failures: string[] = [];
    for (let i = 0; i < N; i++) {
      const { what, problem: p, outcome } = one(rng);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      if (p) failures.push(`#${i} (${what.join(', ')}): ${p}`);
    }
    console.log(`      outcomes: ${[...outcomes].map(([k, v]) => `${k} ${v}`).join(', ')}`);
    expect(failures, failures.join('\n')).to.deep.equal([]);
  }

  function errorOf(fn: () => unknown): string | undefined {
    try {
      fn();
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  }

  it(`readTsv: ${N} damaged files → pairs or a CorpusError with file:line, nothing else`, function () {
    runDamaged(SEED + 1, (rng) => {
      const lines = Array.from({ length: rng.range(1, 12) }, () => rng.pick(sample));
      const ending = rng.pick(['\n', '\r\n']);
      const clean = Buffer.from(lines.join(ending) + (rng.chance(0.7) ? ending : ''));
      const { bytes, what } = damage(rng, clean);
      const file = write(bytes, 'tsv');
      const reverse = rng.chance(0.2);
      const judged = judge(
        () => readTsv(file, { reverse }),
        [{ file, bytes }],
        (k) => errorOf(() => readTsv(write(firstLines(bytes, k), 'tsv'), { reverse })),
      );
      return { what, ...judged };
    });
  });

  it(`readMoses: ${N} damaged file pairs → pairs or a CorpusError with file:line, nothing else`, function () {
    runDamaged(SEED + 2, (rng) => {
      const rows = Array.from({ length: rng.range(1, 12) }, () => rng.pick(sample).split('\t'));
      const ending = rng.pick(['\n', '\r\n']);
      const end = rng.chance(0.7) ? ending : '';
      let src: Buffer = Buffer.from(rows.map((r) => r[0]).join(ending) + end);
      let tgt: Buffer = Buffer.from(rows.map((r) => r[1]).join(ending) + end);
      const what: string[] = [];
      const side = rng.int(3);
      if (side !== 1) ({ bytes: src } = damageInto(rng, src, what, 'src'));
      if (side !== 0) ({ bytes: tgt } = damageInto(rng, tgt, what, 'tgt'));
      const srcFile = write(src, 'en');
      const tgtFile = write(tgt, 'es');
      const judged = judge(
        () => readMoses(srcFile, tgtFile),
        [
          { file: srcFile, bytes: src },
          { file: tgtFile, bytes: tgt },
        ],
        (k, errorFile, encoding) => {
          if (encoding) {
            const prefix = write(firstLines(errorFile === srcFile ? src : tgt, k), 'txt');
            return errorOf(() => readMoses(prefix, prefix));
          }
          return errorOf(() => readMoses(write(firstLines(src, k), 'en'), write(firstLines(tgt, k), 'es')));
        },
      );
      return { what, ...judged };
    });
  });

  function damageInto(rng: CaseRng, bytes: Buffer, what: string[], label: string): { bytes: Buffer } {
    const d = damage(rng, bytes);
    what.push(...d.what.map((w) => `${label}: ${w}`));
    return { bytes: d.bytes };
  }

  it('readTsv and readMoses: CR-only line ends are an error with file:line, not merged pairs', function () {
    const tsv = write(Buffer.from('Hi\tHola\rYes\tSí\r'), 'tsv');
    expect(() => readTsv(tsv))
      .to.throw(CorpusError)
      .with.property('message')
      .that.matches(new RegExp(`^${tsv.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1: .*carriage return`));
    const en = write(Buffer.from('Hi\rYes\r'), 'en');
    const es = write(Buffer.from('Hola\rSí\r'), 'es');
    expect(() => readMoses(en, es))
      .to.throw(CorpusError)
      .with.property('line', 1);
  });
});

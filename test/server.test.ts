/**
 * The web page and JSON API (src/server/app.ts) through supertest, on a tiny untrained model: every route,
 * every error case, escaping of user text, security headers, limits; and the worker pool (src/server/pool.ts):
 * workers start under tsx, batch concurrent requests, and report load errors.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../src/server/app.js';
import { DEFAULT_LIMITS } from '../src/server/validation.js';
import { loadModelInfo, readMetrics, type ModelInfo } from '../src/server/model-info.js';
import { CHART_LAYOUTS, lineChart } from '../src/server/chart.js';
import { InProcessService, ServiceClosedError, type TranslationService } from '../src/server/service.js';
import { WorkerPool } from '../src/server/pool.js';
import { makeTinyModel } from './helpers/tiny-model.js';

const XSS = '<script>alert(1)</script>';

/** Every error body is exactly { error: { code, message, field? } }: no stack, no internals. */
function expectError(res: request.Response, status: number, code: string, field?: string): void {
  expect(res.status, JSON.stringify(res.body)).to.equal(status);
  expect(res.type).to.equal('application/json');
  expect(Object.keys(res.body)).to.deep.equal(['error']);
  expect(res.body.error.code).to.equal(code);
  expect(res.body.error.message)
    .to.be.a('string')
    .and.not.match(/\bat .*\(|\.ts:\d+|node_modules/);
  if (field) {
    expect(res.body.error.field).to.equal(field);
    expect(res.body.error.message).to.include(field.replace(/\[\d+\]$/, ''));
  }
}

describe('server', function () {
  let dir: string;
  let service: InProcessService;
  let modelInfo: ModelInfo;
  let app: Express;

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-server-test-'));
    await makeTinyModel(dir);
    // A training log and test scores, as a shipped model directory would have.
    const lines = [];
    for (let step = 50; step <= 500; step += 50)
      lines.push({ event: 'train', step, loss: 6 / Math.sqrt(step / 50) });
    for (let step = 100; step <= 500; step += 100) {
      lines.push({
        event: 'valid',
        step,
        validLoss: 5 / Math.sqrt(step / 100),
        bleu: step / 25,
        chrf: step / 12,
      });
    }
    fs.writeFileSync(
      path.join(dir, 'metrics.jsonl'),
      lines.map((l) => JSON.stringify(l)).join('\n') + '\nnot json\n',
    );
    const cfgFile = path.join(dir, 'config.json');
    const cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8'));
    cfg.info = {
      ...cfg.info,
      testBleu: 12.345,
      testChrf: 34.567,
      step: 500,
      validBleu: 20,
      // What the trainer records (issue 13): the page shows these, and nothing it was not told.
      corpora: [
        {
          name: 'Tatoeba sample',
          file: 'corpora/sample.eng-spa.tsv',
          role: 'train',
          pairs: 1234,
          weight: 12,
          licence: 'CC-BY 2.0 FR',
          source: 'https://tatoeba.org',
        },
        { name: 'In-house test set', role: 'test', pairs: 56, weight: 3, source: 'javascript:alert(1)' },
        { role: 'valid', pairs: 7 },
      ],
    };
    fs.writeFileSync(cfgFile, JSON.stringify(cfg, null, 2));

    service = await InProcessService.load(dir);
    modelInfo = loadModelInfo(service.info);
    app = createApp({ pool: service, modelInfo, limits: { rateLimit: { windowMs: 60_000, max: 10_000 } } });
  });

  after(async function () {
    await service?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('GET /', function () {
    it('renders the form: labelled textarea, beam select 1–10 defaulting to 5, submit', async function () {
      const res = await request(app).get('/').expect(200);
      expect(res.type).to.equal('text/html');
      expect(res.text).to.match(/<label for="text">English text<\/label>/);
      expect(res.text).to.match(/<textarea id="text" name="text"/);
      expect(res.text).to.match(/<label for="beam">Beam size<\/label>/);
      const options = [...res.text.matchAll(/<option value="(\d+)"( selected)?>/g)];
      expect(options.map((m) => Number(m[1]))).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(options.filter((m) => m[2]).map((m) => m[1])).to.deep.equal(['5']);
      expect(res.text).to.match(/<button class="btn" type="submit"/);
      expect(res.text).not.to.include('id="result"');
    });

    it('has no inline script or style, so it satisfies its own CSP', async function () {
      const res = await request(app).get('/').expect(200);
      const scripts = [...res.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts).to.have.length(1);
      expect(scripts[0][1]).to.include('src="/app.js"');
      expect(scripts[0][2].trim()).to.equal('');
      expect(res.text).not.to.match(/<style|\sstyle=|\son[a-z]+=/i);
      expect(res.text).not.to.match(/(src|href)="(https?:)?\/\/(?!tatoeba|creativecommons|www\.manythings)/);
    });

    it('sends helmet security headers with a strict Content-Security-Policy', async function () {
      const res = await request(app).get('/').expect(200);
      const csp = res.headers['content-security-policy'];
      expect(csp).to.include("default-src 'self'");
      expect(csp).to.include("script-src 'self'");
      expect(csp).to.include("style-src 'self'");
      expect(csp).to.include("object-src 'none'");
      expect(csp).to.include("frame-ancestors 'none'");
      expect(csp).not.to.include('unsafe-inline');
      expect(res.headers['x-content-type-options']).to.equal('nosniff');
      expect(res.headers['x-frame-options']).to.equal('SAMEORIGIN');
      expect(res.headers['referrer-policy']).to.equal('no-referrer');
      expect(res.headers['cross-origin-opener-policy']).to.equal('same-origin');
      expect(res.headers).not.to.have.property('x-powered-by');
    });

    it('serves style.css and app.js', async function () {
      const css = await request(app).get('/style.css').expect(200);
      expect(css.type).to.equal('text/css');
      expect(css.text).to.include('.heatmap');
      const js = await request(app).get('/app.js').expect(200);
      expect(js.type).to.match(/^(text|application)\/javascript$/);
      expect(js.text).to.include('data-heatmap');
    });
  });

  describe('POST / (form, no JavaScript)', function () {
    it('renders translation, n-best list, time, word and subword heatmaps, legend and Pharaoh alignment', async function () {
      const res = await request(app)
        .post('/')
        .type('form')
        .send({ text: 'The cat sleeps.', beam: '3' })
        .expect(200);
      const html = res.text;
      expect(html).to.match(/<p class="translation" id="translation" lang="spa">[^<]+<\/p>/);
      expect(html).to.match(/<span id="time-taken">\d+ ms<\/span>/);
      expect(html).to.match(/<option value="3" selected>/);
      // n-best: one row per hypothesis, with scores
      const nbest = html.slice(
        html.indexOf('class="nbest-table"'),
        html.indexOf('</table>', html.indexOf('nbest-table')),
      );
      const rows = [
        ...nbest.matchAll(
          /<tr><td>(\d+)<\/td><td lang="spa">[^<]*<\/td><td class="num">(-?\d+\.\d{3})<\/td>/g,
        ),
      ];
      expect(rows.length).to.be.within(1, 3);
      // word heatmap: source words as columns, target words as rows, one cell per pair
      const words = html.slice(
        html.indexOf('id="heatmap-words"'),
        html.indexOf('</table>', html.indexOf('id="heatmap-words"')),
      );
      const cols = [
        ...words.matchAll(/<th class="col-head" scope="col" data-c="\d+"><span>([^<]*)<\/span>/g),
      ].map((m) => m[1]);
      expect(cols).to.deep.equal(['The', 'cat', 'sleeps.']);
      const nRows = [...words.matchAll(/<th class="row-head" scope="row"/g)].length;
      expect(nRows).to.be.greaterThan(0);
      const cells = [
        ...words.matchAll(
          /<td class="w(\d+)" tabindex="0" data-r="(\d+)" data-c="(\d+)" aria-label="([^"]+)"/g,
        ),
      ];
      expect(cells).to.have.length(nRows * cols.length);
      for (const c of cells) {
        expect(Number(c[1])).to.be.within(0, 10);
        expect(c[4]).to.match(/^.+ ← (The|cat|sleeps\.): \d\.\d\d$/);
      }
      expect(html).to.include('id="heatmap-subwords"');
      expect(html).to.match(
        /<input class="view-radio sr-only" type="radio" name="view" id="view-words" value="words" checked>/,
      );
      expect(html).to.match(/<label for="view-subwords">Subwords<\/label>/);
      expect(html).to.include('class="legend"');
      expect(html).to.match(/<code class="pharaoh" id="pharaoh">\d+-\d+( \d+-\d+)*<\/code>/);
    });

    it('says when an ALL-CAPS input was re-cased before translating', async function () {
      const caps = await request(app).post('/').type('form').send({ text: 'THE CAT SLEEPS.', beam: '1' });
      expect(caps.text).to.match(/<span id="recased">.*<q lang="eng">The cat sleeps\.<\/q>/);
      const normal = await request(app).post('/').type('form').send({ text: 'The cat sleeps.', beam: '1' });
      expect(normal.text).not.to.include('id="recased"');
      const translation = (html: string) => /id="translation" lang="spa">([^<]*)</.exec(html)?.[1];
      expect(translation(caps.text)).to.equal(translation(normal.text));
    });

    it('escapes user text everywhere it is echoed', async function () {
      const res = await request(app).post('/').type('form').send({ text: XSS, beam: '1' }).expect(200);
      expect(res.text).not.to.include(XSS);
      expect(res.text).not.to.include('<script>alert');
      expect(res.text).to.include('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect([...res.text.matchAll(/<script/g)]).to.have.length(1);
    });

    it('re-renders the form with an error: empty text 400, too long 422, bad beam 400', async function () {
      const empty = await request(app).post('/').type('form').send({ text: '   ', beam: '5' }).expect(400);
      expect(empty.type).to.equal('text/html');
      expect(empty.text).to.match(
        /role="alert"[^>]*><strong>Error:<\/strong> Enter some text to translate\./,
      );
      const long = 'a'.repeat(501);
      const tooLong = await request(app).post('/').type('form').send({ text: long, beam: '5' }).expect(422);
      expect(tooLong.text).to.include('the limit is 500 characters');
      expect(tooLong.text).to.include(`>${long}</textarea>`);
      const beam = await request(app).post('/').type('form').send({ text: 'Hi', beam: '11' }).expect(400);
      expect(beam.text).to.include('Beam size must be a whole number from 1 to 10');
    });

    it('answers a wrong content type with 415 and an oversized body with 413, as pages', async function () {
      const json = await request(app).post('/').send({ text: 'Hi' }).expect(415);
      expect(json.type).to.equal('text/html');
      expect(json.text).to.include('application/x-www-form-urlencoded');
      const big = await request(app)
        .post('/')
        .type('form')
        .send({ text: 'x'.repeat(70 * 1024) })
        .expect(413);
      expect(big.type).to.equal('text/html');
      expect(big.text).to.include('exceeds the 64kb limit');
      expect(big.text).to.include('id="translate-form"');
    });
  });

  describe('GET /model', function () {
    it('shows languages, parameters, backend, the corpora and licences of its metadata, and test scores', async function () {
      const res = await request(app).get('/model').expect(200);
      const html = res.text;
      expect(html).to.include('English (<code>eng</code>) → Spanish (<code>spa</code>)');
      expect(html).to.include(`<dd id="parameters">${modelInfo.parameters.toLocaleString('en')}</dd>`);
      expect(modelInfo.parameters).to.be.greaterThan(1000);
      expect(html).to.include(`<dd id="backend"><code>${service.info.backend}</code></dd>`);
      // No lexicon.json in this folder: the links are the attention's, and the page says so.
      expect(html).to.match(/<dd id="word-links">read off the attention/);
      const corpora = html.slice(
        html.indexOf('id="corpora"'),
        html.indexOf('</ul>', html.indexOf('id="corpora"')),
      );
      expect(corpora).to.include('<a href="https://tatoeba.org">Tatoeba sample</a>');
      expect(corpora).to.include('1,234 pairs');
      // The oversampling weight of a training corpus (--corpus file@12); a test set's weight means nothing.
      expect(corpora).to.include(
        '<span class="corpus-weight">weight 12: each pair seen 12 times an epoch</span>',
      );
      expect([...corpora.matchAll(/class="corpus-weight"/g)]).to.have.length(1);
      expect(corpora).to.include('Licence: CC-BY 2.0 FR');
      expect(corpora).to.include('<code>corpora/sample.eng-spa.tsv</code>');
      // No licence recorded: said so, not invented; a non-http source is text, never a link.
      expect(corpora).to.match(/In-house test set<\/span> <span class="corpus-role">test<\/span>/);
      expect(corpora).to.include('licence not recorded');
      expect(corpora).to.include('Source: javascript:alert(1)');
      expect(corpora).not.to.include('href="javascript');
      expect([...corpora.matchAll(/<li class="corpus">/g)]).to.have.length(2); // the nameless entry is left out
      // The footer names the training corpus only, from the same metadata, on every page.
      for (const page of [html, (await request(app).get('/').expect(200)).text]) {
        expect(page).to.include('<span id="footer-data">Trained on Tatoeba sample (CC-BY 2.0 FR).</span>');
      }
      expect(html).not.to.include('manythings');
      expect(html).to.include(
        '<span id="test-bleu">12.35</span> <span class="fact-note" id="test-set">split, as recorded</span>',
      );
      expect(html).to.include('<dd id="test-chrf">34.57</dd>');
    });

    it('falls back to info.corpus, then to saying that nothing is recorded; never a hard-coded licence', async function () {
      const old = createApp({
        pool: service,
        modelInfo: { ...modelInfo, info: { corpus: '../data/my-pairs.tsv' } },
      });
      const html = (await request(old).get('/model').expect(200)).text;
      expect(html).to.include('<span class="corpus-name">my-pairs.tsv</span>');
      expect(html).to.include('<code>../data/my-pairs.tsv</code>');
      expect(html).to.include(
        '<span id="footer-data">Trained on my-pairs.tsv (licence not recorded).</span>',
      );
      expect(html, 'no warm start recorded').not.to.include('id="warm-start"');
      const tuned = createApp({
        pool: service,
        modelInfo: {
          ...modelInfo,
          info: { step: 3000, elapsedSeconds: 4392, warmStartFrom: { step: 19000 } },
        },
      });
      expect((await request(tuned).get('/model').expect(200)).text).to.match(
        /3,000 \(1 h 13 min\)<span class="fact-note" id="warm-start"> after a warm start from an earlier model/,
      );
      const none = createApp({ pool: service, modelInfo: { ...modelInfo, info: {} } });
      const bare = (await request(none).get('/model').expect(200)).text;
      expect(bare).to.include('id="no-corpora"');
      expect(bare).to.include('Training data not recorded in the model.');
      for (const page of [html, bare]) {
        expect(page).not.to.include('CC-BY');
        expect(page).not.to.include('Tatoeba');
      }
    });

    it('reads one point per step from metrics.jsonl: the steps a resumed run replays replace the earlier ones', function () {
      const file = path.join(dir, 'replayed-metrics.jsonl');
      const lines = [
        { event: 'train', step: 100, loss: 3 },
        { event: 'train', step: 200, loss: 2.5 },
        { event: 'valid', step: 200, validLoss: 2.4, bleu: 10, chrf: 30 },
        { event: 'train', step: 300, loss: 2.2 },
        // Killed after step 300, resumed from the step-200 checkpoint: 300 is run again.
        { event: 'train', step: 300, loss: 2.1 },
        { event: 'train', step: 400, loss: 2 },
      ];
      fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
      const m = readMetrics(file)!;
      expect(m.trainLoss).to.deep.equal([
        { step: 100, value: 3 },
        { step: 200, value: 2.5 },
        { step: 300, value: 2.1 },
        { step: 400, value: 2 },
      ]);
      expect(m.bleu).to.deep.equal([{ step: 200, value: 10 }]);
    });

    it('draws loss and validation BLEU curves as inline SVG from metrics.jsonl', async function () {
      const html = (await request(app).get('/model').expect(200)).text;
      expect(html).to.include('<figure class="chart chart-wide" id="chart-loss">');
      expect(html).to.include('<figure class="chart chart-wide" id="chart-bleu">');
      // The same two charts for phones, shown instead by the stylesheet below 700 px.
      expect(html).to.include('<figure class="chart chart-narrow" id="chart-loss-narrow">');
      expect(html).to.include('<figure class="chart chart-narrow" id="chart-bleu-narrow">');
      const wide = html.slice(
        html.indexOf('class="charts charts-wide"'),
        html.indexOf('class="charts charts-narrow"'),
      );
      const paths = [...wide.matchAll(/<path class="line (s\d)" d="(M[\d.,ML]+)"/g)];
      expect(paths).to.have.length(4); // train loss, valid loss, BLEU, chrF
      // 10 train points → 10 segments' worth of coordinates; 5 validation dots per valid series
      expect(paths[0][2].match(/[ML]/g)).to.have.length(10);
      expect([...wide.matchAll(/<circle class="dot s1"/g)]).to.have.length(5);
      expect(html).to.include('BLEU at step 500: 20.00');
      expect(html).not.to.match(/<script(?! src="\/app\.js")/);
    });

    it('says so when there is no training log', async function () {
      const bare = createApp({ pool: service, modelInfo: { ...modelInfo, metrics: undefined, info: {} } });
      const html = (await request(bare).get('/model').expect(200)).text;
      expect(html).to.include('No training log');
      expect(html).not.to.include('test-bleu');
    });

    it('ends the x axis at the last step, not at the next round number', function () {
      const points = [0, 5000, 10_000, 15_000, 20_500].map((step) => ({ step, value: step / 1000 }));
      for (const layout of [CHART_LAYOUTS.wide, CHART_LAYOUTS.narrow]) {
        const c = lineChart('x', 'X', 'y', [{ name: 'a', cls: 's1', points, dots: true }], layout)!;
        const last = c.series[0].dots[c.series[0].dots.length - 1];
        expect(last.cx).to.equal(c.plot.x + c.plot.w); // the data reaches the end of the axis
        expect(c.xTicks.map((t) => t.label)).not.to.include('25k');
        expect(c.xTicks[c.xTicks.length - 1].label).to.equal('20k');
        expect(c.xTicks[c.xTicks.length - 1].x).to.be.lessThan(c.plot.x + c.plot.w);
      }
    });

    it('lineChart scales points into the plot area', function () {
      const c = lineChart('t', 'T', 'y', [
        {
          name: 'a',
          cls: 's1',
          points: [
            { step: 0, value: 0 },
            { step: 100, value: 10 },
          ],
          dots: true,
        },
      ]);
      expect(c).to.not.equal(undefined);
      const [first, last] = c!.series[0].dots;
      expect(first.cx).to.equal(c!.plot.x);
      expect(first.cy).to.equal(c!.plot.y + c!.plot.h);
      expect(last.cx).to.equal(c!.plot.x + c!.plot.w);
      expect(last.cy).to.be.within(c!.plot.y, c!.plot.y + c!.plot.h);
      expect(lineChart('e', 'E', 'y', [{ name: 'a', cls: 's1', points: [], dots: false }])).to.equal(
        undefined,
      );
    });
  });

  describe('POST /api/translate', function () {
    const post = (body: unknown) =>
      request(app)
        .post('/api/translate')
        .send(body as object);

    it('translates { text }', async function () {
      const res = await post({ text: 'The cat sleeps.' }).expect(200);
      expect(res.type).to.equal('application/json');
      expect(res.body.backend).to.equal(service.info.backend);
      expect(res.body.ms).to.be.a('number');
      expect(res.body.translations).to.have.length(1);
      const t = res.body.translations[0];
      expect(t.source).to.equal('The cat sleeps.');
      expect(t.translation).to.be.a('string').and.not.equal('');
      expect(t.score).to.be.a('number');
      expect(t).not.to.have.property('nbest');
      expect(t).not.to.have.property('alignment');
    });

    it('translates { texts } in order, deterministically', async function () {
      const texts = ['The soup is hot.', 'The cat sleeps.'];
      const both = (await post({ texts }).expect(200)).body.translations;
      expect(both.map((t: { source: string }) => t.source)).to.deep.equal(texts);
      const one = (await post({ text: texts[1] }).expect(200)).body.translations[0];
      expect(both[1].translation).to.equal(one.translation);
    });

    it('returns an n-best list with beam and nbest', async function () {
      const t = (await post({ text: 'The soup is hot.', beam: 4, nbest: 3 }).expect(200)).body
        .translations[0];
      expect(t.nbest).to.be.an('array').with.length.within(1, 3);
      expect(t.nbest[0]).to.deep.equal({ text: t.translation, score: t.score });
      for (let i = 1; i < t.nbest.length; i++) expect(t.nbest[i].score).to.be.at.most(t.nbest[i - 1].score);
    });

    it('returns subword attention, word matrix and Pharaoh alignment with alignments: true', async function () {
      const t = (await post({ text: 'The cat sleeps.', beam: 2, alignments: true }).expect(200)).body
        .translations[0];
      const a = t.alignment;
      expect(a.sourceTokens[a.sourceTokens.length - 1]).to.equal('</s>');
      // One attention row per target subword, plus </s> unless the search stopped at the length limit.
      expect(a.targetTokens.length).to.be.at.least(1);
      expect(a.attention).to.have.length(a.targetTokens.length);
      for (const row of a.attention) {
        expect(row).to.have.length(a.sourceTokens.length);
        expect(row.reduce((x: number, y: number) => x + y, 0)).to.be.closeTo(1, 1e-3);
      }
      expect(a.sourceWords).to.deep.equal(['The', 'cat', 'sleeps.']);
      expect(a.targetWords.join(' ')).to.equal(t.translation.trim().split(/\s+/).join(' '));
      expect(a.wordMatrix).to.have.length(a.targetWords.length);
      for (const row of a.wordMatrix) expect(row).to.have.length(3);
      expect(a.pharaoh).to.match(/^\d+-\d+( \d+-\d+)*$/);
    });

    it('returns the re-cased text it translated for ALL-CAPS input', async function () {
      const [caps, normal] = (await post({ texts: ['THE CAT SLEEPS.', 'The cat sleeps.'] }).expect(200)).body
        .translations;
      expect(caps.source).to.equal('THE CAT SLEEPS.');
      expect(caps.recased).to.equal('The cat sleeps.');
      expect(normal).not.to.have.property('recased');
      expect(caps.translation).to.equal(normal.translation);
    });

    it('returns user text as a plain JSON string', async function () {
      const res = await post({ text: XSS }).expect(200);
      expect(res.type).to.equal('application/json');
      expect(res.body.translations[0].source).to.equal(XSS);
    });

    it('400 for missing or invalid fields, naming the field', async function () {
      expectError(await post({}), 400, 'missing_field', 'text');
      expectError(await post({ text: 5 }), 400, 'invalid_field', 'text');
      expectError(await post({ text: '  ' }), 400, 'invalid_field', 'text');
      expectError(await post({ texts: 'a' }), 400, 'invalid_field', 'texts');
      expectError(await post({ texts: [] }), 400, 'invalid_field', 'texts');
      expectError(await post({ texts: ['a', 1] }), 400, 'invalid_field', 'texts[1]');
      expectError(await post({ text: 'a', texts: ['b'] }), 400, 'invalid_field', 'texts');
      expectError(await post({ text: 'a', beam: 0 }), 400, 'invalid_field', 'beam');
      expectError(await post({ text: 'a', beam: 11 }), 400, 'invalid_field', 'beam');
      expectError(await post({ text: 'a', beam: 2.5 }), 400, 'invalid_field', 'beam');
      expectError(await post({ text: 'a', beam: '3' }), 400, 'invalid_field', 'beam');
      expectError(await post({ text: 'a', nbest: 0 }), 400, 'invalid_field', 'nbest');
      expectError(await post({ text: 'a', alignments: 'yes' }), 400, 'invalid_field', 'alignments');
      expectError(await post({ text: 'a', beams: 3 }), 400, 'unknown_field', 'beams');
      expectError(await post([1, 2]), 400, 'invalid_body');
    });

    it('400 when nbest exceeds beam', async function () {
      const res = await post({ text: 'a', beam: 2, nbest: 3 });
      expectError(res, 400, 'invalid_field', 'nbest');
      expect(res.body.error.message).to.include('must not exceed "beam" (2)');
      expectError(await post({ text: 'a', nbest: 2 }), 400, 'invalid_field', 'nbest'); // beam defaults to 1
    });

    it('422 for a text over the limit, too many texts, or too many characters in all, stating the limit', async function () {
      const long = await post({ text: 'a'.repeat(501) });
      expectError(long, 422, 'text_too_long', 'text');
      expect(long.body.error.message).to.include('the limit is 500 characters');
      const longItem = await post({ texts: ['ok', 'b'.repeat(600)] });
      expectError(longItem, 422, 'text_too_long', 'texts[1]');
      const many = await post({ texts: Array.from({ length: 65 }, () => 'a') });
      expectError(many, 422, 'too_many_texts', 'texts');
      expect(many.body.error.message).to.include('the limit is 64');
      const total = await post({ texts: Array.from({ length: 17 }, () => 'c'.repeat(490)) });
      expectError(total, 422, 'request_too_long', 'texts');
      expect(total.body.error.message).to.include('the limit is 8000');
    });

    it('400 invalid_json for malformed JSON', async function () {
      const res = await request(app)
        .post('/api/translate')
        .set('Content-Type', 'application/json')
        .send('{"text": "a",');
      expectError(res, 400, 'invalid_json');
    });

    it('415 for a wrong or missing content type', async function () {
      expectError(
        await request(app).post('/api/translate').type('text/plain').send('{"text":"a"}'),
        415,
        'unsupported_media_type',
      );
      expectError(
        await request(app).post('/api/translate').type('form').send({ text: 'a' }),
        415,
        'unsupported_media_type',
      );
      expectError(await request(app).post('/api/translate'), 415, 'unsupported_media_type');
    });

    it('413 for a body over the size limit', async function () {
      const res = await post({ text: 'a'.repeat(DEFAULT_LIMITS.maxChars), pad: 'x'.repeat(70 * 1024) });
      expectError(res, 413, 'payload_too_large');
      expect(res.body.error.message).to.include('64kb');
    });

    it('405 for GET', async function () {
      const res = await request(app).get('/api/translate');
      expectError(res, 405, 'method_not_allowed');
      expect(res.headers.allow).to.equal('POST');
    });
  });

  describe('POST /api/align', function () {
    const post = (body: unknown) =>
      request(app)
        .post('/api/align')
        .send(body as object);

    it('force-aligns a given translation: word links, matrices and how likely each word is', async function () {
      const res = await post({ source: 'The cat sleeps.', target: 'El gato duerme.' }).expect(200);
      const a = res.body;
      expect(a.backend).to.equal(service.info.backend);
      expect(a.ms).to.be.a('number');
      expect(a.sourceWords).to.deep.equal(['The', 'cat', 'sleeps.']);
      expect(a.targetWords).to.deep.equal(['El', 'gato', 'duerme.']);
      expect(a.pharaoh).to.match(/^\d+-\d+ \d+-\d+ \d+-\d+$/);
      expect(a.links).to.have.length(3);
      expect(a.wordMatrix).to.have.length(3);
      expect(a.wordMatrix[0]).to.have.length(3);
      expect(a.words.map((w: { word: string }) => w.word)).to.deep.equal(a.targetWords);
      for (const w of a.words) {
        expect(w.logProb).to.be.at.most(0);
        expect(w.probability).to.be.closeTo(Math.exp(w.logProb), 1e-3);
      }
      expect(a.targetTokens[a.targetTokens.length - 1]).to.equal('</s>');
      expect(a.attention).to.have.length(a.targetTokens.length);
      expect(a.tokenLogProbs).to.have.length(a.targetTokens.length);
      expect(a.end.probability).to.be.within(0, 1);
      expect(a.method).to.include({ step: 'own', sourcePieces: 'sum', targetPieces: 'mean' });
      expect(a.method.description).to.include('most attention');
      // The same pair through the service directly: the API adds nothing and loses nothing but digits.
      const [direct] = await service.align([{ source: 'The cat sleeps.', target: 'El gato duerme.' }]);
      expect(a.pharaoh).to.equal(direct.pharaoh);
      expect(a.logProb).to.be.closeTo(direct.logProb, 1e-3);
    });

    it('keeps pre-tokenized words as given', async function () {
      const res = await post({ source: 'the cat sleeps .', target: 'el gato duerme .', pretokenized: true });
      expect(res.status).to.equal(200);
      expect(res.body.sourceWords).to.deep.equal(['the', 'cat', 'sleeps', '.']);
      expect(res.body.targetWords).to.deep.equal(['el', 'gato', 'duerme', '.']);
      const plain = await post({ source: 'the cat sleeps .', target: 'el gato duerme .' }).expect(200);
      expect(plain.body.targetWords).to.have.length(4); // this tokenizer splits at spaces too
      // Both sides are in lower case: re-cased for the model, the words kept as given.
      expect(res.body.recased).to.deep.equal({ source: 'The cat sleeps .', target: 'El gato duerme .' });
    });

    it('400/422/415/405 for bad requests, naming the field and the limit', async function () {
      expectError(await post({ target: 'Hola' }), 400, 'missing_field', 'source');
      expectError(await post({ source: 'Hi' }), 400, 'missing_field', 'target');
      expectError(await post({ source: 3, target: 'Hola' }), 400, 'invalid_field', 'source');
      expectError(await post({ source: 'Hi', target: ['Hola'] }), 400, 'invalid_field', 'target');
      expectError(await post({ source: 'Hi', target: ' \u200b ' }), 400, 'invalid_field', 'target');
      expectError(
        await post({ source: 'Hi', target: 'Hola', pretokenized: 'yes' }),
        400,
        'invalid_field',
        'pretokenized',
      );
      expectError(await post({ source: 'Hi', target: 'Hola', beam: 2 }), 400, 'unknown_field', 'beam');
      expectError(await post([{ source: 'Hi', target: 'Hola' }]), 400, 'invalid_body');
      const long = await post({ source: 'Hi', target: 'a'.repeat(501) });
      expectError(long, 422, 'text_too_long', 'target');
      expect(long.body.error.message).to.include('the limit is 500 characters');
      expectError(
        await request(app).post('/api/align').type('form').send({ source: 'Hi' }),
        415,
        'unsupported_media_type',
      );
      const get = await request(app).get('/api/align');
      expectError(get, 405, 'method_not_allowed');
      expect(get.headers.allow).to.equal('POST');
      expect(get.body.error.message).to.equal('Use POST /api/align.');
    });
  });

  describe('GET and POST /check (check a translation)', function () {
    it('renders the check form, reached from a tab, prefilled from a link', async function () {
      const html = (await request(app).get('/check?source=The%20cat&target=El%20%3Cb%3E').expect(200)).text;
      expect(html).to.include('<a href="/check" id="tab-check" aria-current="page">Check a translation</a>');
      expect(html).to.match(/<textarea id="source" name="source"[^>]*>The cat<\/textarea>/);
      expect(html).to.match(/<textarea id="target" name="target"[^>]*>El &lt;b&gt;<\/textarea>/);
      expect(html).to.include('<input type="checkbox" id="pretokenized" name="pretokenized" value="on">');
      expect(html).not.to.include('id="check-result"');
      const home = (await request(app).get('/').expect(200)).text;
      expect(home).to.include('<a href="/check" id="tab-check">Check a translation</a>');
    });

    it('shows each word with its probability, the unlikely ones marked, the heatmap and the links', async function () {
      const res = await request(app)
        .post('/check')
        .type('form')
        .send({ source: 'The cat sleeps.', target: 'El gato duerme.' })
        .expect(200);
      const html = res.text;
      const [direct] = await service.align([{ source: 'The cat sleeps.', target: 'El gato duerme.' }]);
      const chips = [
        ...html.matchAll(
          /<li class="wp wp-(likely|doubtful|unlikely)" aria-label="([^"]+)"><span class="wp-word">([^<]+)<\/span><span class="wp-p">(.*?)<\/span><\/li>/g,
        ),
      ];
      expect(chips.map((m) => m[3])).to.deep.equal(['El', 'gato', 'duerme.']);
      chips.forEach((m, i) => {
        const p = Math.exp(direct.wordLogProbs[i]);
        const level = p < 0.1 ? 'unlikely' : p < 0.5 ? 'doubtful' : 'likely';
        expect(m[1]).to.equal(level);
        expect(m[2]).to.match(
          new RegExp(`^${m[3].replace('.', '\\.')}: (&lt;1|&gt;99|\\d{1,2})%, ${level}$`),
        );
        // An unlikely word carries a visible mark, not colour alone.
        expect(m[4].includes('class="wp-flag"')).to.equal(level === 'unlikely');
      });
      const unlikely = chips.filter((m) => m[1] === 'unlikely').length;
      expect(html).to.include(unlikely === 0 ? 'No word is unlikely' : `<strong>${unlikely} of 3</strong>`);
      expect(html).to.match(/<li class="wp wp-end wp-(likely|doubtful|unlikely)"/);
      expect(html).to.include('id="heatmap-words"');
      expect(html).to.include('id="heatmap-subwords"');
      expect(html).to.include(`<code class="pharaoh" id="pharaoh">${direct.pharaoh}</code>`);
      expect(html).to.match(
        /<p class="hint link-method" id="link-method">Each output word is linked to the input word that got the most attention/,
      );
      expect([...html.matchAll(/<script/g)]).to.have.length(1);
    });

    it('escapes user text and re-renders the check form with errors', async function () {
      const xss = await request(app)
        .post('/check')
        .type('form')
        .send({ source: XSS, target: XSS })
        .expect(200);
      expect(xss.text).not.to.include('<script>alert');
      expect([...xss.text.matchAll(/<script/g)]).to.have.length(1);
      const empty = await request(app)
        .post('/check')
        .type('form')
        .send({ source: 'Keep me', target: '  ' })
        .expect(400);
      expect(empty.text).to.include('Enter the translation to check.');
      expect(empty.text).to.match(/<textarea id="source" name="source"[^>]*>Keep me<\/textarea>/);
      const long = await request(app)
        .post('/check')
        .type('form')
        .send({ source: 'a'.repeat(501), target: 'b', pretokenized: 'on' })
        .expect(422);
      expect(long.text).to.include('The source text is 501 characters long; the limit is 500 characters.');
      expect(long.text).to.include('name="pretokenized" value="on" checked');
      const json = await request(app).post('/check').send({ source: 'a', target: 'b' }).expect(415);
      expect(json.text).to.include('id="check-form"');
    });

    it('says on the translate page how links are made, and links the translation to the check page', async function () {
      const html = (await request(app).post('/').type('form').send({ text: 'The cat sleeps.', beam: '1' }))
        .text;
      expect(html).to.match(
        /<p class="hint link-method" id="link-method">Each output word is linked to the input word that got the most attention while the model produced it/,
      );
      const href = /<a href="(\/check\?source=[^"]+)" id="check-this">/.exec(html)?.[1];
      expect(href).to.be.a('string');
      const url = new URL(href!.replace(/&amp;/g, '&'), 'http://x');
      expect(url.searchParams.get('source')).to.equal('The cat sleeps.');
      const translation = /<p class="translation" id="translation" lang="spa">([^<]*)<\/p>/.exec(html)?.[1];
      expect(url.searchParams.get('target')).to.equal(translation);
    });
  });

  describe('errors and limits', function () {
    it('404 JSON for an unknown API route, an HTML page for an unknown page', async function () {
      expectError(await request(app).get('/api/nope'), 404, 'not_found');
      expectError(await request(app).get('/nope').set('Accept', 'application/json'), 404, 'not_found');
      const page = await request(app).get('/nope').set('Accept', 'text/html').expect(404);
      expect(page.type).to.equal('text/html');
      expect(page.text).to.include('Page not found');
    });

    it('429 after the rate limit, on the API and the form, counting requests as its message says', async function () {
      const limited = createApp({
        pool: service,
        modelInfo,
        // Loopback is not counted by default; these requests come from 127.0.0.1.
        limits: { rateLimit: { windowMs: 60_000, max: 2, countLoopback: true } },
      });
      // A request of three texts counts once.
      await request(limited)
        .post('/api/translate')
        .send({ texts: ['Hi', 'Bye', 'Tea'] })
        .expect(200);
      const second = await request(limited).post('/api/translate').send({ text: 'Hi' }).expect(200);
      expect(second.headers.ratelimit).to.be.a('string');
      const third = await request(limited).post('/api/translate').send({ text: 'Hi' });
      expectError(third, 429, 'rate_limited');
      expect(third.body.error.message).to.include('the limit is 2 requests per 60 s per client');
      expect(third.body.error.message).to.include('a request counts once, whatever number of texts it holds');
      expectError(
        await request(limited).post('/api/align').send({ source: 'Hi', target: 'Hola' }),
        429,
        'rate_limited',
      );
      expect(
        (await request(limited).post('/check').type('form').send({ source: 'a', target: 'b' })).status,
      ).to.equal(429);
      const form = await request(limited)
        .post('/')
        .type('form')
        .send({ text: 'Hi <b>', beam: '5' })
        .expect(429);
      expect(form.type).to.equal('text/html');
      expect(form.text).to.include('Too many requests');
      expect(form.text).to.include('>Hi &lt;b&gt;</textarea>');
      // Pages and health are not rate limited.
      await request(limited).get('/').expect(200);
      await request(limited).get('/api/health').expect(200);
    });

    it('does not count loopback clients by default: one person on their own machine never meets the limit', async function () {
      const local = createApp({
        pool: service,
        modelInfo,
        limits: { rateLimit: { windowMs: 60_000, max: 1 } },
      });
      for (let i = 0; i < 4; i++)
        await request(local).post('/api/translate').send({ text: 'Hi' }).expect(200);
      expect(DEFAULT_LIMITS.rateLimit.countLoopback ?? false).to.equal(false);
      expect(DEFAULT_LIMITS.rateLimit.max).to.be.greaterThan(0);
      // Behind a trusted proxy, the forwarded client address is what counts.
      const proxied = createApp({
        pool: service,
        modelInfo,
        trustProxy: true,
        limits: { rateLimit: { windowMs: 60_000, max: 1 } },
      });
      const from = (ip: string) =>
        request(proxied).post('/api/translate').set('X-Forwarded-For', ip).send({ text: 'Hi' });
      expect((await from('203.0.113.7')).status).to.equal(200);
      expectError(await from('203.0.113.7'), 429, 'rate_limited');
      expect((await from('203.0.113.8')).status).to.equal(200);
    });

    it('500 without details when translation fails, 503 while shutting down', async function () {
      const failing: TranslationService = {
        info: service.info,
        translate: () => Promise.reject(new Error('secret internals at /work/main/src/x.ts:1:1')),
        align: () => Promise.reject(new Error('secret internals at /work/main/src/y.ts:2:2')),
        close: () => Promise.resolve(),
      };
      const broken = createApp({ pool: failing, modelInfo });
      const res = await request(broken).post('/api/translate').send({ text: 'Hi' });
      expectError(res, 500, 'internal_error');
      expect(res.text).not.to.include('secret');
      const page = await request(broken).post('/').type('form').send({ text: 'Hi' }).expect(500);
      expect(page.text).not.to.include('secret');
      expect(page.text).to.include('Internal server error.');
      const aligned = await request(broken).post('/api/align').send({ source: 'Hi', target: 'Hola' });
      expectError(aligned, 500, 'internal_error');
      expect(aligned.text).not.to.include('secret');
      const check = await request(broken).post('/check').type('form').send({ source: 'Hi', target: 'Hola' });
      expect(check.status).to.equal(500);
      expect(check.text).not.to.include('secret');
      expect(check.text).to.include('id="check-form"');
      const closing = createApp({
        pool: { ...failing, translate: () => Promise.reject(new ServiceClosedError()) },
        modelInfo,
      });
      expectError(await request(closing).post('/api/translate').send({ text: 'Hi' }), 503, 'unavailable');
    });
  });

  describe('GET /api/health', function () {
    it('reports status, model, backend, uptime and live tensors', async function () {
      const res = await request(app).get('/api/health').expect(200);
      expect(res.body.status).to.equal('ok');
      expect(res.body.model).to.deep.equal({
        srcLang: 'eng',
        tgtLang: 'spa',
        parameters: modelInfo.parameters,
      });
      expect(res.body.backend).to.equal(service.info.backend);
      expect(res.body.uptimeSeconds).to.be.a('number').and.at.least(0);
      expect(res.body.tensors).to.be.a('number').and.greaterThan(0);
      expect(res.body.rssBytes).to.be.a('number').and.greaterThan(0);
    });
  });

  describe('WorkerPool', function () {
    let pool: WorkerPool | undefined;

    after(async function () {
      await pool?.close();
    });

    it('starts a worker thread under tsx and batches concurrent requests with the same options', async function () {
      pool = await WorkerPool.start({ modelDir: dir, workers: 1, batchWindowMs: 30, maxBatch: 8 });
      expect(pool.info.parameters).to.equal(modelInfo.parameters);
      expect(pool.info.config.srcLang).to.equal('eng');
      const texts = ['The cat sleeps.', 'The soup is hot.', 'The guests are hungry after the trip.'];
      const results = await Promise.all(texts.map((t) => pool!.translate([t], { beam: 2 })));
      expect(pool.stats()).to.include({ batches: 1, texts: 3, queued: 0, workers: 1 });
      const direct = await service.translate(texts, { beam: 2 });
      expect(results.map((r) => r[0].hypotheses[0].text)).to.deep.equal(
        direct.map((r) => r.hypotheses[0].text),
      );
      // Different options are not mixed into one call.
      await Promise.all([pool.translate(['Hi'], { beam: 1 }), pool.translate(['Hi'], { beam: 3 })]);
      expect(pool.stats().batches).to.equal(3);
      expect(pool.stats().tensors).to.be.greaterThan(0);
    });

    it('force-aligns in the worker, batching align requests apart from translations', async function () {
      const before = pool!.stats().batches;
      const pair = { source: 'The cat sleeps.', target: 'El gato duerme.' };
      const [a, t] = await Promise.all([pool!.align([pair]), pool!.translate(['The cat sleeps.'])]);
      expect(pool!.stats().batches).to.equal(before + 2);
      const [direct] = await service.align([pair]);
      expect(a[0].pharaoh).to.equal(direct.pharaoh);
      expect(a[0].logProb).to.be.closeTo(direct.logProb, 1e-4);
      expect(t[0].hypotheses[0].text).to.be.a('string');
      // Two align requests with the same options share one call.
      const n = pool!.stats().batches;
      await Promise.all([pool!.align([pair]), pool!.align([pair, pair])]);
      expect(pool!.stats().batches).to.equal(n + 1);
    });

    it('serves the app without tensors on the main thread', async function () {
      const poolApp = createApp({ pool: pool!, modelInfo: loadModelInfo(pool!.info) });
      const res = await request(poolApp)
        .post('/api/translate')
        .send({ texts: ['The cat sleeps.'], alignments: true });
      expect(res.status).to.equal(200);
      expect(res.body.translations[0].alignment.sourceWords).to.deep.equal(['The', 'cat', 'sleeps.']);
      const health = await request(poolApp).get('/api/health').expect(200);
      expect(health.body.tensors).to.equal(pool!.stats().tensors);
    });

    it('replaces a worker that dies', async function () {
      const errors: string[] = [];
      const p = await WorkerPool.start({ modelDir: dir, workers: 1, onWorkerError: (m) => errors.push(m) });
      try {
        const slots = (p as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots;
        await slots[0].worker.terminate();
        expect(errors).to.have.length(1);
        const deadline = Date.now() + 30_000;
        while (p.stats().workers === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        expect(p.stats().workers).to.equal(1);
        const [t] = await p.translate(['The cat sleeps.']);
        expect(t.hypotheses[0].text).to.be.a('string');
      } finally {
        await p.close();
      }
    });

    it('rejects new requests after close()', async function () {
      await pool!.close();
      let err: unknown;
      await pool!.translate(['Hi']).catch((e) => (err = e));
      expect(err).to.be.instanceOf(ServiceClosedError);
      pool = undefined;
    });

    it("fails to start with the model loader's error for an invalid model directory", async function () {
      let err: Error | undefined;
      await WorkerPool.start({ modelDir: path.join(dir, 'missing') }).catch((e: Error) => (err = e));
      expect(err?.message).to.match(/cannot read model config .*missing\/config\.json/);
    });
  });
});

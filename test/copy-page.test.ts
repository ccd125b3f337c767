/**
 * Copying on the page and in the API: p_gen per output subword, the words counted as copied, their marks
 * beside the heatmap rows. A tiny untrained copying model (shared vocabulary, tied embeddings).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../src/server/app.js';
import { loadModelInfo } from '../src/server/model-info.js';
import { InProcessService } from '../src/server/service.js';
import { COPIED, copyShares } from '../src/server/view-model.js';
import { scoreRows } from '../src/server/pages.js';
import { segmentWords } from '../src/translate/alignment.js';
import { makeTinyModel } from './helpers/tiny-model.js';

describe('copying on the page and in the API', function () {
  let dir: string;
  let service: InProcessService;
  let app: Express;

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-copy-page-'));
    await makeTinyModel(dir, { copy: true });
    service = await InProcessService.load(dir);
    app = createApp({ pool: service, modelInfo: loadModelInfo(service.info) });
  });

  after(async function () {
    await service?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('copyShares averages 1 − p_gen over the subwords of each word', () => {
    const shares = copyShares(['▁Bar', 'ack', '▁visit', 'ó', '</s>'], [0.1, 0.3, 0.9, 0.7, 0.5]);
    expect(shares.map((s) => s.word)).to.deep.equal(['Barack', 'visitó']);
    expect(shares[0].share).to.be.closeTo(0.8, 1e-9);
    expect(shares[1].share).to.be.closeTo(0.2, 1e-9);
    expect(shares.map((s) => s.copied)).to.deep.equal([true, false]);
    expect(COPIED).to.equal(0.5);
  });

  it('words made of byte-fallback pieces show as their characters', () => {
    const { words, wordOf } = segmentWords([
      '▁I',
      '▁like',
      '▁',
      '<0xF0>',
      '<0x9F>',
      '<0x98>',
      '<0x80>',
      '▁2',
      '0',
      '</s>',
    ]);
    expect(words).to.deep.equal(['I', 'like', '😀', '20']);
    expect(wordOf).to.deep.equal([0, 1, 2, 2, 2, 2, 2, 3, 3, -1]);
  });

  it('the API returns p_gen for every output subword and </s>, and the copied words', async () => {
    const res = await request(app)
      .post('/api/translate')
      .send({ text: 'Tom lives in 2015.', alignments: true })
      .expect(200);
    const a = res.body.translations[0].alignment;
    expect(a.pGen).to.be.an('array').with.length(a.targetTokens.length);
    for (const g of a.pGen) expect(g).to.be.within(0, 1);
    const words: string[] = a.targetWords;
    for (const w of a.copiedWords) expect(words).to.include(w);
    const expected = copyShares(a.targetTokens, a.pGen)
      .filter((c) => c.copied)
      .map((c) => c.word);
    expect(a.copiedWords).to.deep.equal(expected);
  });

  it('the page lists each output word with its copy share and marks copied rows beside the heatmap', async () => {
    const res = await request(app)
      .post('/')
      .type('form')
      .send({ text: 'Tom lives in 2015.', beam: '1' })
      .expect(200);
    expect(res.text).to.contain('Copied from the input');
    const items = res.text.match(/<ul class="copy-list" id="copy-list">([\s\S]*?)<\/ul>/);
    expect(items, 'copy list').to.not.equal(null);
    const chips = [...items![1].matchAll(/<li class="(copied|generated)">/g)].map((m) => m[1]);
    expect(chips.length).to.be.greaterThan(0);
    const marked = (res.text.match(/class="row-head copied"/g) ?? []).length;
    // The mark is ↪, a glyph Debian's fonts have (⧉ drew an empty box in Chromium).
    expect(
      res.text.match(/class="row-head copied"[^>]*>[^<]*<span class="copy-mark"[^>]*>↪</g) ?? [],
    ).to.have.length(marked);
    // Each copied word is marked once in the word matrix, plus its copied subwords in the subword matrix.
    expect(marked).to.be.at.least(chips.filter((c) => c === 'copied').length);
  });

  it('the model page lists every test and validation set with its scores, test sets first', async () => {
    const rows = scoreRows({
      testBleu: 40.9,
      testChrf: 59.6,
      tests: { beam: 5, sets: { 'tatoeba2021.test': { bleu: 34.1, chrf: 55.2, sentences: 1993 } } },
      validation: { sets: { 'news.dev': { bleu: 12.5, chrf: 40.1 }, bogus: { bleu: 'x' } } },
    });
    expect(rows.map((r) => [r.set, r.role, r.bleu, r.how])).to.deep.equal([
      ['tatoeba2021.test', 'test', 34.1, 'beam 5'],
      ['split', 'test', 40.9, 'as recorded'],
      ['news.dev', 'validation', 12.5, 'greedy'],
    ]);
    expect(scoreRows({})).to.deep.equal([]);
    // `export-model --scores` records (evaluate --json): any file and search; a validation file stays validation.
    const recorded = scoreRows({
      testBleu: 40.9,
      corpora: [
        { name: 'news.dev', role: 'valid' },
        { name: 'ted.test', role: 'test' },
        // A run that validates on its corpus's split names that part 'split' too: the test split stays a test.
        { name: 'split', role: 'valid' },
      ],
      scores: [
        { testSet: 'ted.test', bleu: 12.07, chrf: 36.04, beam: 5, sentences: 2994 },
        { testSet: 'news.dev', bleu: 6.98, chrf: 29.11, beam: 5 },
        // From a several-set evaluate: the short name, as the corpora have it, beside the file.
        { name: 'news.dev', testSet: '../shared/news.dev.tsv', bleu: 5.1, beam: 1 },
        { testSet: 'test split of ../shared/corpora/tatoeba/eng-spa.tsv (seed 1)', bleu: 33.17, beam: 1 },
        { testSet: 'test split of x.tsv (seed 1)', bleu: 43.2, beam: 5, referencesPerSentence: 'var' },
        { testSet: 'ted.test', bleu: 'NaN' },
        'not a record',
      ],
      validation: { sets: { 'news.dev': { bleu: 5.39, chrf: 31.3 } } },
    });
    expect(recorded.map((r) => [r.set, r.role, r.bleu, r.how])).to.deep.equal([
      ['ted.test', 'test', 12.07, 'beam 5'],
      ['split', 'test', 33.17, 'greedy'],
      ['split', 'test', 43.2, 'beam 5, all references'],
      ['news.dev', 'validation', 6.98, 'beam 5'],
      ['news.dev', 'validation', 5.1, 'greedy'],
      ['news.dev', 'validation', 5.39, 'greedy'],
    ]);
    const page = await request(app).get('/model').expect(200);
    // The tiny model records no scores: no table, rather than an empty one.
    expect(page.text).to.not.contain('id="score-table"');
    expect(page.text).to.contain('BPE subwords shared by both languages');
    expect(page.text).to.contain('copying through attention (pointer-generator)');
  });
});

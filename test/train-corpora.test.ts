/**
 * Several training corpora with weights, validation and test files by name (src/train/prepare.ts): their
 * sentences never reach training, the first corpus alone is split, each epoch's examples are a pure
 * function of (seed, epoch), and the model card lists every corpus with its licence when a
 * `<corpus>.about.json` says it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { readTsv } from '../src/data/readers.js';
import { TrainConfigSchema } from '../src/train/config.js';
import { parseCorpusSpec, prepareData, setName } from '../src/train/prepare.js';
import { corpusAbout, modelConfigFor, trainedModelInfo } from '../src/train/trained-model.js';
import { createLogger } from '../src/util/log.js';
import { trainTokenizerFile } from '../src/tokenizer/train.js';
import { SAMPLE_CORPUS } from '../src/util/repo-paths.js';

const SAMPLE_3000 = path.join(path.dirname(SAMPLE_CORPUS), 'eng-spa-sample.tsv');

describe('training corpora, validation and test files', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-corpora-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('parses weights and names', () => {
    expect(parseCorpusSpec('a/news.train.tsv@3')).to.deep.equal({ spec: 'a/news.train.tsv', weight: 3 });
    expect(parseCorpusSpec('x.tsv@0.5')).to.deep.equal({ spec: 'x.tsv', weight: 0.5 });
    expect(parseCorpusSpec('plain.tsv')).to.deep.equal({ spec: 'plain.tsv', weight: 1 });
    expect(() => parseCorpusSpec('x.tsv@0')).to.throw(/weight after @ must be a number above 0/);
    expect(setName('../shared/corpora/eng-spa-extra/news.dev.tsv')).to.equal('news.dev');
    expect(setName('data/train.en,data/train.es')).to.equal('train.en');
  });

  it('keeps validation and test sentences out of training, splits only the first corpus, draws epochs reproducibly', function () {
    this.timeout(120_000);
    const pairs = readTsv(SAMPLE_3000);
    const tsv = (name: string, lines: { src: string; tgt: string }[]) => {
      const f = path.join(dir, name);
      fs.writeFileSync(f, lines.map((p) => `${p.src}\t${p.tgt}\n`).join(''));
      return f;
    };
    const extra = tsv('extra.tsv', pairs.slice(2000, 2600));
    const valid = tsv('my.dev.tsv', pairs.slice(2500, 2550)); // 50 of them are also in extra.tsv
    const test = tsv('my.test.tsv', pairs.slice(100, 140)); // and 40 in the first corpus
    const cfg = TrainConfigSchema.parse({
      corpus: [SAMPLE_3000, `${extra}@2`],
      valid: [valid],
      test: [test],
      out: path.join(dir, 'run'),
      srcLang: 'eng',
      tgtLang: 'spa',
      vocabSize: 700,
      validSize: 100,
      testSize: 100,
    });
    const data = prepareData(cfg, createLogger('test', 'silent'));
    const heldOut = new Set([...pairs.slice(2500, 2550), ...pairs.slice(100, 140)].map((p) => p.src));
    for (const c of data.trainCorpora)
      for (const p of c.pairs) expect(heldOut.has(p.src), p.src).to.equal(false);
    expect(data.trainCorpora.map((c) => [c.name, c.weight])).to.deep.equal([
      ['eng-spa-sample', 1],
      ['extra', 2],
    ]);
    expect(data.validSets.map((s) => s.name)).to.deep.equal(['my.dev', 'split']);
    expect(data.testSets.map((s) => [s.name, s.pairs.length])).to.deep.equal([['my.test', 40]]);
    // One shared tokenizer (both sides Latin script); copying and all-tied embeddings follow from it.
    expect(data.srcTokenizerFile).to.equal(data.tgtTokenizerFile);
    const model = modelConfigFor(cfg, data.srcTokenizer.vocabSize, data.tgtTokenizer.vocabSize, true);
    expect([model.tiedEmbeddings, model.copyAttention, model.outputSize]).to.deep.equal(['all', true, 256]);
    // Epoch examples: the extra corpus twice, the same for the same epoch, another draw for the next.
    const e0 = data.epochExamples(0);
    const n = data.trainCorpora[0].pairs.length + 2 * data.trainCorpora[1].pairs.length;
    expect(e0).to.have.length(n);
    expect(JSON.stringify(data.epochExamples(0))).to.equal(JSON.stringify(e0));
    expect(JSON.stringify(data.epochExamples(1))).to.not.equal(JSON.stringify(e0));
  });

  it('--drop-changed-numbers leaves out training pairs that change a number, never validation pairs', function () {
    this.timeout(60_000);
    const lines = (name: string, text: string) => {
      const f = path.join(dir, name);
      fs.writeFileSync(f, text);
      return f;
    };
    const first = lines(
      'first.tsv',
      readTsv(SAMPLE_3000)
        .slice(0, 400)
        .map((p) => `${p.src}\t${p.tgt}\n`)
        .join(''),
    );
    const numbers = lines(
      'numbers.tsv',
      "Meet me at 7:00.\tVeámonos a las 7:00.\nI'm 19.\tTengo diecinueve.\n" +
        "It's 3:10.\tSon las tres y diez.\nI was born in 1990.\tNací en 1990.\n",
    );
    const valid = lines('numbers.dev.tsv', "I'm 20.\tTengo veinte.\nIt's 8:30.\tSon las 8:30.\n");
    const prepared = (dropChangedNumbers: boolean) =>
      prepareData(
        TrainConfigSchema.parse({
          corpus: [first, numbers],
          valid: [valid],
          out: path.join(dir, `run-numbers-${dropChangedNumbers}`),
          vocabSize: 400,
          validSize: 50,
          testSize: 0,
          dropChangedNumbers,
        }),
        createLogger('test', 'silent'),
      );
    const kept = prepared(true);
    expect(kept.trainCorpora[1].pairs.map((p) => p.src)).to.deep.equal([
      'Meet me at 7:00.',
      'I was born in 1990.',
    ]);
    expect(kept.validSets[0].pairs).to.have.length(2);
    expect(prepared(false).trainCorpora[1].pairs).to.have.length(4);
  });

  it('one tokenizer file given for both sides is a shared vocabulary, reused as it is', function () {
    this.timeout(60_000);
    const pairs = readTsv(SAMPLE_3000).slice(0, 500);
    const file = path.join(dir, 'given', 'both.tokenizer.json');
    trainTokenizerFile([...pairs.map((p) => p.src), ...pairs.map((p) => p.tgt)], file, { vocabSize: 600 });
    const before = fs.readFileSync(file, 'utf8');
    const out = path.join(dir, 'run-given');
    const cfg = TrainConfigSchema.parse({
      corpus: SAMPLE_3000,
      out,
      srcTokenizer: file,
      // the same file under another spelling of its path
      tgtTokenizer: path.join(dir, 'given', '..', 'given', 'both.tokenizer.json'),
      validSize: 100,
      testSize: 0,
    });
    const data = prepareData(cfg, createLogger('test', 'silent'));
    expect(path.resolve(data.srcTokenizerFile)).to.equal(path.resolve(data.tgtTokenizerFile));
    expect(data.srcTokenizer.vocabSize).to.equal(data.tgtTokenizer.vocabSize);
    expect(fs.readFileSync(file, 'utf8')).to.equal(before); // not retrained
    expect(fs.existsSync(path.join(out, 'vocab'))).to.equal(false); // nothing trained beside it
    const missing = TrainConfigSchema.parse({
      corpus: SAMPLE_3000,
      out,
      srcTokenizer: path.join(dir, 'nope.json'),
      tgtTokenizer: path.join(dir, 'nope.json'),
    });
    expect(() => prepareData(missing, createLogger('test', 'silent'))).to.throw(
      /tokenizer file not found: .*nope\.json/,
    );
  });

  it('the model card lists every corpus by role, with the licence an .about.json gives', () => {
    expect(corpusAbout(SAMPLE_3000)).to.deep.include({ licence: 'CC-BY 2.0 FR' });
    expect(corpusAbout(path.join(dir, 'none.tsv'))).to.deep.equal({});
    const cfg = TrainConfigSchema.parse({ corpus: SAMPLE_3000, out: path.join(dir, 'run2') });
    const data = {
      trainCorpora: [{ name: 'eng-spa-sample', spec: SAMPLE_3000, weight: 1, pairs: [] }],
      validSets: [{ name: 'split', source: SAMPLE_3000, pairs: [], examples: [] }],
      testSets: [],
      splits: { train: [], valid: [], test: [{ src: 'a', tgt: 'b' }] },
    } as unknown as Parameters<typeof trainedModelInfo>[3];
    const info = trainedModelInfo(
      cfg,
      { step: 1, bestStep: 1, bestBleu: 1, elapsedSeconds: 1 } as Parameters<typeof trainedModelInfo>[1],
      10,
      data,
    );
    expect(info.corpus).to.equal(SAMPLE_3000);
    const corpora = info.corpora as Record<string, unknown>[];
    expect(corpora.map((c) => c.role)).to.deep.equal(['train', 'valid', 'test']);
    for (const c of corpora) expect(c.licence).to.equal('CC-BY 2.0 FR');
  });
});

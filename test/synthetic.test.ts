/**
 * src/data/synthetic.ts (English → Spanish-style dates with gold word alignments), and what it is for:
 * a small model trained on it with the project's Trainer must translate held-out dates and put its
 * attention on the right source words. Also a smoke run of `npm run train -- --corpus synthetic:dates:N`
 * and `npm run evaluate -- --split test` on its model, as child processes.
 *
 * NMT_SKIP_SLOW=1 skips the training test (about a minute of CPU).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'chai';
import { pino } from 'pino';

import { initBackend } from '../src/backend/select.js';
import { disposeBatch, toTensorBatch } from '../src/data/batching.js';
import { loadCorpus } from '../src/data/corpus.js';
import { normalizeText } from '../src/data/readers.js';
import '../src/data/synthetic.js';
import {
  DEFAULT_DATES_PAIRS,
  FIRST_YEAR,
  LAST_YEAR,
  type GoldLink,
  generateDates,
  ordinalSuffix,
  ordinalWord,
} from '../src/data/synthetic.js';
import { CorpusError, type SentencePair } from '../src/data/types.js';
import { TrainConfigSchema } from '../src/train/config.js';
import { prepareData } from '../src/train/prepare.js';
import { Trainer } from '../src/train/trainer.js';
import { wordAlignment } from '../src/translate/alignment.js';
import { Translator } from '../src/translate/translator.js';

const execFileAsync = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const MONTHS = 'january february march april may june july august september october november december'.split(
  ' ',
);
const ABBR = 'jan feb mar apr may jun jul aug sep oct nov dec'.split(' ');
const MESES =
  'enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre'.split(' ');
const WEEKDAYS = 'sunday monday tuesday wednesday thursday friday saturday'.split(' ');
const DIAS = 'domingo lunes martes miércoles jueves viernes sábado'.split(' ');

/** The day a source word names: "3", "03", "3rd" or "third". */
function dayOf(word: string): number | undefined {
  if (/^\d{1,2}$/.test(word)) return Number(word);
  for (let d = 1; d <= 31; d++) if (word === ordinalSuffix(d) || word === ordinalWord(d)) return d;
  return undefined;
}

/** The 0-based month a source word names: "march", "mar" or "03". */
function monthOf(word: string): number | undefined {
  if (/^\d\d$/.test(word)) return Number(word) - 1;
  const i = MONTHS.indexOf(word);
  return i >= 0 ? i : ABBR.indexOf(word) >= 0 ? ABBR.indexOf(word) : undefined;
}

/** What a source word stands for (W weekday, d/dth/ord day, M/mon/mm month, Y year), or the filler itself. */
function role(word: string, links: GoldLink[], index: number, tgt: string[]): string {
  const link = links.find(([s]) => s === index);
  if (!link) return word;
  const t = tgt[link[1]];
  if (DIAS.includes(t)) return 'W';
  if (MESES.includes(t)) return /^\d/.test(word) ? 'mm' : MONTHS.includes(word) ? 'M' : 'mon';
  if (/^\d{4}$/.test(t)) return 'Y';
  return /^\d+$/.test(word) ? 'd' : /^\d/.test(word) ? 'dth' : 'ord';
}

describe('synthetic dates corpus', () => {
  describe('generateDates', () => {
    const { pairs, gold } = generateDates(3000, 11);

    it('is deterministic per seed, differs between seeds, and a longer corpus extends a shorter one', () => {
      expect(generateDates(200, 11)).to.deep.equal(generateDates(200, 11));
      expect(generateDates(200, 12).pairs).to.not.deep.equal(generateDates(200, 11).pairs);
      expect(generateDates(200, 11).pairs).to.deep.equal(pairs.slice(0, 200));
      expect(generateDates(0, 1)).to.deep.equal({ pairs: [], gold: [] });
      expect(() => generateDates(-1, 1)).to.throw(RangeError);
    });

    it('writes whole words separated by single spaces, already normalised', () => {
      for (const p of pairs) {
        expect(normalizeText(p.src)).to.equal(p.src);
        expect(normalizeText(p.tgt)).to.equal(p.tgt);
        expect(p.src.split(' ').every((w) => w.length > 0)).to.equal(true);
      }
    });

    it('has one gold link per content word of the target, to the source word with the same meaning', () => {
      pairs.forEach((p, k) => {
        const src = p.src.split(' ');
        const tgt = p.tgt.split(' ');
        const links = gold[k];
        const where = `pair ${k}: ${p.src} → ${p.tgt} ${JSON.stringify(links)}`;
        // Target: [weekday] day de month de year.
        const content = tgt.map((w, i) => i).filter((i) => tgt[i] !== 'de');
        expect(
          links.map(([, t]) => t),
          where,
        ).to.deep.equal(content);
        expect(new Set(links.map(([s]) => s)).size, where).to.equal(links.length);
        for (const [s, t] of links) {
          expect(s, where).to.be.within(0, src.length - 1);
          expect(t, where).to.be.within(0, tgt.length - 1);
          const [sw, tw] = [src[s], tgt[t]];
          if (DIAS.includes(tw)) expect(WEEKDAYS.indexOf(sw), where).to.equal(DIAS.indexOf(tw));
          else if (MESES.includes(tw)) expect(monthOf(sw), where).to.equal(MESES.indexOf(tw));
          else if (/^\d{4}$/.test(tw)) expect(sw, where).to.equal(tw);
          else expect(dayOf(sw), where).to.equal(Number(tw));
        }
        const year = Number(tgt[tgt.length - 1]);
        expect(year, where).to.be.within(FIRST_YEAR, LAST_YEAR);
        // A real calendar date, with its real weekday.
        const day = Number(tgt[tgt.length - 5]);
        const month = MESES.indexOf(tgt[tgt.length - 3]);
        const date = new Date(Date.UTC(year, month, day));
        expect(date.getUTCDate(), where).to.equal(day);
        if (tgt.length === 6) expect(tgt[0], where).to.equal(DIAS[date.getUTCDay()]);
      });
    });

    it('varies the source format and word order (the target order never changes)', () => {
      const formats = new Map<string, number>();
      const orders = new Set<string>();
      pairs.forEach((p, k) => {
        const src = p.src.split(' ');
        const tgt = p.tgt.split(' ');
        if (src.includes('may')) return; // "may" is both the full name and the abbreviation: ambiguous shape
        const roles = src.map((w, i) => role(w, gold[k], i, tgt));
        const shape = roles.join(' ');
        formats.set(shape, (formats.get(shape) ?? 0) + 1);
        orders.add(roles.filter((r) => !/^(W|the|of|,|-)$/.test(r)).join(' '));
      });
      expect([...formats.keys()]).to.include.members([
        'M d , Y',
        'd M Y',
        'the ord of M Y',
        'M the ord , Y',
        'dth M Y',
        'mon d Y',
        'Y - mm - d',
        'W , M d , Y',
        'W , the ord of M Y',
      ]);
      // Day-month-year, month-day-year and year-month-day orders all occur.
      expect([...orders]).to.include.members(['d M Y', 'M d Y', 'Y mm d', 'ord M Y', 'M ord Y']);
      // No format dominates: each of the 7 base formats has a fair share.
      const base = [...formats].reduce<Map<string, number>>((m, [shape, n]) => {
        const key = shape.replace(/^W , /, '');
        return m.set(key, (m.get(key) ?? 0) + n);
      }, new Map());
      expect(base.size).to.equal(7);
      for (const [shape, n] of base) expect(n, shape).to.be.above(pairs.length / 7 / 2 / 2);
    });
  });

  describe('corpus source synthetic:', () => {
    it('loads synthetic:dates, synthetic:dates:N and synthetic:dates:N:SEED', () => {
      expect(loadCorpus('synthetic:dates:50')).to.deep.equal(generateDates(50, 1).pairs);
      expect(loadCorpus('synthetic:dates:50:7')).to.deep.equal(generateDates(50, 7).pairs);
      const all = loadCorpus('synthetic:dates');
      expect(all.length).to.equal(DEFAULT_DATES_PAIRS);
      expect(all.slice(0, 50)).to.deep.equal(generateDates(50, 1).pairs);
    });

    it('swaps the sides with reverse', () => {
      const swapped = loadCorpus('synthetic:dates:20', { reverse: true });
      expect(swapped).to.deep.equal(
        generateDates(20, 1).pairs.map((p: SentencePair) => ({ src: p.tgt, tgt: p.src })),
      );
    });

    it('rejects unknown names and bad numbers with a CorpusError naming the spec', () => {
      for (const spec of [
        'synthetic:numbers',
        'synthetic:dates:0',
        'synthetic:dates:ten',
        'synthetic:dates:5:x',
        'synthetic:dates:5:1:2',
      ]) {
        expect(() => loadCorpus(spec), spec)
          .to.throw(CorpusError)
          .with.property('message')
          .that.includes(spec);
      }
    });
  });

  describe('training on dates (wasm, small model)', function () {
    // Measured with these settings (learning rate 5e-3, ≤ 64 sentences per batch) on 2 shared cores:
    //   350 steps, seeds 1–3: exact match 0.965–1.000, alignment (teacher-forced) 0.977–1.000, 52–64 s;
    //   500 steps, seeds 1–5: exact match 1.000, alignment 0.992–1.000, 50–90 s.
    // The thresholds sit well below the observed minima, so a run cut short by the time cap still passes,
    // while a model that does not attend (the diagonal baseline scores about 0.54) cannot.
    const STEPS = 400;
    const MAX_SECONDS = 100;
    const MIN_EXACT = 0.85;
    const MIN_ALIGNMENT = 0.9;

    let out: string | undefined;
    after(() => {
      if (out) fs.rmSync(out, { recursive: true, force: true });
    });

    it('translates held-out dates and aligns target words to the gold source words', async function () {
      if (process.env.NMT_SKIP_SLOW === '1') {
        this.test!.title += ' [skipped: NMT_SKIP_SLOW=1 is set; this test trains a model for about a minute]';
        this.skip();
      }
      this.timeout(300_000);
      out = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-dates-'));
      await initBackend('wasm');
      const corpusSize = 6000;
      const cfg = TrainConfigSchema.parse({
        corpus: `synthetic:dates:${corpusSize}`,
        out,
        // The classic model: two small vocabularies without byte pieces (a shared 8,000-piece one would be
        // mostly whole dates here), no copying, no tying, no noise; test/copy.test.ts covers copying.
        sharedVocab: 'no',
        tieEmbeddings: 'none',
        copyAttention: false,
        bpeDropout: 0,
        upperCaseShare: 0,
        lowerCaseShare: 0,
        dropPunctuationShare: 0,
        byteFallback: false,
        splitDigits: false,
        srcVocabSize: 250,
        tgtVocabSize: 180,
        embeddingSize: 32,
        hiddenSize: 64,
        attentionSize: 64,
        outputSize: 64,
        dropout: 0.1,
        labelSmoothing: 0.1,
        learningRate: 5e-3,
        tokenBudget: 1500,
        maxSentences: 64,
        validSize: 200,
        testSize: 0,
        bleuSentences: 100,
        validEvery: 1_000_000,
        checkpointEvery: 1_000_000,
        maxSteps: STEPS,
        maxMinutes: MAX_SECONDS / 60,
        seed: 1,
      });
      const log = pino({ level: 'silent' });
      const data = prepareData(cfg, log);
      const trainer = new Trainer(cfg, data, log);
      const result = await trainer.run();
      const trained = `${result.state.step} steps in ${result.state.elapsedSeconds.toFixed(0)} s on ${tf.getBackend()}`;

      // 200 held-out dates: another seed, minus any source sentence of the training corpus.
      const seen = new Set(generateDates(corpusSize, 1).pairs.map((p) => p.src));
      const candidates = generateDates(400, 20_240_601);
      const keep = [...candidates.pairs.keys()]
        .filter((k) => !seen.has(candidates.pairs[k].src))
        .slice(0, 200);
      expect(keep.length).to.equal(200);
      const pairs = keep.map((k) => candidates.pairs[k]);
      const gold = keep.map((k) => candidates.gold[k]);

      const translator = Translator.load(result.modelDir);
      try {
        // Greedy translations with their attention.
        const translations = translator.translate(
          pairs.map((p) => p.src),
          { beam: 1, withAttention: true },
        );
        let exact = 0;
        const decoded = { hits: 0, total: 0 };
        const diagonal = { hits: 0, total: 0 };
        translations.forEach((t, k) => {
          const h = t.hypotheses[0];
          if (h.text === pairs[k].tgt) exact++;
          const wa = wordAlignment(t.sourceTokens!, h.tokens!, h.attention!);
          expect(wa.sourceWords.join(' ')).to.equal(pairs[k].src);
          const ref = pairs[k].tgt.split(' ');
          for (const [s, i] of gold[k]) {
            // Score the words the model got right, at the right place; others have no gold source word.
            if (wa.targetWords[i] !== ref[i]) continue;
            decoded.total++;
            if (wa.links.some(([ls, li]) => ls === s && li === i)) decoded.hits++;
          }
          // Baseline: a monotone aligner that links target word i to source word round(i · S / T).
          for (const [s, i] of gold[k]) {
            diagonal.total++;
            const S = wa.sourceWords.length;
            if (Math.min(S - 1, Math.round((i * S) / ref.length)) === s) diagonal.hits++;
          }
        });

        // Teacher-forced on the references: alignment of every gold link, whatever the model would output.
        const { model, srcTokenizer, tgtTokenizer } = translator.loaded;
        const examples = pairs.map((p) => ({
          src: srcTokenizer.encode(p.src),
          tgt: tgtTokenizer.encode(p.tgt),
        }));
        const batch = toTensorBatch(examples);
        const attention = tf.tidy(() => model.forceDecode(batch).attention);
        const a = (await attention.array()) as number[][][];
        attention.dispose();
        disposeBatch(batch);
        const forced = { hits: 0, total: 0 };
        examples.forEach((e, k) => {
          const srcTokens = [...srcTokenizer.tokens(e.src), '</s>'];
          const rows = a[k].slice(0, e.tgt.length).map((row) => row.slice(0, srcTokens.length));
          const wa = wordAlignment(srcTokens, tgtTokenizer.tokens(e.tgt), rows);
          expect(wa.sourceWords.join(' ')).to.equal(pairs[k].src);
          expect(wa.targetWords.join(' ')).to.equal(pairs[k].tgt);
          for (const [s, i] of gold[k]) {
            forced.total++;
            if (wa.links.some(([ls, li]) => ls === s && li === i)) forced.hits++;
          }
        });

        const rate = (x: { hits: number; total: number }) => x.hits / Math.max(1, x.total);
        const summary =
          `${trained}: exact match ${exact}/200 = ${(exact / 200).toFixed(3)}, ` +
          `alignment accuracy (greedy output) ${decoded.hits}/${decoded.total} = ${rate(decoded).toFixed(3)}, ` +
          `(teacher-forced) ${forced.hits}/${forced.total} = ${rate(forced).toFixed(3)}, ` +
          `diagonal baseline ${rate(diagonal).toFixed(3)}`;
        console.log(`      ${summary}`);
        expect(exact / 200, summary).to.be.at.least(MIN_EXACT);
        expect(decoded.total, summary).to.be.at.least(0.8 * forced.total);
        expect(rate(decoded), summary).to.be.at.least(MIN_ALIGNMENT);
        expect(rate(forced), summary).to.be.at.least(MIN_ALIGNMENT);
        expect(rate(diagonal), summary).to.be.below(MIN_ALIGNMENT - 0.3);
      } finally {
        translator.dispose();
      }
    });
  });

  describe('command line', () => {
    let out: string;
    before(() => {
      out = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-train-cli-'));
    });
    after(() => fs.rmSync(out, { recursive: true, force: true }));

    it('npm run train -- --corpus synthetic:dates:2000 --max-steps 5, then evaluate --split test on its model', async function () {
      this.timeout(120_000);
      const env = { ...process.env, NMT_LOG_LEVEL: 'warn' };
      // prettier-ignore
      await execFileAsync('npm', [
        'run', '-s', 'train', '--',
        '--corpus', 'synthetic:dates:2000', '--max-steps', '5', '--out', out,
        '--embedding-size', '8', '--hidden-size', '8', '--attention-size', '8', '--output-size', '8',
        '--src-vocab-size', '120', '--tgt-vocab-size', '100',
        '--valid-size', '50', '--test-size', '50', '--bleu-sentences', '20', '--backend', 'wasm',
      ], { cwd: repoRoot, env });
      const config = JSON.parse(fs.readFileSync(path.join(out, 'model', 'config.json'), 'utf8')) as {
        info: { corpus: string; step: number; split: { testSize: number } };
      };
      expect(config.info.corpus).to.equal('synthetic:dates:2000');
      expect(config.info.step).to.equal(5);
      const events = fs
        .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { event: string; step: number; reason?: string });
      expect(events.at(-1)).to.include({ event: 'stop', step: 5, reason: 'max steps (5) reached' });

      const hypFile = path.join(out, 'hyp.txt');
      // prettier-ignore
      const evaluate = await execFileAsync('npm', [
        'run', '-s', 'evaluate', '--',
        '--model', path.join(out, 'model'), '--split', 'test', '--json', '--beam', '1', '--limit', '20',
        '--out', hypFile, '--backend', 'wasm',
      ], { cwd: repoRoot, env });
      const report = JSON.parse(evaluate.stdout) as Record<string, unknown>;
      expect(report).to.include({ beam: 1, sentences: 20 });
      expect(report.bleu).to.be.a('number');
      expect(report.chrf).to.be.a('number');
      expect(report.testSet).to.match(/^test split of synthetic:dates:2000/);
      expect(fs.readFileSync(hypFile, 'utf8').split('\n')).to.have.length(21);
    });
  });
});

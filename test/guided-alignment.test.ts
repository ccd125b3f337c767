/**
 * Guided alignment (src/train/guided-alignment.ts): chunk links become subword guide rows, through noise
 * (case, dropped punctuation) and not through a guess; the cost is −Σ g log a; training with it moves a
 * tiny model's attention onto the guide where training without it does not; and prepareData attaches
 * guides to the examples of every epoch and keeps the aligner for the model folder.
 */
import path from 'node:path';
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/select.js';
import { type Example, disposeBatch, guideRows, toTensorBatch } from '../src/data/batching.js';
import { guidedAlignmentCost } from '../src/model/loss.js';
import { Seq2Seq } from '../src/model/seq2seq.js';
import { LocalEngine } from '../src/train/engine.js';
import { matchWords, subwordGuide } from '../src/train/guided-alignment.js';
import { TrainConfigSchema } from '../src/train/config.js';
import { prepareData } from '../src/train/prepare.js';
import { createLogger } from '../src/util/log.js';
import { SAMPLE_CORPUS } from '../src/util/repo-paths.js';
import { Rng } from '../src/util/rng.js';
import { tinyModelConfig } from './helpers/model-config.js';

/** Pairs [source, target] of a flat guide, sorted, for comparisons. */
const pairsOf = (flat: readonly number[] | undefined) => {
  if (!flat) return undefined;
  const out: [number, number][] = [];
  for (let k = 0; k < flat.length; k += 2) out.push([flat[k], flat[k + 1]]);
  return out.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
};

describe('guided alignment', () => {
  before(async () => {
    await initBackend();
  });

  const original = { src: 'Tom sleeps.', tgt: '¡Tom duerme!' };
  // Chunks "Tom"–"¡Tom", "sleeps."–"duerme!".
  const links: [number, number][] = [
    [0, 0],
    [1, 1],
  ];

  it('matches the chunks of a noised copy back to the original, in order, marks aside', () => {
    const key = (c: string) => c.toLowerCase().replace(/[!¡]/g, '');
    expect(matchWords(['¡Tom', 'duerme', '!'], ['Tom', 'duerme'], key)).to.deep.equal([0, 1]);
    expect(matchWords(['a', 'b', 'a'], ['a', 'a'])).to.deep.equal([0, 2]);
    expect(matchWords(['a', 'b'], ['b', 'a'])).to.equal(undefined);
    expect(matchWords(['a'], ['c'])).to.equal(undefined);
  });

  it('turns chunk links into subword links, </s> to </s>', () => {
    const g = subwordGuide(
      original,
      original,
      links,
      ['▁Tom', '▁sle', 'eps', '.'],
      ['▁¡', 'Tom', '▁duer', 'me', '!'],
    );
    const expected: [number, number][] = [
      [0, 0],
      [0, 1],
    ];
    for (const j of [1, 2, 3]) for (const t of [2, 3, 4]) expected.push([j, t]);
    expected.push([4, 5]);
    expect(pairsOf(g)).to.deep.equal(expected);
  });

  it('follows the chunks through ALL CAPS and dropped punctuation (¡ and ! gone)', () => {
    const shown = { src: 'TOM SLEEPS', tgt: 'Tom duerme' };
    const g = subwordGuide(original, shown, links, ['▁T', 'OM', '▁SLE', 'EPS'], ['▁Tom', '▁duerme']);
    expect(pairsOf(g)).to.deep.equal([
      [0, 0],
      [1, 0],
      [2, 1],
      [3, 1],
      [4, 2],
    ]);
    // French writes a space before "!": dropping it removes a whole chunk.
    const fr = { src: 'Stop!', tgt: 'Arrête !' };
    const frLinks: [number, number][] = [
      [0, 0],
      [0, 1],
    ];
    const dropped = subwordGuide(fr, { src: 'Stop', tgt: 'Arrête' }, frLinks, ['▁Stop'], ['▁Arr', 'ête']);
    expect(pairsOf(dropped)).to.deep.equal([
      [0, 0],
      [0, 1],
      [1, 2],
    ]);
  });

  it('guides the subwords of a chunk written the same on both sides one to one (names, numbers: copying)', () => {
    const pair = { src: 'Pedro has 200 books.', tgt: 'Pedro tiene 200 libros.' };
    const chunkLinks: [number, number][] = [
      [0, 0],
      [1, 1],
      [2, 2],
      [3, 3],
    ];
    const g = subwordGuide(
      pair,
      pair,
      chunkLinks,
      ['▁P', 'ed', 'ro', '▁has', '▁2', '0', '0', '▁books', '.'],
      ['▁P', 'ed', 'ro', '▁tiene', '▁2', '0', '0', '▁libr', 'os', '.'],
    );
    expect(pairsOf(g)).to.deep.equal([
      [0, 0],
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 4],
      [5, 5],
      [6, 6],
      // "books." — "libros.": spread over the whole source chunk, as before.
      [7, 7],
      [7, 8],
      [7, 9],
      [8, 7],
      [8, 8],
      [8, 9],
      [9, 10],
    ]);
  });

  it('gives no guide when the subwords do not spell the chunks (byte pieces)', () => {
    const g = subwordGuide(original, original, links, ['▁Tom', '<0xC3>', '.'], ['▁¡', 'Tom', '▁duerme', '!']);
    expect(g).to.equal(undefined);
  });

  it('guide rows spread 1 over the linked source positions; rows without links stay 0', () => {
    // Example 0: target 0 ← sources 0 and 1, target 1 ← source 2; example 1: no guide.
    const rows = guideRows([[0, 0, 1, 0, 2, 1], undefined], 3, 3);
    expect(Array.from(rows)).to.deep.equal([0.5, 0.5, 0, 0, 0, 1, 0, 0, 0, ...new Array<number>(9).fill(0)]);
    const ex: Example[] = [
      { src: [5, 6], tgt: [7], guide: [0, 0, 2, 1] },
      { src: [5], tgt: [7, 8] },
    ];
    const batch = toTensorBatch(ex, false, true);
    try {
      expect(batch.guide!.shape).to.deep.equal([2, 3, 3]);
      expect(Array.from(batch.guide!.dataSync().slice(0, 9))).to.deep.equal([1, 0, 0, 0, 0, 1, 0, 0, 0]);
    } finally {
      disposeBatch(batch);
    }
    const plain = toTensorBatch(ex, false, false);
    expect(plain.guide).to.equal(undefined);
    disposeBatch(plain);
  });

  it('costs −Σ g log a', () => {
    const cost = tf.tidy(
      () =>
        guidedAlignmentCost(
          tf.tensor3d([0.5, 0.25, 0.25, 0.1, 0.1, 0.8], [1, 2, 3]),
          tf.tensor3d([1, 0, 0, 0, 0.5, 0.5], [1, 2, 3]),
        ).dataSync()[0],
    );
    expect(cost).to.be.closeTo(-Math.log(0.5) - 0.5 * Math.log(0.1) - 0.5 * Math.log(0.8), 1e-5);
  });

  it('pulls attention onto the guide; training without it does not', async function () {
    this.timeout(120_000);
    // Three tokens in, the same three out; the guide links target t to source 2 − t (reversed), which
    // nothing in the data suggests. Attention mass on the guided positions after training:
    const rng = new Rng(5);
    const examples: Example[] = Array.from({ length: 32 }, () => {
      const x = [4 + rng.int(8), 4 + rng.int(8), 4 + rng.int(8)];
      return { src: x, tgt: [...x], guide: [2, 0, 1, 1, 0, 2, 3, 3] };
    });
    const massOnGuide = (weight: number) => {
      const model = new Seq2Seq(tinyModelConfig(12, { embeddingSize: 16, decoderHiddenSize: 16 }), 3);
      const engine = new LocalEngine(model, {
        labelSmoothing: 0,
        clipNorm: 1,
        learningRate: 0.02,
        guidedAlignment: weight,
      });
      return (async () => {
        for (let step = 0; step < 60; step++) await engine.step(examples, step);
        const batch = toTensorBatch(examples, false, true);
        try {
          return tf.tidy(() => {
            const { attention } = model.forceDecode(batch);
            // Mean over the guided rows (all four per example) of Σ_j g_tj a_tj.
            return tf.sum(tf.mul(attention, batch.guide!)).dataSync()[0] / (4 * examples.length);
          });
        } finally {
          disposeBatch(batch);
          model.dispose();
        }
      })();
    };
    const guided = await massOnGuide(1);
    const free = await massOnGuide(0);
    expect(guided, `guided ${guided}, unguided ${free}`).to.be.above(0.8);
    expect(guided - free, `guided ${guided}, unguided ${free}`).to.be.above(0.3);
  });

  it('prepareData attaches guides to the examples of every epoch, noise included', function () {
    this.timeout(120_000);
    const cfg = TrainConfigSchema.parse({
      corpus: [path.join(path.dirname(SAMPLE_CORPUS), 'eng-spa-sample.tsv')],
      out: '/nonexistent-guided-alignment-test',
      vocabDir: path.join(process.env.TMPDIR ?? '/tmp', `nmt-guided-vocab-${process.pid}`),
      srcLang: 'eng',
      tgtLang: 'spa',
      vocabSize: 700,
      validSize: 100,
      testSize: 100,
      guidedAlignment: 0.5,
      upperCaseShare: 0.2,
      lowerCaseShare: 0.2,
      dropPunctuationShare: 0.3,
    });
    const data = prepareData(cfg, createLogger('test', 'silent'));
    const within = (e: Example) =>
      e.guide!.every((v, k) => (k % 2 === 0 ? v <= e.src.length : v <= e.tgt.length));
    for (const examples of [data.train, data.epochExamples(0)]) {
      const guided = examples.filter((e) => e.guide);
      expect(guided.length / examples.length).to.be.above(0.95);
      expect(guided.every(within)).to.equal(true);
      // Most target subwords of a short Tatoeba pair have a link.
      const rows = guided.reduce((n, e) => n + new Set(e.guide!.filter((_, k) => k % 2 === 1)).size, 0);
      const tokens = guided.reduce((n, e) => n + e.tgt.length + 1, 0);
      expect(rows / tokens).to.be.above(0.5);
    }
    // Validation examples never carry a guide.
    expect(data.validSets.every((s) => s.examples.every((e) => !e.guide))).to.equal(true);
    // The aligner it trained goes into the model folder (trained-model.ts) with the run's languages.
    expect([data.lexicon?.srcLang, data.lexicon?.tgtLang, data.lexicon?.trainedOn.pairs]).to.deep.equal([
      'eng',
      'spa',
      data.train.length,
    ]);
  });
});

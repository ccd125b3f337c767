/**
 * Copying through attention (pointer-generator, See et al. 2017) and tied embeddings: the mixture loss
 * and its hand-written gradients against TensorFlow.js's autodiff of the plain formula, with and without
 * the native loss kernel; the step mixture's scatter-add; a copying model's search scores against its
 * teacher-forced scores; and a tiny model that learns to copy tokens it never saw as targets.
 */
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/select.js';
import { Rng } from '../src/util/rng.js';
import { type Example, disposeBatch, toTensorBatch } from '../src/data/batching.js';
import type { ModelConfig } from '../src/model/config.js';
import { EOS_ID } from '../src/tokenizer/special-ids.js';
import { tinyModelConfig } from './helpers/model-config.js';
import { copyMixtureCrossEntropy } from '../src/model/loss.js';
import { Seq2Seq, copySource } from '../src/model/seq2seq.js';
import { copyMixtureOps } from '../src/backend/reference-ops.js';
import { greedySearch } from '../src/search/greedy.js';
import { beamSearch, coverageTerm, lengthPenalty } from '../src/search/beam.js';
import { SOFTMAX_XENT } from '../src/backend/wasm/softmax-xent.js';
import { LocalEngine } from '../src/train/engine.js';
import { Translator } from '../src/translate/translator.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeTinyModel } from './helpers/tiny-model.js';

const V = 24;

function copyConfig(overrides: Partial<ModelConfig> = {}): ModelConfig {
  return tinyModelConfig(V, { tiedEmbeddings: 'all', copyAttention: true, ...overrides });
}

/** The loss written plainly, for autodiff: Σ w ((1−ε)(−log P(y)) + ε (lse − mean z)). */
function plainMixtureLoss(
  z: tf.Tensor2D,
  y: tf.Tensor1D,
  w: tf.Tensor1D,
  g: tf.Tensor1D,
  c: tf.Tensor1D,
  eps: number,
): tf.Scalar {
  const Vz = z.shape[1];
  const logp = tf.logSoftmax(z);
  const py = tf.sum(tf.mul(tf.exp(logp), tf.cast(tf.oneHot(y, Vz), 'float32')), 1);
  const P = tf.add(tf.mul(g, py), tf.mul(tf.sub(1, g), c));
  const smooth = tf.neg(tf.mean(logp, 1));
  return tf.sum(tf.mul(w, tf.add(tf.mul(tf.neg(tf.log(P)), 1 - eps), tf.mul(smooth, eps)))) as tf.Scalar;
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/**
 * Σ log p of `tokens` under teacher forcing given `src` (ending in </s>), plus log p(</s>) after them when
 * `withEos`: what a search reports for a hypothesis that ended (or was cut at the length limit).
 */
function forcedLogProb(model: Seq2Seq, src: number[], tokens: number[], withEos: boolean): number {
  const ex: Example = { src: src.slice(0, -1), tgt: tokens };
  const batch = toTensorBatch([ex], true);
  const perToken = tf.tidy(() => Array.from(model.targetLogProbs(batch).logProbs.dataSync()));
  disposeBatch(batch);
  return (withEos ? perToken : perToken.slice(0, -1)).reduce((a, x) => a + x, 0);
}

describe('copy mechanism (pointer-generator)', () => {
  before(async () => {
    await initBackend();
  });

  for (const eps of [0, 0.1]) {
    it(`the mixture loss and its gradients match autodiff of the plain formula (ε = ${eps})`, () => {
      const rng = new Rng(3);
      const N = 6;
      const Vz = 11;
      const z = tf.tensor2d(
        Array.from({ length: N * Vz }, () => rng.next() * 4 - 2),
        [N, Vz],
      );
      const y = tf.tensor1d([1, 4, 7, 10, 0, 3], 'int32');
      const w = tf.tensor1d([1, 1, 1, 1, 0, 1]); // row 4 is padding
      const g = tf.tensor1d([0.9, 0.2, 0.5, 0.01, 0.5, 0.7]);
      const c = tf.tensor1d([0, 0.8, 0.3, 0.95, 0, 0.1]);
      const ours = tf.grads((zz: tf.Tensor, gg: tf.Tensor, cc: tf.Tensor) =>
        copyMixtureCrossEntropy(zz as tf.Tensor2D, y, w, gg as tf.Tensor1D, cc as tf.Tensor1D, eps),
      );
      const plain = tf.grads((zz: tf.Tensor, gg: tf.Tensor, cc: tf.Tensor) =>
        plainMixtureLoss(zz as tf.Tensor2D, y, w, gg as tf.Tensor1D, cc as tf.Tensor1D, eps),
      );
      const vOurs = copyMixtureCrossEntropy(z, y, w, g, c, eps).dataSync()[0];
      const vPlain = plainMixtureLoss(z, y, w, g, c, eps).dataSync()[0];
      expect(vOurs).to.be.closeTo(vPlain, 1e-4 * Math.abs(vPlain));
      const a = ours([z, g, c]);
      const b = plain([z, g, c]);
      for (let i = 0; i < 3; i++) expect(maxAbsDiff(a[i], b[i]), `gradient ${i}`).to.be.below(1e-4);
      // The padded row gets no gradient at all.
      expect(Array.from(a[0].slice([4, 0], [1, Vz]).dataSync()).every((x) => x === 0)).to.equal(true);
      tf.dispose([z, y, w, g, c, ...a, ...b]);
    });
  }

  it('the mixture loss is the same with and without the native loss kernel', function () {
    const kernel = tf.getKernel(SOFTMAX_XENT, tf.getBackend());
    if (!kernel) this.skip(); // no addon (NMT_NATIVE_BLAS=0): the ops path is what the test above checks
    const rng = new Rng(5);
    const [N, Vz] = [5, 300];
    const z = tf.tensor2d(
      Array.from({ length: N * Vz }, () => rng.next() * 6 - 3),
      [N, Vz],
    );
    const y = tf.tensor1d([4, 40, 299, 7, 0], 'int32');
    const w = tf.tensor1d([1, 1, 1, 1, 0]);
    const g = tf.tensor1d([0.3, 0.6, 0.9, 0.1, 0.5]);
    const c = tf.tensor1d([0.5, 0, 0.2, 0.7, 0]);
    const run = () => {
      const f = tf.grads((zz: tf.Tensor, gg: tf.Tensor, cc: tf.Tensor) =>
        copyMixtureCrossEntropy(zz as tf.Tensor2D, y, w, gg as tf.Tensor1D, cc as tf.Tensor1D, 0.1),
      );
      return { value: copyMixtureCrossEntropy(z, y, w, g, c, 0.1), grads: f([z, g, c]) };
    };
    const native = run();
    tf.unregisterKernel(SOFTMAX_XENT, tf.getBackend());
    let ops: ReturnType<typeof run>;
    try {
      ops = run();
    } finally {
      tf.registerKernel(kernel!);
    }
    expect(native.value.dataSync()[0]).to.be.closeTo(ops.value.dataSync()[0], 1e-3);
    for (let i = 0; i < 3; i++) expect(maxAbsDiff(native.grads[i], ops.grads[i])).to.be.below(1e-5);
    tf.dispose([z, y, w, g, c, native.value, ops.value, ...native.grads, ...ops.grads]);
  });

  it('the step mixture adds the attention of a token that occurs twice (scatter-add)', () => {
    const logits = tf.zeros([1, 8]) as tf.Tensor2D; // p_vocab uniform: 1/8 each
    const pGen = tf.tensor2d([[0.5]]);
    const attention = tf.tensor2d([[0.25, 0.5, 0.2, 0.05]]);
    const src = tf.tensor2d([[5, 6, 5, EOS_ID]], [1, 4], 'int32');
    const copy = copySource(src);
    const p = copyMixtureOps({ logits, pGen, attention, ...copy }).dataSync();
    expect(p[5]).to.be.closeTo(0.5 / 8 + 0.5 * (0.25 + 0.2), 1e-6);
    expect(p[6]).to.be.closeTo(0.5 / 8 + 0.5 * 0.5, 1e-6);
    expect(p[EOS_ID]).to.be.closeTo(0.5 / 8, 1e-6); // </s> is not copied
    expect(Array.from(p).reduce((s, x) => s + x, 0)).to.be.closeTo(1 - 0.5 * 0.05, 1e-6);
    tf.dispose([logits, pGen, attention, src, copy.indices, copy.mask]);
  });

  it('greedy and beam scores of a copying model equal its teacher-forced log-probabilities; no tensor leaks', () => {
    const model = new Seq2Seq(copyConfig(), 7);
    try {
      const src = [
        [5, 9, 9, 12, EOS_ID],
        [20, 6, EOS_ID],
      ];
      greedySearch(model, src); // warm-up: kept search weights
      const before = tf.memory().numTensors;
      const greedy = greedySearch(model, src, { maxLenExtra: 3 });
      const beam = beamSearch(model, src, { beamSize: 1, maxLenExtra: 3 });
      expect(tf.memory().numTensors).to.equal(before);
      greedy.forEach((h, b) => {
        expect(beam[b][0].tokens).to.deep.equal(h.tokens);
        expect(beam[b][0].logProb).to.be.closeTo(h.logProb, 1e-4);
      });
      // Teacher-force the greedy outputs that ended with </s> and compare the summed log-probabilities.
      const ended = greedy
        .map((h, b) => ({ h, b }))
        .filter(({ h, b }) => h.tokens.length < Math.ceil(src[b].length * 2) + 3);
      for (const { h, b } of ended)
        expect(forcedLogProb(model, src[b], h.tokens, true)).to.be.closeTo(h.logProb, 1e-3);
    } finally {
      model.dispose();
    }
  });

  it('stutter blocking: the next-best token of the mixed distribution, with its own log-probability', () => {
    const model = new Seq2Seq(copyConfig(), 7);
    try {
      // Source 9 9: the only subword allowed to follow itself.
      const src = [
        [5, 9, 9, 12, EOS_ID],
        [20, 6, EOS_ID],
        [14, 14, 8, 8, 5, EOS_ID],
        [11, 17, EOS_ID],
      ];
      const opts = { maxLenRatio: 3, maxLenExtra: 6 };
      const free = greedySearch(model, src, opts);
      // A token after itself that the source does not have twice in a row.
      const twiceInSource = (y: number, b: number) => src[b].some((x, j) => x === y && src[b][j + 1] === y);
      const stutters = (tokens: number[], b: number) =>
        tokens.filter((y, i) => y === tokens[i - 1] && !twiceInSource(y, b));
      expect(
        free.flatMap((h, b) => stutters(h.tokens, b)).length,
        'this random model stutters when free',
      ).to.be.greaterThan(0);
      const before = tf.memory().numTensors;
      const blocked = greedySearch(model, src, { ...opts, blockStutter: true });
      const beam = beamSearch(model, src, { ...opts, blockStutter: true, beamSize: 1 });
      expect(tf.memory().numTensors).to.equal(before);
      blocked.forEach((h, b) => {
        expect(stutters(h.tokens, b), `sentence ${b}: ${h.tokens.join(' ')}`).to.deep.equal([]);
        expect(beam[b][0].tokens).to.deep.equal(h.tokens);
        expect(beam[b][0].logProb).to.be.closeTo(h.logProb, 1e-4);
        // Teacher forcing the blocked output gives its summed log-probability (without </s> when cut).
        const ended = h.tokens.length < Math.ceil(src[b].length * 3) + 6;
        expect(forcedLogProb(model, src[b], h.tokens, ended), `sentence ${b}`).to.be.closeTo(h.logProb, 1e-3);
      });
    } finally {
      model.dispose();
    }
  });

  it('tied embeddings: one table for source, target and output; the parameter names say so', () => {
    const model = new Seq2Seq(copyConfig(), 1);
    try {
      const names = model.params.names();
      expect(names).to.include('embedding.shared');
      expect(names).to.include('decoder.copy.w');
      expect(names).to.not.include('embedding.src');
      expect(names).to.not.include('decoder.vocab.W');
    } finally {
      model.dispose();
    }
    expect(() => copyConfig({ outputSize: 16 })).to.throw(/outputSize = embeddingSize/);
    expect(() => copyConfig({ tgtVocabSize: V + 1 })).to.throw(/one vocabulary for both sides/);
  });

  it('learns to copy tokens it never produced in training: names through attention', async function () {
    this.timeout(120_000);
    // Task: "a NAME b" → "c NAME d", where training names come from ids 10–15 and test names from
    // 16–23: the test names never occur as targets in training. Only copying can get them right.
    const rng = new Rng(11);
    const example = (name: number): Example => ({ src: [4, name, 5], tgt: [6, name, 7] });
    const train = Array.from({ length: 64 }, () => example(10 + rng.int(6)));
    const model = new Seq2Seq(copyConfig({ embeddingSize: 16, outputSize: 16 }), 2);
    const engine = new LocalEngine(model, { labelSmoothing: 0, clipNorm: 1, learningRate: 0.02 });
    try {
      for (let step = 0; step < 150; step++) await engine.step(train, step);
      const unseen = [16, 17, 18, 19, 20, 21, 22, 23];
      const hyps = greedySearch(
        model,
        unseen.map((n) => [4, n, 5, EOS_ID]),
      );
      const copied = hyps.filter((h, i) => h.tokens[1] === unseen[i]).length;
      expect(copied, JSON.stringify(hyps.map((h) => h.tokens))).to.be.at.least(7);
    } finally {
      await engine.dispose();
      model.dispose();
    }
  });

  it('an empty line translates to an empty line (the model is not asked to invent one)', async () => {
    const dir = await makeTinyModel(fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-empty-')));
    const translator = Translator.load(dir);
    try {
      const [empty, spaces, text] = translator.translate(['', '   ', 'I like tea.'], { withAttention: true });
      expect(empty.hypotheses[0].text).to.equal('');
      expect(spaces.hypotheses[0].text).to.equal('');
      expect(empty.hypotheses[0].tokens).to.deep.equal([]);
      expect(text.hypotheses[0].tokens?.length).to.be.greaterThan(0);
      const [beamEmpty] = translator.translate([''], { beam: 4, nbest: 2 });
      expect(beamEmpty.hypotheses.map((h) => h.text)).to.deep.equal(['']);
    } finally {
      translator.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the coverage penalty adds β · Σ_j log(min(coverage, 1)) to each finished score and ranks by the penalised score', () => {
    expect(coverageTerm(Float32Array.from([0.5, 2, 1, 0.3]), 3, 0.2)).to.be.closeTo(
      0.2 * Math.log(0.5),
      1e-6,
    );
    expect(coverageTerm(undefined, 3, 0.2)).to.equal(0);
    const model = new Seq2Seq(copyConfig(), 3);
    try {
      const src = [[5, 9, 12, 7, 8, 11, EOS_ID]];
      const plain = beamSearch(model, src, { beamSize: 4, nbest: 4, lengthPenalty: 0.6, maxLenExtra: 3 })[0];
      const covered = beamSearch(model, src, {
        beamSize: 4,
        nbest: 4,
        lengthPenalty: 0.6,
        coveragePenalty: 0.4,
        withAttention: true,
        maxLenExtra: 3,
      })[0];
      // Same hypotheses and log-probabilities; each score lowered by its own attention's coverage term.
      for (const h of covered) {
        const twin = plain.find((p) => p.tokens.join() === h.tokens.join());
        expect(twin, 'the same hypothesis without the penalty').to.not.equal(undefined);
        expect(h.logProb).to.be.closeTo(twin!.logProb, 1e-4);
        const cov = new Float32Array(src[0].length);
        for (const row of h.attention ?? []) row.forEach((a, j) => (cov[j] += a));
        const ended = (h.attention?.length ?? 0) > h.tokens.length;
        const lp = lengthPenalty(h.tokens.length + (ended ? 1 : 0), 0.6);
        expect(h.score).to.be.closeTo(h.logProb / lp + coverageTerm(cov, src[0].length - 1, 0.4), 1e-3);
      }
      for (let i = 1; i < covered.length; i++) expect(covered[i - 1].score).to.be.at.least(covered[i].score);
    } finally {
      model.dispose();
    }
  });
});

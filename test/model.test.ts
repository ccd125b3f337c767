/**
 * Seq2Seq (src/model/*.ts) on tiny configurations: output shapes, padding invariance, attention masks,
 * gradients against central finite differences (wasm and cpu), the fused loss against a composed
 * reference, dropout seeding, tensor leaks and the parameter count.
 */
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/select.js';
import { installKernels } from '../src/backend/install.js';
import { Rng } from '../src/util/rng.js';
import { type Example, type TensorBatch, disposeBatch, toTensorBatch } from '../src/data/batching.js';
import type { ModelConfig } from '../src/model/config.js';
import { PAD_ID } from '../src/tokenizer/special-ids.js';
import { smoothedCrossEntropy } from '../src/model/loss.js';
import { tinyModelConfig } from './helpers/model-config.js';
import { type SeedSource, Seq2Seq } from '../src/model/seq2seq.js';

const V = 20;

function tinyConfig(overrides: Partial<ModelConfig> = {}): ModelConfig {
  return tinyModelConfig(V, overrides);
}

/** Seeds 1, 2, 3, … from `start`: one per dropout site, as the trainer's Rng would give. */
function seedsFrom(start: number): SeedSource {
  let s = start;
  return () => s++;
}

const noSeeds: SeedSource = () => 0;

/** Random examples with ids in [4, V) (no specials), lengths in [minLen, maxLen]. */
function randomExamples(n: number, rng: Rng, minLen: number, maxLen: number): Example[] {
  const sentence = () =>
    Array.from({ length: minLen + rng.int(maxLen - minLen + 1) }, () => 4 + rng.int(V - 4));
  return Array.from({ length: n }, () => ({ src: sentence(), tgt: sentence() }));
}

/**
 * initBackend caches the first choice of the process: if another test file (or NMT_BACKEND) chose cpu
 * first, load wasm and its kernel fixes here so these tests still run on wasm.
 */
async function ensureWasmBackend(): Promise<void> {
  if (!tf.findBackend('wasm')) await import('@tensorflow/tfjs-backend-wasm');
  expect(await tf.setBackend('wasm'), 'wasm backend loads').to.equal(true);
  installKernels();
}

interface WasmInternals {
  numDataIds(): number;
}

/** Run `fn` with a model built on `backend`, then dispose the model and return to wasm. */
async function withModel<R>(
  backend: 'wasm' | 'cpu',
  config: ModelConfig,
  fn: (model: Seq2Seq) => R | Promise<R>,
  seed = 1,
): Promise<R> {
  expect(await tf.setBackend(backend)).to.equal(true);
  const model = new Seq2Seq(config, seed);
  try {
    return await fn(model);
  } finally {
    model.dispose();
    await tf.setBackend('wasm');
  }
}

function withBatch<R>(examples: Example[], fn: (batch: TensorBatch) => R): R {
  const batch = toTensorBatch(examples);
  try {
    return fn(batch);
  } finally {
    disposeBatch(batch);
  }
}

/** Logits rows [T, V] and attention [T, S] of example `b` in a teacher-forced batch, as nested arrays. */
function decodeExample(
  model: Seq2Seq,
  examples: Example[],
  b: number,
): { logits: number[][]; attention: number[][]; T: number; S: number } {
  return withBatch(examples, (batch) =>
    tf.tidy(() => {
      const [B, T] = batch.tgtIn.shape;
      const S = batch.srcIds.shape[1];
      const { logits, attention } = model.forceDecode(batch);
      const l = tf.reshape(logits, [B, T, -1]).arraySync() as number[][][];
      const a = attention.arraySync() as number[][][];
      return { logits: l[b], attention: a[b], T, S };
    }),
  );
}

function maxAbsDiff(a: number[], b: number[]): number {
  expect(a.length).to.equal(b.length);
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
}

describe('Seq2Seq model', () => {
  let previousBackend: string;

  before(async () => {
    await initBackend('wasm');
    previousBackend = tf.getBackend();
    await ensureWasmBackend();
  });

  after(async () => {
    await tf.setBackend(previousBackend);
  });

  afterEach(async () => {
    await tf.setBackend('wasm');
  });

  it('encode, forceDecode and decodeStep give the documented shapes', async () => {
    const config = tinyConfig({
      encoderHiddenSize: 6,
      decoderHiddenSize: 7,
      attentionSize: 5,
      outputSize: 9,
    });
    const examples: Example[] = [
      { src: [4, 5, 6], tgt: [7, 8, 9, 10] },
      { src: [4, 5, 6, 7, 8], tgt: [11] },
      { src: [9, 9], tgt: [12, 13] },
    ];
    await withModel('wasm', config, (model) =>
      withBatch(examples, (batch) =>
        tf.tidy(() => {
          const [B, S] = [3, 6]; // longest source 5 + </s>
          const T = 5; // longest target 4 + </s>
          expect(batch.srcIds.shape).to.deep.equal([B, S]);
          expect(batch.tgtIn.shape).to.deep.equal([B, T]);
          const enc = model.encode(batch.srcIds, batch.srcMask);
          expect(enc.memory.states.shape).to.deep.equal([B, S, 12]);
          expect(enc.memory.keys.shape).to.deep.equal([B, S, 5]);
          expect(enc.memory.maskBias.shape).to.deep.equal([B, S]);
          expect(enc.initialState.shape).to.deep.equal([B, 7]);
          const merged = model.decoder.mergedProjection.weights();
          expect(merged.w.shape).to.deep.equal([7, 5 + 3 * 7]);
          expect(merged.b.shape).to.deep.equal([5 + 3 * 7]);
          // Encoder states are exactly zero at source padding.
          const states = enc.memory.states.arraySync();
          const mask = batch.srcMask.arraySync();
          for (let b = 0; b < B; b++) {
            for (let j = 0; j < S; j++) {
              if (mask[b][j] === 0)
                expect(
                  states[b][j].every((x) => x === 0),
                  `h[${b}][${j}]`,
                ).to.equal(true);
            }
          }

          const { logits, attention } = model.forceDecode(batch);
          expect(logits.shape).to.deep.equal([B * T, V]);
          expect(attention.shape).to.deep.equal([B, T, S]);
          expect(logits.dtype).to.equal('float32');

          const step = model.decodeStep(Seq2Seq.bosTokens(B), enc.initialState, enc);
          expect(step.logits.shape).to.deep.equal([B, V]);
          expect(step.state.shape).to.deep.equal([B, 7]);
          expect(step.attention.shape).to.deep.equal([B, S]);
          const probSums = tf.sum(tf.softmax(step.logits), 1).arraySync() as number[];
          for (const p of probSums) expect(p).to.be.closeTo(1, 1e-5);

          const loss = model.loss(batch, false, noSeeds, 0.1);
          expect(loss.shape).to.deep.equal([]);
          const value = loss.dataSync()[0];
          expect(Number.isFinite(value)).to.equal(true);
          // Near-uniform predictions of an untrained model: about log V.
          expect(value).to.be.within(0.5 * Math.log(V), 1.5 * Math.log(V));
        }),
      ),
    );
  });

  it('decodeStep fed the reference tokens reproduces forceDecode (logits and attention)', async () => {
    const examples = randomExamples(3, new Rng(5), 1, 6);
    await withModel('wasm', tinyConfig(), (model) =>
      withBatch(examples, (batch) =>
        tf.tidy(() => {
          const [B, T] = batch.tgtIn.shape;
          const forced = model.forceDecode(batch);
          const lp = tf.reshape(forced.logits, [B, T, V]).arraySync() as number[][][];
          const att = forced.attention.arraySync();
          const enc = model.encode(batch.srcIds, batch.srcMask);
          const inputs = tf.unstack(batch.tgtIn, 1) as tf.Tensor1D[];
          let s = enc.initialState;
          for (let t = 0; t < T; t++) {
            const out = model.decodeStep(inputs[t], s, enc);
            s = out.state;
            const stepLp = out.logits.arraySync();
            const stepAtt = out.attention.arraySync();
            for (let b = 0; b < B; b++) {
              expect(maxAbsDiff(stepLp[b], lp[b][t]), `logits b=${b} t=${t}`).to.be.at.most(1e-5);
              expect(maxAbsDiff(stepAtt[b], att[b][t]), `attention b=${b} t=${t}`).to.be.at.most(1e-5);
            }
          }
        }),
      ),
    );
  });

  describe('padding invariance', () => {
    const sentence: Example = { src: [5, 6, 7], tgt: [8, 9, 10] };

    /** The sentence alone vs at position `at` of `others`: same logits rows, same attention, zeros beyond. */
    function expectInvariant(model: Seq2Seq, others: Example[], at: number): void {
      const alone = decodeExample(model, [sentence], 0);
      const batchExamples = [...others.slice(0, at), sentence, ...others.slice(at)];
      const inBatch = decodeExample(model, batchExamples, at);
      const Tn = alone.T;
      const Sn = alone.S;
      for (let t = 0; t < Tn; t++) {
        expect(maxAbsDiff(inBatch.logits[t], alone.logits[t]), `logits t=${t}`).to.be.at.most(1e-5);
        expect(
          maxAbsDiff(inBatch.attention[t].slice(0, Sn), alone.attention[t]),
          `attention t=${t}`,
        ).to.be.at.most(1e-5);
        // No weight at all on the source padding of this sentence.
        for (let j = Sn; j < inBatch.S; j++) expect(inBatch.attention[t][j], `a[${t}][${j}]`).to.equal(0);
      }
    }

    const longerSources: Example[] = [
      { src: [4, 11, 12, 13, 14, 15, 16], tgt: [8, 9, 11] },
      { src: [17, 18, 19, 4, 5], tgt: [12, 13, 14] },
    ];
    const longerTargets: Example[] = [
      { src: [9, 10, 11], tgt: [4, 5, 6, 7, 8, 9, 10] },
      { src: [12, 13, 14], tgt: [15, 16, 17, 18, 19] },
    ];
    const longerBoth: Example[] = [
      { src: [4, 11, 12, 13, 14, 15, 16], tgt: [4, 5, 6, 7, 8, 9, 10] },
      { src: [17, 18, 19, 4, 5, 6], tgt: [15, 16, 17, 18, 19] },
      { src: [8], tgt: [9] },
    ];

    for (const encoderLayers of [1, 2]) {
      it(`source padding (encoderLayers ${encoderLayers})`, async () => {
        await withModel('wasm', tinyConfig({ encoderLayers }), (model) => {
          for (const at of [0, 1, 2]) expectInvariant(model, longerSources, at);
        });
      });

      it(`target padding (encoderLayers ${encoderLayers})`, async () => {
        await withModel('wasm', tinyConfig({ encoderLayers }), (model) => {
          for (const at of [0, 1, 2]) expectInvariant(model, longerTargets, at);
        });
      });

      it(`source and target padding together (encoderLayers ${encoderLayers})`, async () => {
        await withModel('wasm', tinyConfig({ encoderLayers }), (model) => {
          for (const at of [0, 3]) expectInvariant(model, longerBoth, at);
        });
      });
    }

    it('the loss of a batch is the token-weighted mean of the sentences alone', async () => {
      const examples = [sentence, ...longerBoth];
      await withModel('wasm', tinyConfig({ encoderLayers: 2 }), (model) => {
        const lossOf = (exs: Example[]) =>
          withBatch(exs, (b) => tf.tidy(() => model.loss(b, false, noSeeds, 0.1).dataSync()[0]));
        let total = 0;
        let tokens = 0;
        for (const e of examples) {
          const n = e.tgt.length + 1;
          total += lossOf([e]) * n;
          tokens += n;
        }
        expect(lossOf(examples)).to.be.closeTo(total / tokens, 1e-5);
      });
    });
  });

  it('attention rows sum to 1 and are exactly 0 on source padding', async () => {
    const examples = randomExamples(5, new Rng(9), 1, 7);
    await withModel('wasm', tinyConfig({ encoderLayers: 2 }), (model) =>
      withBatch(examples, (batch) =>
        tf.tidy(() => {
          const a = model.forceDecode(batch).attention.arraySync();
          const mask = batch.srcMask.arraySync();
          for (let b = 0; b < a.length; b++) {
            for (let t = 0; t < a[b].length; t++) {
              const row = a[b][t];
              expect(
                row.reduce((s, x) => s + x, 0),
                `row b=${b} t=${t}`,
              ).to.be.closeTo(1, 1e-5);
              row.forEach((x, j) => {
                if (mask[b][j] === 0) expect(x, `a[${b}][${t}][${j}] on padding`).to.equal(0);
                else expect(x).to.be.greaterThan(0);
              });
            }
          }
        }),
      ),
    );
  });

  describe('gradients match central finite differences', () => {
    // 8 sentences, ids repeated across the batch, source and target padding; B × T ≥ 64 rows so that
    // the bias gradients also go through the wasm Sum-over-leading-axes kernel.
    const examples = randomExamples(8, new Rng(21), 1, 8);
    const checked = [
      'embedding.src',
      'embedding.tgt',
      'encoder.l0.fwd.Wh',
      'encoder.l0.bwd.Wx',
      'encoder.l1.bwd.Wh',
      'encoder.l1.fwd.b',
      'attention.U',
      'attention.W',
      'attention.v',
      'decoder.bridge.W',
      'decoder.gru.Wc',
      'decoder.gru.Us',
      'decoder.gru.bs',
      'decoder.output.W',
      'decoder.vocab.W',
      'decoder.vocab.b',
    ];
    const smoothing = 0.1;

    /** The evaluation loss, as the finite differences see it. */
    function lossValue(model: Seq2Seq, batch: TensorBatch): number {
      return tf.tidy(() => model.loss(batch, false, noSeeds, smoothing).dataSync()[0]);
    }

    function assignValues(v: tf.Variable, values: Float32Array): void {
      tf.tidy(() => {
        v.assign(tf.tensor(values, v.shape, 'float32'));
      });
    }

    function analyticGrads(
      model: Seq2Seq,
      batch: TensorBatch,
      training: boolean,
      seed: number,
    ): { loss: number; grads: Map<string, Float32Array> } {
      const grads = new Map<string, Float32Array>();
      let loss = NaN;
      tf.tidy(() => {
        const result = tf.variableGrads(() => model.loss(batch, training, seedsFrom(seed), smoothing));
        // variableGrads keys by TensorFlow.js variable name; report by parameter name.
        for (const [name, v] of model.params.entries()) {
          const g = result.grads[v.name];
          if (g) grads.set(name, g.dataSync().slice() as Float32Array);
        }
        expect(grads.size, 'every parameter has a gradient').to.equal(Object.keys(result.grads).length);
        loss = result.value.dataSync()[0];
      });
      return { loss, grads };
    }

    /**
     * At initialisation most gradient entries are below 1e-5, under what float32 finite differences can
     * resolve (the loss is ~3 with an ulp of 2.4e-7; a central difference with step 1e-2 has ~5e-5 of
     * round-off). Scaling every parameter by 3 gives gradients of 1e-3 … 1e-1 with the same code paths.
     */
    const SCALE = 3;
    function scaleParams(model: Seq2Seq, factor: number): void {
      for (const [name, v] of model.params.entries()) {
        // Embeddings already start with unit variance; scaling them too would saturate the LSTM.
        if (name.startsWith('embedding.')) continue;
        tf.tidy(() => {
          v.assign(tf.mul(v, factor));
        });
      }
    }

    /** (L(θ + εd) − L(θ − εd)) / 2ε for a direction d in the entries of one parameter. */
    function centralDifference(
      model: Seq2Seq,
      batch: TensorBatch,
      v: tf.Variable,
      dir: Float32Array,
      eps: number,
    ) {
      const base = v.dataSync().slice() as Float32Array;
      assignValues(
        v,
        base.map((x, i) => x + eps * dir[i]),
      );
      const lPlus = lossValue(model, batch);
      assignValues(
        v,
        base.map((x, i) => x - eps * dir[i]),
      );
      const lMinus = lossValue(model, batch);
      assignValues(v, base);
      return (lPlus - lMinus) / (2 * eps);
    }

    /** The gap between float32 numbers near x. */
    const float32Ulp = (x: number) => 2 ** (Math.floor(Math.log2(Math.abs(x))) - 23);

    /** |a − b| ≤ rel · max(|a|, |b|) + abs */
    const near = (a: number, b: number, rel: number, abs: number) =>
      Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b)) + abs;

    for (const backend of ['wasm', 'cpu'] as const) {
      it(`on ${backend}: sampled entries of ${checked.length} parameters, and PAD rows get zero gradient`, async () => {
        // tanh deep output: finite differences need a smooth function (ReLU kinks break them).
        await withModel(backend, tinyConfig({ encoderLayers: 2, outputActivation: 'tanh' }), (model) =>
          withBatch(examples, (batch) => {
            scaleParams(model, SCALE);
            expect(batch.tgtIn.shape[0] * batch.tgtIn.shape[1]).to.be.at.least(64);
            const { loss, grads } = analyticGrads(model, batch, false, 0);
            expect(loss).to.be.closeTo(lossValue(model, batch), 1e-6);
            const rng = new Rng(backend === 'wasm' ? 31 : 32);
            const failures: string[] = [];
            for (const name of checked) {
              const v = model.params.get(name);
              const g = grads.get(name);
              expect(g, `gradient of ${name}`).to.not.equal(undefined);
              const grad = g as Float32Array;
              // Three random entries among those whose gradient float32 finite differences can resolve
              // (|g| ≥ 2e-2); the per-parameter direction check below covers all entries.
              let candidates = [...grad.keys()].filter((i) => Math.abs(grad[i]) >= 2e-2);
              if (candidates.length < 3) {
                candidates = [...grad.keys()]
                  .sort((i, j) => Math.abs(grad[j]) - Math.abs(grad[i]))
                  .slice(0, 3);
              }
              for (let k = 0; k < 3; k++) {
                const index = candidates[rng.int(candidates.length)];
                const dir = new Float32Array(v.size);
                dir[index] = 1;
                // Step 5e-3 (exactly representable offsets do not matter at this tolerance).
                const numeric = centralDifference(model, batch, v, dir, 5e-3);
                const exact = grad[index];
                if (!near(numeric, exact, 1e-2, 5e-5))
                  failures.push(`${name}[${index}]: analytic ${exact}, numeric ${numeric}`);
              }
            }
            // Every parameter, along a random unit direction over all its entries (step 7e-3 in norm).
            for (const [name, v] of model.params.entries()) {
              const grad = grads.get(name) as Float32Array;
              const norm = Math.sqrt(v.size);
              const dir = Float32Array.from({ length: v.size }, () => (rng.next() < 0.5 ? -1 : 1) / norm);
              const exact = grad.reduce((s, x, i) => s + x * dir[i], 0);
              const numeric = centralDifference(model, batch, v, dir, 7e-3);
              // The loss is a float32 near 3, so a difference quotient moves in steps of ulp(loss) / 2h
              // (1.7e-5 here); small directional derivatives (attention.v: ~2e-3) come out ~6 steps off
              // on any kernel set, so 8 steps are allowed on top of 1e-4.
              if (!near(numeric, exact, 1e-2, 1e-4 + (8 * float32Ulp(loss)) / (2 * 7e-3))) {
                failures.push(`${name} along a random direction: analytic ${exact}, numeric ${numeric}`);
              }
            }
            expect(failures, failures.join('\n')).to.deep.equal([]);
            // Padding never receives gradient: its embedding rows are only read at masked positions.
            const E = model.config.embeddingSize;
            for (const name of ['embedding.src', 'embedding.tgt']) {
              const padRow = Array.from((grads.get(name) as Float32Array).slice(PAD_ID * E, PAD_ID * E + E));
              expect(padRow, `${name} PAD row`).to.deep.equal(new Array(E).fill(0));
            }
          }),
        );
      });
    }

    it('on wasm: a random direction through all parameters, with dropout active (fixed seeds)', async () => {
      await withModel('wasm', tinyConfig({ encoderLayers: 2, dropout: 0.3 }), (model) =>
        withBatch(examples, (batch) => {
          const seed = 1234;
          const { grads } = analyticGrads(model, batch, true, seed);
          const rng = new Rng(77);
          const entries = model.params.entries();
          const base = entries.map(([, v]) => v.dataSync().slice() as Float32Array);
          const dirs = entries.map(([, v]) =>
            Float32Array.from({ length: v.size }, () => (rng.next() < 0.5 ? -1 : 1)),
          );
          let directional = 0;
          entries.forEach(([name], p) => {
            const g = grads.get(name) as Float32Array;
            for (let i = 0; i < g.length; i++) directional += g[i] * dirs[p][i];
          });
          const eps = 1e-3;
          const shifted = (sign: number) => {
            entries.forEach(([, v], p) =>
              assignValues(
                v,
                base[p].map((x, i) => x + sign * eps * dirs[p][i]),
              ),
            );
            return tf.tidy(() => model.loss(batch, true, seedsFrom(seed), smoothing).dataSync()[0]);
          };
          const numeric = (shifted(1) - shifted(-1)) / (2 * eps);
          entries.forEach(([, v], p) => assignValues(v, base[p]));
          expect(Math.abs(directional)).to.be.greaterThan(1e-2);
          expect(numeric).to.be.closeTo(directional, 1e-2 * Math.abs(directional));
        }),
      );
    });

    it('wasm and cpu agree on the loss and on every parameter gradient', async () => {
      const config = tinyConfig({ encoderLayers: 2 });
      const run = (backend: 'wasm' | 'cpu') =>
        withModel(backend, config, (model) =>
          withBatch(examples, (batch) => analyticGrads(model, batch, false, 0)),
        );
      const w = await run('wasm');
      const c = await run('cpu');
      expect(w.loss).to.be.closeTo(c.loss, 1e-5);
      expect([...w.grads.keys()].sort()).to.deep.equal([...c.grads.keys()].sort());
      for (const [name, gw] of w.grads) {
        const gc = c.grads.get(name) as Float32Array;
        const scale = gc.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
        expect(maxAbsDiff(Array.from(gw), Array.from(gc)), name).to.be.at.most(1e-5 + 1e-4 * scale);
      }
    });
  });

  describe('smoothedCrossEntropy', () => {
    const N = 9;
    const VV = 13;
    const rng = new Rng(41);
    const logitValues = Float32Array.from({ length: N * VV }, () => (rng.next() * 2 - 1) * 4);
    logitValues[5] = 60; // large logits must not overflow
    logitValues[VV + 2] = -70;
    const targetValues = Int32Array.from({ length: N }, () => rng.int(VV));
    const weightValues = Float32Array.from([1, 1, 0, 1, 1, 1, 0, 0, 1]);

    /** −Σ_i w_i Σ_v q_iv log softmax(z_i)_v with q = (1 − ε) onehot + ε / V, composed from plain ops. */
    function reference(z: tf.Tensor2D, targets: tf.Tensor1D, weights: tf.Tensor1D, eps: number): tf.Scalar {
      const q = tf.add(tf.mul(tf.oneHot(targets, VV), 1 - eps), eps / VV);
      const perToken = tf.neg(tf.sum(tf.mul(q, tf.logSoftmax(z)), 1));
      return tf.sum(tf.mul(perToken, weights)) as tf.Scalar;
    }

    for (const backend of ['wasm', 'cpu'] as const) {
      for (const eps of [0, 0.1, 0.3]) {
        it(`equals the composed reference in value and gradient (${backend}, ε = ${eps})`, async () => {
          await tf.setBackend(backend);
          tf.tidy(() => {
            const z = tf.tensor2d(logitValues, [N, VV]);
            const targets = tf.tensor1d(targetValues, 'int32');
            const weights = tf.tensor1d(weightValues);
            const got = smoothedCrossEntropy(z, targets, weights, eps).dataSync()[0];
            const want = reference(z, targets, weights, eps).dataSync()[0];
            expect(Number.isFinite(got)).to.equal(true);
            expect(got).to.be.closeTo(want, 1e-5 * Math.abs(want));
            // Upstream gradient 2.5 (not 1) checks that dy is applied.
            const gGot = tf.grad((x: tf.Tensor) =>
              tf.mul(smoothedCrossEntropy(x as tf.Tensor2D, targets, weights, eps), 2.5),
            )(z);
            const gWant = tf.grad((x: tf.Tensor) =>
              tf.mul(reference(x as tf.Tensor2D, targets, weights, eps), 2.5),
            )(z);
            expect(maxAbsDiff(Array.from(gGot.dataSync()), Array.from(gWant.dataSync()))).to.be.at.most(1e-6);
            // Masked rows get exactly zero gradient.
            const rows = gGot.arraySync() as number[][];
            weightValues.forEach((w, i) => {
              if (w === 0)
                expect(
                  rows[i].every((x) => x === 0),
                  `row ${i}`,
                ).to.equal(true);
            });
          });
        });
      }
    }
  });

  describe('dropout', () => {
    const examples = randomExamples(4, new Rng(51), 2, 6);

    it('the same seeds give the same loss twice, other seeds a different loss, eval ignores seeds', async () => {
      await withModel('wasm', tinyConfig({ encoderLayers: 2, dropout: 0.3 }), (model) =>
        withBatch(examples, (batch) => {
          const loss = (training: boolean, seed: number) =>
            tf.tidy(() => model.loss(batch, training, seedsFrom(seed), 0.1).dataSync()[0]);
          const a = loss(true, 7);
          const b = loss(true, 7);
          const c = loss(true, 8);
          const evalLoss = loss(false, 7);
          expect(b).to.equal(a);
          expect(c).to.not.equal(a);
          expect(Math.abs(c - a)).to.be.greaterThan(1e-6);
          expect(a).to.not.equal(evalLoss);
          expect(loss(false, 8)).to.equal(evalLoss);
          // Gradients are reproducible too (same seeds → same masks in forward and backward).
          const grad = (seed: number) =>
            tf.tidy(() => {
              const { grads } = tf.variableGrads(() => model.loss(batch, true, seedsFrom(seed), 0.1));
              return Array.from(grads[model.params.get('encoder.l0.fwd.Wx').name].dataSync());
            });
          expect(grad(7)).to.deep.equal(grad(7));
        }),
      );
    });

    it('with dropout 0 the training loss equals the evaluation loss', async () => {
      await withModel('wasm', tinyConfig({ dropout: 0 }), (model) =>
        withBatch(examples, (batch) => {
          const train = tf.tidy(() => model.loss(batch, true, seedsFrom(3), 0.1).dataSync()[0]);
          const evalLoss = tf.tidy(() => model.loss(batch, false, noSeeds, 0.1).dataSync()[0]);
          expect(train).to.equal(evalLoss);
        }),
      );
    });
  });

  it('repeated forceDecode, decodeStep and gradient steps inside tf.tidy leave no tensors behind', async () => {
    const examples = randomExamples(4, new Rng(61), 1, 6);
    await withModel('wasm', tinyConfig({ encoderLayers: 2, dropout: 0.2 }), (model) =>
      withBatch(examples, (batch) => {
        const B = examples.length;
        const work = () => {
          tf.tidy(() => {
            model.forceDecode(batch);
          });
          tf.tidy(() => {
            const enc = model.encode(batch.srcIds, batch.srcMask);
            let s = enc.initialState;
            let prev = Seq2Seq.bosTokens(B);
            for (let t = 0; t < 5; t++) {
              const out = model.decodeStep(prev, s, enc);
              s = out.state;
              prev = tf.cast(tf.argMax(out.logits, 1), 'int32') as tf.Tensor1D;
            }
          });
          tf.tidy(() => {
            tf.variableGrads(() => model.loss(batch, true, seedsFrom(5), 0.1));
          });
        };
        work(); // warm-up
        const before = tf.memory().numTensors;
        const buffersBefore = (tf.backend() as unknown as WasmInternals).numDataIds();
        for (let i = 0; i < 3; i++) work();
        expect(tf.memory().numTensors).to.equal(before);
        expect((tf.backend() as unknown as WasmInternals).numDataIds(), 'wasm buffers').to.equal(
          buffersBefore,
        );
      }),
    );
  });

  it('parameterCount is the sum of the parameter shapes and matches the formula', async () => {
    const c = tinyConfig({
      srcVocabSize: 20,
      tgtVocabSize: 23,
      embeddingSize: 5,
      encoderHiddenSize: 6,
      encoderLayers: 2,
      decoderHiddenSize: 7,
      attentionSize: 4,
      outputSize: 9,
    });
    await withModel('wasm', c, (model) => {
      const fromShapes = model.params
        .entries()
        .reduce((n, [, v]) => n + v.shape.reduce((a, b) => a * b, 1), 0);
      expect(model.parameterCount()).to.equal(fromShapes);
      const E = 5;
      const H = 6;
      const Hd = 7;
      const A = 4;
      const O = 9;
      const embeddings = 20 * E + 23 * E;
      const lstm = (inSize: number) => inSize * 4 * H + H * 4 * H + 4 * H;
      const encoder = 2 * lstm(E) + 2 * lstm(2 * H);
      const attention = 2 * H * A + Hd * A + A + A;
      const decoder =
        2 * H * Hd +
        Hd + // bridge
        E * 3 * Hd +
        2 * H * 3 * Hd +
        3 * Hd + // GRU input projection
        Hd * 3 * Hd +
        3 * Hd + // GRU recurrent
        (Hd + 2 * H + E) * O +
        O + // deep output
        O * 23 +
        23; // vocabulary projection
      expect(model.parameterCount()).to.equal(embeddings + encoder + attention + decoder);
      expect(model.parameterCount()).to.equal(2879); // 215 + 1488 + 84 + 1092, added up by hand;
      expect(model.params.names()).to.have.length(2 + 2 * 2 * 3 + 4 + 11);
    });
  });

  it("search keeps one copy of the decoder's [W | U], rebuilt when a weight gets new data, freed on dispose", async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const model = new Seq2Seq(tinyConfig({}), 1);
    const first = model.decoder.mergedProjection.weightsForSearch();
    expect(model.decoder.mergedProjection.weightsForSearch(), 'the same tensors on the next step').to.equal(
      first,
    );
    expect(tf.memory().numTensors - before).to.equal(model.params.names().length + 2);
    // Training assigns new data to a variable; the kept concatenation must follow it.
    const W = model.params.get('attention.W');
    const doubled = tf.mul(W, 2);
    W.assign(doubled);
    doubled.dispose();
    const second = model.decoder.mergedProjection.weightsForSearch();
    expect(second.w).to.not.equal(first.w);
    expect(first.w.isDisposed, 'the stale copy is freed').to.equal(true);
    const A = W.shape[1] as number;
    const fromW = tf.tidy(() => tf.slice(second.w, [0, 0], [-1, A]).arraySync());
    expect(fromW).to.deep.equal(W.arraySync());
    expect(tf.memory().numTensors - before).to.equal(model.params.names().length + 2);
    model.dispose();
    expect(tf.memory().numTensors, 'all freed, the kept copy too').to.equal(before);
  });

  it('a tied output layer: search multiplies by a kept Eᵀ, rebuilt when E gets new data, with the logits of the training path', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    // tanh, not ReLU, in the deep output: no row of these random inputs comes out all zero.
    const model = new Seq2Seq(tinyConfig({ tiedEmbeddings: 'all', outputActivation: 'tanh' }), 1);
    const rng = new Rng(7);
    const input = (cols: number) =>
      tf.tensor2d(
        Array.from({ length: 3 * cols }, () => 2 * rng.next() - 1),
        [3, cols],
      );
    const [s, c, y] = [input(8), input(16), input(8)]; // s_t [3, H], c_t [3, 2Henc], E y_{t-1} [3, E]
    const logits = (forSearch: boolean) =>
      tf.tidy(() => model.decoder.output(s, c, y, false, 0, forSearch).logits.arraySync());
    const closeRows = (a: number[][], b: number[][], what: string) =>
      a.forEach((row, i) =>
        row.forEach((v, j) => expect(v, `${what} [${i}, ${j}]`).to.be.closeTo(b[i][j], 1e-5)),
      );
    const first = logits(true);
    closeRows(first, logits(false), 'search = training path');
    const kept = tf.memory().numTensors;
    logits(true);
    expect(tf.memory().numTensors, 'Eᵀ is built once, not per step').to.equal(kept);
    // Training assigns new data to the table; the kept transpose must follow it.
    const E = model.params.get('embedding.shared');
    const doubled = tf.mul(E, 2);
    E.assign(doubled);
    doubled.dispose();
    const second = logits(true);
    closeRows(second, logits(false), 'after the update: search = training path');
    expect(second[0][5], 'the new table is used').to.not.be.closeTo(first[0][5], 1e-6);
    expect(tf.memory().numTensors, 'the stale transpose is freed').to.equal(kept);
    tf.dispose([s, c, y]);
    model.dispose();
    expect(tf.memory().numTensors, 'all freed, the kept transpose too').to.equal(before);
  });

  // Params.add once passed an undisposed initial-value tensor to tf.variable: every model built and
  // disposed leaked its whole weight memory.
  it('building and disposing a model frees all its memory', async () => {
    for (const backend of ['wasm', 'cpu'] as const) {
      await tf.setBackend(backend);
      const before = tf.memory();
      const model = new Seq2Seq(tinyConfig({ encoderLayers: 2 }), 1);
      expect(tf.memory().numTensors - before.numTensors).to.equal(model.params.names().length);
      model.dispose();
      const after = tf.memory();
      expect(after.numTensors, `${backend}: tensors`).to.equal(before.numTensors);
      expect(after.numDataBuffers, `${backend}: buffers`).to.equal(before.numDataBuffers);
      expect(after.numBytes, `${backend}: bytes`).to.equal(before.numBytes);
    }
  });
});

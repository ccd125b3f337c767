/**
 * The fused inference kernels (src/backend/wasm/fused-cells.ts through src/model/cells.ts, and
 * src/backend/wasm/fused-softmax.ts through src/search/step-scores.ts) against the op-by-op path: same
 * numbers, masking and ties included, and the same translations.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/select.js';
import { GRU_CELL, LSTM_CELL } from '../src/backend/wasm/fused-cells.js';
import { GRU_TRAIN, LSTM_TRAIN } from '../src/backend/wasm/native-cells.js';
import { GREEDY_PICK, LOG_SOFTMAX_ADD } from '../src/backend/wasm/fused-softmax.js';
import { COPY_GREEDY_PICK } from '../src/backend/wasm/fused-copy.js';
import { copySource } from '../src/model/seq2seq.js';
import { Rng } from '../src/util/rng.js';
import { gruUpdate, lstmUpdate } from '../src/model/cells.js';
import { greedyPick, logProbsPlus } from '../src/search/step-scores.js';
import type { StepOutput } from '../src/model/seq2seq.js';
import { Translator } from '../src/translate/translator.js';
import { makeTinyModel } from './helpers/tiny-model.js';

function random(shape: number[], seed: number, scale = 2): tf.Tensor2D {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor2d(
    Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * scale),
    shape as [number, number],
  );
}

/** Runs `fn` with the named kernels unregistered, then (once a returned promise settles) registers them again. */
function withoutKernels<T>(names: string[], fn: () => T): T {
  const kernels = names.map((name) => tf.getKernel(name, 'wasm'));
  for (const k of kernels) if (k) tf.unregisterKernel(k.kernelName, 'wasm');
  const restore = () => {
    for (const k of kernels) if (k) tf.registerKernel(k);
  };
  let result: T;
  try {
    result = fn();
  } catch (err) {
    restore();
    throw err;
  }
  if (result instanceof Promise) return result.finally(restore) as T;
  restore();
  return result;
}

/** The op-by-op path: no fused JavaScript kernels, no native cells. */
const withoutFused = <T>(fn: () => T): T =>
  withoutKernels(
    [LSTM_CELL, GRU_CELL, GREEDY_PICK, LOG_SOFTMAX_ADD, COPY_GREEDY_PICK, LSTM_TRAIN, GRU_TRAIN],
    fn,
  );
/** The fused JavaScript kernels, as on a machine without the native addon. */
const withoutNative = <T>(fn: () => T): T => withoutKernels([LSTM_TRAIN, GRU_TRAIN], fn);
/** Both cell implementations that can run here: native (when the addon is installed) and JavaScript. */
const cellVariants = () =>
  tf.getKernel(LSTM_TRAIN, 'wasm')
    ? ([
        ['native', <T>(fn: () => T) => fn()],
        ['javascript', withoutNative],
      ] as const)
    : ([['javascript', <T>(fn: () => T) => fn()]] as const);

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  expect(x.length).to.equal(y.length);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  return worst;
}

describe('fused inference kernels on wasm: LSTM/GRU cells, greedy pick, beam log-probabilities', function () {
  before(async function () {
    const choice = await initBackend('wasm');
    if (choice.name !== 'wasm') this.skip();
    expect(tf.getKernel(LSTM_CELL, 'wasm'), 'fused kernels registered on wasm').to.not.equal(undefined);
  });

  it('LSTM: same h and c as the op path, with and without a padding mask', () => {
    const [B, H] = [3, 16];
    tf.tidy(() => {
      const xw = random([B, 4 * H], 1);
      const hw = random([B, 4 * H], 2);
      const h = random([B, H], 3, 1);
      const c = random([B, H], 4, 1);
      const m = tf.tensor2d([1, 0, 1], [B, 1]);
      for (const [variant, run] of cellVariants()) {
        for (const mask of [undefined, m]) {
          const fused = run(() => lstmUpdate(xw, hw, h, c, mask));
          const ops = withoutFused(() => lstmUpdate(xw, hw, h, c, mask));
          expect(maxDiff(fused.h, ops.h), `${variant} h`).to.be.below(1e-6);
          expect(maxDiff(fused.c, ops.c), `${variant} c`).to.be.below(1e-6);
        }
      }
      // the masked row keeps its previous state exactly
      const masked = lstmUpdate(xw, hw, h, c, m);
      expect(Array.from(masked.h.slice([1, 0], [1, H]).dataSync())).to.deep.equal(
        Array.from(h.slice([1, 0], [1, H]).dataSync()),
      );
    });
  });

  it('GRU: same state as the op path, reading the recurrent part at an offset', () => {
    const [B, H, A] = [4, 16, 8];
    tf.tidy(() => {
      const gy = random([B, 3 * H], 5);
      const gc = random([B, 3 * H], 6);
      const sp = random([B, A + 3 * H], 7);
      const s = random([B, H], 8, 1);
      const ops = withoutFused(() => gruUpdate(gy, gc, sp, A, s));
      for (const [variant, run] of cellVariants())
        expect(
          maxDiff(
            run(() => gruUpdate(gy, gc, sp, A, s)),
            ops,
          ),
          variant,
        ).to.be.below(1e-6);
    });
  });

  it("native training cells: the gradients of the op path, padding rows and an unused c' included", function () {
    if (!tf.getKernel(LSTM_TRAIN, 'wasm')) this.skip();
    const [B, H, A] = [3, 16, 8];
    tf.tidy(() => {
      const [xw, hw] = [random([B, 4 * H], 21), random([B, 4 * H], 22)];
      const [h, c] = [random([B, H], 23, 1), random([B, H], 24, 1)];
      const [w1, w2] = [random([B, H], 25), random([B, H], 26)];
      const m = tf.tensor2d([1, 0, 1], [B, 1]);
      for (const mask of [undefined, m]) {
        for (const useC of [true, false]) {
          // Without a mask h reaches the step only through hw: it is not an input of the cell then.
          const loss = (x: tf.Tensor, y: tf.Tensor, cp: tf.Tensor, hp?: tf.Tensor) => {
            const hIn = (hp ?? h) as tf.Tensor2D;
            const out = lstmUpdate(x as tf.Tensor2D, y as tf.Tensor2D, hIn, cp as tf.Tensor2D, mask);
            const fromH = tf.sum(tf.mul(out.h, w1));
            return useC ? tf.add(fromH, tf.sum(tf.mul(out.c, w2))) : fromH;
          };
          const inputs = mask ? [xw, hw, c, h] : [xw, hw, c];
          const native = tf.grads(loss)(inputs);
          const ops = withoutFused(() => tf.grads(loss)(inputs));
          native.forEach((g, k) =>
            expect(maxDiff(g, ops[k]), `LSTM mask=${!!mask} c'=${useC} grad ${k}`).to.be.below(1e-5),
          );
        }
      }
      const [gy, gc, sp, s] = [
        random([B, 3 * H], 27),
        random([B, 3 * H], 28),
        random([B, A + 3 * H], 29),
        random([B, H], 30, 1),
      ];
      const gruLoss = (a: tf.Tensor, b: tf.Tensor, d: tf.Tensor, e: tf.Tensor) =>
        tf.sum(
          tf.mul(gruUpdate(a as tf.Tensor2D, b as tf.Tensor2D, d as tf.Tensor2D, A, e as tf.Tensor2D), w1),
        );
      const native = tf.grads(gruLoss)([gy, gc, sp, s]);
      const ops = withoutFused(() => tf.grads(gruLoss)([gy, gc, sp, s]));
      native.forEach((g, k) => expect(maxDiff(g, ops[k]), `GRU grad ${k}`).to.be.below(1e-5));
      // The attention's columns of sp get no gradient from the cell.
      expect(Array.from(native[2].slice([0, 0], [B, A]).dataSync()).every((x) => x === 0)).to.equal(true);
    });
  });

  it('the JavaScript kernels are not used inside a gradient tape (no gradient is registered), nor for large batches', () =>
    withoutNative(async () => {
      const [B, H] = [2, 8];
      const xw = random([B, 4 * H], 9);
      const hw = random([B, 4 * H], 10);
      const c = random([B, H], 11);
      const h = random([B, H], 12);
      // differentiable: the op path runs under tf.grad
      const g = tf.grad((x: tf.Tensor) => tf.sum(lstmUpdate(x as tf.Tensor2D, hw, h, c).h))(xw);
      expect(g.shape).to.deep.equal([B, 4 * H]);
      expect(Array.from(g.dataSync()).every(Number.isFinite)).to.equal(true);
      // 4096 × 4 = 16,384 gates exceed the fused limit (8,192): the op path (no NmtLstmCell kernel) runs
      const big = tf.zeros([4096, 4]) as tf.Tensor2D;
      const bigC = tf.zeros([4096, 1]) as tf.Tensor2D;
      const small = tf.zeros([2048, 4]) as tf.Tensor2D;
      const smallC = tf.zeros([2048, 1]) as tf.Tensor2D;
      // (tf.profile reuses its result object: read each one before the next profile)
      const kernelsOf = async (x: tf.Tensor2D, y: tf.Tensor2D) => [
        ...(await tf.profile(() => Object.values(lstmUpdate(x, x, y, y)))).kernelNames,
      ];
      expect(await kernelsOf(big, bigC)).to.not.include(LSTM_CELL);
      expect(await kernelsOf(small, smallC)).to.include(LSTM_CELL);
      tf.dispose([xw, hw, c, h, g, big, bigC, small, smallC]);
    }));

  it('greedy pick and beam log-probabilities: same as log-softmax ops, ties, -Infinity scores, spread rows', () => {
    tf.tidy(() => {
      const V = 300;
      const rows = [
        Float32Array.from({ length: V }, (_, j) => Math.sin(j) * 3), // ordinary
        Float32Array.from({ length: V }, (_, j) => (j === 7 || j === 200 ? 5 : 0)), // tie: the first wins
        Float32Array.from({ length: V }, (_, j) => (j % 10) * 20 - 150), // most terms far below the max
      ];
      const logits = tf.tensor2d(
        rows.flatMap((r) => Array.from(r)),
        [rows.length, V],
      );
      const add = tf.tensor1d([0.5, -Infinity, -2]);
      // A step of a model without copying: only the logits are read.
      const out = { logits } as StepOutput;
      const fused = { pick: greedyPick(out), plus: logProbsPlus(out, add) };
      const ops = withoutFused(() => ({ pick: greedyPick(out), plus: logProbsPlus(out, add) }));
      expect(Array.from(fused.pick.ids.dataSync())).to.deep.equal(Array.from(ops.pick.ids.dataSync()));
      expect(fused.pick.ids.dataSync()[1]).to.equal(7);
      expect(maxDiff(fused.pick.logProbs, ops.pick.logProbs)).to.be.below(1e-5);
      // A banned token per row (−1 none): the best other token, with its unrenormalised log-probability.
      const banned = tf.tensor1d([fused.pick.ids.dataSync()[0], 7, -1], 'int32');
      const second = greedyPick(out, undefined, banned);
      const secondOps = withoutFused(() => greedyPick(out, undefined, banned));
      expect(Array.from(second.ids.dataSync())).to.deep.equal(Array.from(secondOps.ids.dataSync()));
      expect(second.ids.dataSync()[1], 'the tie: 7 banned, 200 wins').to.equal(200);
      expect(second.ids.dataSync()[2]).to.equal(fused.pick.ids.dataSync()[2]);
      expect(maxDiff(second.logProbs, secondOps.logProbs)).to.be.below(1e-5);
      const full = tf.logSoftmax(logits).arraySync() as number[][];
      second.ids
        .dataSync()
        .forEach((y, r) => expect(second.logProbs.dataSync()[r]).to.be.closeTo(full[r][y], 1e-5));
      const [f, o] = [fused.plus.dataSync(), ops.plus.dataSync()];
      for (let i = 0; i < f.length; i++) {
        if (o[i] === -Infinity) expect(f[i], `element ${i}`).to.equal(-Infinity);
        else expect(Math.abs(f[i] - o[i]), `element ${i}`).to.be.below(1e-4);
      }
    });
  });

  it('copying steps: the fused greedy pick equals the op-by-op mixture (repeats, masks, p_gen 0 and 1)', () => {
    tf.tidy(() => {
      const V = 300;
      const logits = random([5, V], 11, 4);
      // Row 0: ordinary; row 1: p_gen = 1 (no copying); row 2: p_gen = 0 (copy only: most tokens have
      // p = 0, floored); row 3: a source token repeated, outweighing the vocabulary's best; row 4: padding.
      const pGen = tf.tensor2d([[0.7], [1], [0], [0.2], [0.5]]);
      const attention = tf.softmax(random([5, 6], 12, 3)) as tf.Tensor2D;
      const src = tf.tensor2d(
        [
          [10, 20, 30, 40, 50, 2],
          [10, 20, 30, 40, 50, 2],
          [7, 7, 8, 9, 10, 2],
          [42, 99, 42, 42, 5, 2],
          [60, 61, 0, 0, 0, 0],
        ],
        [5, 6],
        'int32',
      );
      const copy = copySource(src as tf.Tensor2D);
      const out = { logits, pGen, attention } as StepOutput;
      const fused = greedyPick(out, copy);
      const ops = withoutFused(() => greedyPick(out, copy));
      expect(Array.from(fused.ids.dataSync())).to.deep.equal(Array.from(ops.ids.dataSync()));
      expect(fused.ids.dataSync()[3]).to.equal(42); // three copies of 42 at p_gen 0.2
      expect(maxDiff(fused.logProbs, ops.logProbs)).to.be.below(1e-4);
      // Banning each row's pick (row 3: the copied 42) gives the same second choice both ways.
      const banned = tf.tensor1d([...Array.from(fused.ids.dataSync()).slice(0, 4), -1], 'int32');
      const second = greedyPick(out, copy, banned);
      const secondOps = withoutFused(() => greedyPick(out, copy, banned));
      expect(Array.from(second.ids.dataSync())).to.deep.equal(Array.from(secondOps.ids.dataSync()));
      expect(maxDiff(second.logProbs, secondOps.logProbs)).to.be.below(1e-4);
      second.ids.dataSync().forEach((y, r) => {
        if (r < 4) expect(y, `row ${r}`).to.not.equal(fused.ids.dataSync()[r]);
        else expect(y, 'row 4 (nothing banned)').to.equal(fused.ids.dataSync()[4]);
      });
      // Greedy's pick is the best of beam search's log p(y) (which always runs the ops), row by row.
      const beam = logProbsPlus(out, tf.zeros([5]) as tf.Tensor1D, copy);
      expect(maxDiff(fused.logProbs, tf.max(beam, 1))).to.be.below(1e-4);
      expect(Array.from(fused.ids.dataSync())).to.deep.equal(Array.from(tf.argMax(beam, 1).dataSync()));
    });
  });

  it('translations are the same with and without the fused kernels, and leak no tensors', async function () {
    this.timeout(120_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-fused-'));
    try {
      await makeTinyModel(dir);
      const translator = Translator.load(dir);
      const texts = ['I like tea.', 'Where is the station?', 'The cat sleeps on the big red sofa.'];
      for (const beam of [1, 3]) {
        const fused = translator.translate(texts, { beam });
        const ops = withoutFused(() => translator.translate(texts, { beam }));
        expect(fused.map((r) => r.hypotheses[0].text)).to.deep.equal(ops.map((r) => r.hypotheses[0].text));
        fused.forEach((r, i) =>
          expect(r.hypotheses[0].score).to.be.closeTo(ops[i].hypotheses[0].score, 1e-4),
        );
      }
      const before = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) translator.translate(texts, { beam: 2 });
      expect(tf.memory().numTensors).to.equal(before);
      translator.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

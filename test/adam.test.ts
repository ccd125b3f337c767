import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/select.js';
import { Rng } from '../src/util/rng.js';
import { FusedAdam } from '../src/train/adam.js';

/** Two parameters with fixed random values, and gradients for `steps` steps. */
function problem(seed: number) {
  const rng = new Rng(seed);
  const rand = (n: number, scale: number) =>
    Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * scale);
  const layout = [
    { name: 'w', shape: [30, 20], size: 600 },
    { name: 'b', shape: [20], size: 20 },
  ];
  return {
    layout,
    weights: rand(620, 1),
    grads: Array.from({ length: 6 }, (_, t) => rand(620, 10 ** (t - 3))),
  };
}

describe('FusedAdam (src/train/adam.ts)', () => {
  before(async () => {
    await initBackend('wasm');
  });

  it('computes the updates and state of tf.train.adam (to float32 rounding), with clipping scales and an LR change', async () => {
    const { layout, weights, grads } = problem(1);
    const scales = [1, 0.5, 0.25, 1, 0.125, 1];
    // tfjs
    const vars = layout.map((p, k) =>
      tf.variable(
        tf.tensor(weights.subarray(k === 0 ? 0 : 600, k === 0 ? 600 : 620), p.shape),
        true,
        `adam-test-${p.name}`,
      ),
    );
    const adam = tf.train.adam(2e-3);
    // ours
    const fused = new FusedAdam(layout, 2e-3);
    const w = weights.slice();
    grads.forEach((g, t) => {
      if (t === 4) {
        (adam as unknown as { learningRate: number }).learningRate = 1e-3;
        fused.learningRate = 1e-3;
      }
      tf.tidy(() =>
        adam.applyGradients(
          vars.map((v, k) => ({
            name: v.name,
            tensor: tf.mul(
              tf.tensor(g.subarray(k === 0 ? 0 : 600, k === 0 ? 600 : 620), layout[k].shape),
              scales[t],
            ),
          })),
        ),
      );
      fused.step(w, g, scales[t]);
    });
    const expected = Float32Array.from([...vars[0].dataSync(), ...vars[1].dataSync()]);
    const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
      expect(a.length).to.equal(b.length);
      let worst = 0;
      for (let i = 0; i < a.length; i++)
        worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1e-20, Math.abs(b[i])));
      expect(worst, what).to.be.below(1e-5);
    };
    close(w, expected, 'weights');
    // the weights moved by much more than that
    expect(Math.max(...w.map((x, i) => Math.abs(x - weights[i])))).to.be.above(1e-3);
    const theirs = await adam.getWeights();
    const ours = fused.state();
    expect(ours.map((s) => s.values.length)).to.deep.equal(theirs.map((s) => s.tensor.size));
    expect(ours[0].values[0]).to.equal(6);
    ours.slice(1).forEach((s, i) => close(s.values, theirs[i + 1].tensor.dataSync(), s.name));
    expect(ours.map((s) => s.name.replace(/^.*?(\/[mv])$/, 'x$1'))).to.deep.equal([
      'iter',
      'x/m',
      'x/m',
      'x/v',
      'x/v',
    ]);
    tf.dispose(vars);
    adam.dispose();
  });

  it('a saved state continues exactly; a state with no moments means zeros; a wrong state is refused', () => {
    const { layout, weights, grads } = problem(2);
    const a = new FusedAdam(layout, 1e-3);
    const wa = weights.slice();
    for (const g of grads) a.step(wa, g, 1);
    const b = new FusedAdam(layout, 1e-3);
    const wb = weights.slice();
    for (const g of grads.slice(0, 3)) b.step(wb, g, 1);
    const c = new FusedAdam(layout, 1e-3);
    c.load(b.state());
    for (const g of grads.slice(3)) c.step(wb, g, 1);
    expect(Array.from(wb)).to.deep.equal(Array.from(wa));
    // only 'iter' (a checkpoint written before the first step)
    const fresh = new FusedAdam(layout, 1e-3);
    fresh.load([{ name: 'iter', shape: [], values: Float32Array.of(0) }]);
    const w1 = weights.slice();
    const w2 = weights.slice();
    fresh.step(w1, grads[0], 1);
    new FusedAdam(layout, 1e-3).step(w2, grads[0], 1);
    expect(Array.from(w1)).to.deep.equal(Array.from(w2));
    expect(() => fresh.load(b.state().slice(0, 3))).to.throw(
      'optimizer state has 2 moment tensors; this model needs 4',
    );
    const bad = b.state();
    bad[1] = { ...bad[1], values: new Float32Array(5) };
    expect(() => fresh.load(bad)).to.throw('optimizer state "w/m" has 5 values; "w" has 600');
  });
});

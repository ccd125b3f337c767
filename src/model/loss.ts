/**
 * Cross-entropy with label smoothing, masked on padding.
 *
 * For logits z_i, target y_i, mask w_i and smoothing ε over V classes, with q_i = (1-ε)·onehot(y_i) + ε/V:
 *   loss = Σ_i w_i · (logsumexp(z_i) − Σ_v q_iv z_iv)
 *   ∂loss/∂z_i = w_i · (softmax(z_i) − q_i)
 * The kernel facade (src/backend/kernels.ts) computes it as one fused operation: the composed version
 * computes exp over the [N, V] logits two or three times (log-softmax forward, its gradient, the smoothing
 * term), and the exponentials of the vocabulary projection are the most expensive elementwise work in a
 * training step; with the native addon the whole of it, gradient included, is one kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { oneHotFloat, softmaxXent, softmaxXentTerms } from '../backend/kernels.js';

/**
 * @param logits [N, V]
 * @param targets [N] int32
 * @param weights [N] float32: 1 for real target tokens, 0 for padding
 * @returns the summed (not averaged) loss, a scalar
 */
export function smoothedCrossEntropy(
  logits: tf.Tensor2D,
  targets: tf.Tensor1D,
  weights: tf.Tensor1D,
  smoothing: number,
): tf.Scalar {
  return softmaxXent(logits, targets, weights, smoothing);
}

/** log(e^a + e^b), elementwise and stable. */
function logAddExp(a: tf.Tensor1D, b: tf.Tensor1D): tf.Tensor1D {
  const m = tf.maximum(a, b);
  return tf.add(m, tf.log(tf.add(tf.exp(tf.sub(a, m)), tf.exp(tf.sub(b, m))))) as tf.Tensor1D;
}

/**
 * Cross-entropy of the pointer-generator mixture (See et al., 2017), label-smoothed, masked, summed:
 *   P(y_i) = g_i · softmax(z_i)_y + (1 − g_i) · c_i          c_i = Σ_j a_ij [x_j = y_i]
 *   loss   = Σ_i w_i ((1 − ε) · −log P(y_i) + ε · (lse(z_i) − mean_v z_iv))
 * Smoothing stays on the vocabulary distribution (spreading ε over copies of every source token too would
 * need the full mixed distribution, [N, V], which the loss otherwise never builds).
 *
 * Gradients, by hand (written with tf.customGrad so the exponentials over [N, V] are computed once, as in
 * smoothedCrossEntropy; r_i = g_i p_y / P(y_i) is the share of P(y_i) that generation gave):
 *   ∂/∂z_i = w_i ((1 − ε) r_i (p_i − onehot_y) + ε (p_i − 1/V))
 *          = (1 + (1 − ε)(r_i − 1)) G_i − w_i (1 − ε)(r_i − 1) ε (onehot_y − 1/V),   G_i = w_i (p_i − q_i)
 *   ∂/∂g_i = −(1 − ε) w_i (p_y − c_i) / P(y_i)
 *   ∂/∂c_i = −(1 − ε) w_i (1 − g_i) / P(y_i)
 *
 * @param pGen [N] the gate g; @param copyProb [N] c; others as smoothedCrossEntropy.
 */
export function copyMixtureCrossEntropy(
  logits: tf.Tensor2D,
  targets: tf.Tensor1D,
  weights: tf.Tensor1D,
  pGen: tf.Tensor1D,
  copyProb: tf.Tensor1D,
  smoothing: number,
): tf.Scalar {
  const [, V] = logits.shape;
  const eps = smoothing;
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [z, g, c] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const { perToken, grad: G } = softmaxXentTerms(z as tf.Tensor2D, targets, weights, eps);
    const onehot = oneHotFloat(targets, V);
    const zTarget = tf.sum(tf.mul(z, onehot), 1);
    // log p_vocab(y) = z_y − lse, with lse read back from perToken (rows with w = 0 give junk, masked below)
    let logPy = tf.sub(tf.mul(zTarget, eps), perToken);
    if (eps > 0) logPy = tf.sub(logPy, tf.mul(tf.sum(z, 1), eps / V));
    const a = tf.add(tf.log(tf.maximum(g, 1e-12)), logPy) as tf.Tensor1D;
    const b = tf.log(tf.maximum(tf.mul(tf.sub(1, g), c), 1e-30)) as tf.Tensor1D;
    const logP = logAddExp(a, b);
    const value = tf.sum(
      tf.add(perToken, tf.mul(weights, tf.mul(tf.sub(logPy, logP), 1 - eps))),
    ) as tf.Scalar;
    save([G, onehot, tf.exp(tf.sub(a, logP)), tf.exp(tf.sub(logPy, logP)), logP, g, c]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [Gs, oh, r, pyOverP, logPs, gs, cs] = saved;
      const wdy = tf.mul(weights, dy);
      const rm1 = tf.mul(tf.sub(r, 1), 1 - eps); // (1 − ε)(r − 1)
      let dz = tf.mul(Gs, tf.reshape(tf.add(tf.mul(rm1, dy), dy), [-1, 1]));
      if (eps > 0)
        dz = tf.sub(dz, tf.mul(tf.sub(oh, 1 / V), tf.reshape(tf.mul(tf.mul(wdy, rm1), eps), [-1, 1])));
      const invP = tf.exp(tf.neg(logPs));
      const dg = tf.mul(tf.mul(wdy, -(1 - eps)), tf.sub(pyOverP, tf.mul(cs, invP)));
      // Capped: with c = 0 and a tiny p_vocab(y) the exact factor (1 − g)/P reaches 1e8 and one token would
      // dominate the clipped update of the whole batch; 1e3 still says "attend to the source word" firmly.
      const dc = tf.mul(tf.mul(wdy, -(1 - eps)), tf.minimum(tf.mul(tf.sub(1, gs), invP), 1e3));
      return [dz, dg, dc];
    };
    return { value, gradFunc };
  });
  return f(logits, pGen, copyProb) as tf.Scalar;
}

/**
 * Guided-alignment cost Σ_{b,t,j} −g_btj log a_btj, summed (not averaged) like the losses above.
 * a is floored at 1e-9 before the log: padding positions have weight exactly 0 (and guide 0), and a guide
 * link to a position the attention has all but ruled out must not give an infinite loss.
 * @param attention a [B, T, S]
 * @param guide g [B, T, S], each row summing to 1 or 0
 */
export function guidedAlignmentCost(attention: tf.Tensor3D, guide: tf.Tensor3D): tf.Scalar {
  return tf.neg(tf.sum(tf.mul(guide, tf.log(tf.maximum(attention, 1e-9))))) as tf.Scalar;
}

/**
 * Cross-entropy with label smoothing, masked on padding, as one fused operation.
 *
 * For logits z_i, target y_i, mask w_i and smoothing ε over V classes, with q_i = (1-ε)·onehot(y_i) + ε/V:
 *   loss = Σ_i w_i · (logsumexp(z_i) − Σ_v q_iv z_iv)
 *   ∂loss/∂z_i = w_i · (softmax(z_i) − q_i)
 * Written with tf.customGrad because the composed version computes exp over the [N, V] logits two or
 * three times (log-softmax forward, its gradient, the smoothing term); the exponentials of the vocabulary
 * projection are the most expensive elementwise work in a training step. Here they are computed once and
 * the softmax is kept for the backward pass. With the native addon the whole of it, gradient included,
 * is one kernel (src/backend/native-kernels.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { SOFTMAX_XENT } from '../backend/native-kernels.js';

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
  const [N, V] = logits.shape;
  if (tf.getKernel(SOFTMAX_XENT, tf.getBackend())) {
    const fused = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const z = args[0] as tf.Tensor2D;
      const save = args[1] as tf.GradSaveFunc;
      const [perToken, grad] = tf
        .engine()
        .runKernel(SOFTMAX_XENT, { logits: z, targets, weights }, { smoothing }) as tf.Tensor[];
      save([grad]);
      return { value: tf.sum(perToken) as tf.Scalar, gradFunc: (dy, saved) => tf.mul(saved[0], dy) };
    });
    return fused(logits) as tf.Scalar;
  }
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const z = args[0] as tf.Tensor2D;
    const save = args[1] as tf.GradSaveFunc;
    const zmax = tf.max(z, 1, true);
    const ex = tf.exp(tf.sub(z, zmax));
    const sumEx = tf.sum(ex, 1, true);
    const lse = tf.reshape(tf.add(zmax, tf.log(sumEx)), [N]);
    const p = tf.div(ex, sumEx);
    const flatIndex = tf.add(tf.mul(tf.range(0, N, 1, 'int32'), tf.scalar(V, 'int32')), targets);
    const zTarget = tf.gather(tf.reshape(z, [-1]), flatIndex);
    let perToken = tf.sub(lse, tf.mul(zTarget, 1 - smoothing));
    if (smoothing > 0) perToken = tf.sub(perToken, tf.mul(tf.sum(z, 1), smoothing / V));
    save([p]);
    const value = tf.sum(tf.mul(perToken, weights)) as tf.Scalar;
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [probs] = saved;
      const q = tf.add(tf.mul(tf.oneHot(targets, V), 1 - smoothing), smoothing / V);
      return tf.mul(tf.sub(probs, q), tf.mul(tf.reshape(weights, [N, 1]), dy));
    };
    return { value, gradFunc };
  });
  return f(logits) as tf.Scalar;
}

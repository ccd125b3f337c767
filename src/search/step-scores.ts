/**
 * From one decoder step's output to what the searches need: greedy, the best token of each row and its
 * log-probability; beam, every token's log-probability plus its beam's score. For a model without copying
 * these are the log-softmax of the logits, computed by the kernel facade (src/backend/kernels.ts: a fused
 * kernel on wasm, TensorFlow.js ops elsewhere); for a copying model, the log of the mixed distribution
 * (`copyMixture`).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as kernels from '../backend/kernels.js';
import type { CopySource, StepOutput } from '../model/seq2seq.js';

/**
 * p(y) = p_gen · softmax(z)_y + (1 − p_gen) · Σ_j a_tj [x_j = y]   (See et al., 2017, eq. 9), [B, V].
 * The copy term is a scatter-add of each row's attention onto its source tokens' ids (ScatterNd sums
 * the weights of a token that occurs twice).
 */
export function copyMixture(
  logits: tf.Tensor2D,
  pGen: tf.Tensor2D,
  attention: tf.Tensor2D,
  copy: CopySource,
): tf.Tensor2D {
  const [B, V] = logits.shape;
  const generated = tf.mul(tf.softmax(logits), pGen);
  const copyWeights = tf.reshape(tf.mul(tf.mul(attention, copy.mask), tf.sub(1, pGen)), [-1]);
  return tf.add(generated, tf.scatterND(copy.indices, copyWeights, [B, V])) as tf.Tensor2D;
}

/** log p(y) of a copying step, [B, V] (floored so that tokens p(y) = 0 rank last, not NaN). */
function copyLogProbs(out: StepOutput, copy: CopySource): tf.Tensor2D {
  const p = copyMixture(out.logits, out.pGen as tf.Tensor2D, out.attention, copy);
  return tf.log(tf.maximum(p, 1e-30)) as tf.Tensor2D;
}

/** argmax_y p(y) per row and log p of it: ids [B] int32, logProbs [B]. */
export function greedyPick(out: StepOutput, copy?: CopySource): { ids: tf.Tensor1D; logProbs: tf.Tensor1D } {
  if (out.pGen && copy) {
    const logProbs = copyLogProbs(out, copy);
    return { ids: tf.argMax(logProbs, 1) as tf.Tensor1D, logProbs: tf.max(logProbs, 1) as tf.Tensor1D };
  }
  return kernels.greedyPick(out.logits);
}

/** log p(y) + add[b] for every row b and token y: [B, V]. */
export function logProbsPlus(out: StepOutput, add: tf.Tensor1D, copy?: CopySource): tf.Tensor2D {
  if (out.pGen && copy) return tf.add(copyLogProbs(out, copy), tf.reshape(add, [-1, 1])) as tf.Tensor2D;
  return kernels.logProbsPlus(out.logits, add);
}

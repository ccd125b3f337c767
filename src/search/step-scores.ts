/**
 * From one decoder step's output to what the searches need: greedy, the best token of each row and its
 * log-probability; beam, every token's log-probability plus its beam's score. For a model without copying
 * these run on the logits as one fused kernel each on wasm (src/backend/fused-softmax.ts says why) and
 * as TensorFlow.js ops elsewhere; for a copying model on the mixed distribution (`copyMixture`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { GREEDY_PICK, LOG_SOFTMAX_ADD } from '../backend/fused-softmax.js';
import type { CopySource, StepOutput } from '../model/seq2seq.js';

const fused = (kernel: string) => tf.getKernel(kernel, tf.getBackend()) !== undefined;

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
  const logits = out.logits;
  if (fused(GREEDY_PICK)) {
    const [ids, logProbs] = tf.engine().runKernel(GREEDY_PICK, { logits }, {}) as tf.Tensor1D[];
    return { ids, logProbs };
  }
  const logProbs = tf.logSoftmax(logits);
  return { ids: tf.argMax(logProbs, 1) as tf.Tensor1D, logProbs: tf.max(logProbs, 1) as tf.Tensor1D };
}

/** log p(y) + add[b] for every row b and token y: [B, V]. */
export function logProbsPlus(out: StepOutput, add: tf.Tensor1D, copy?: CopySource): tf.Tensor2D {
  if (out.pGen && copy) return tf.add(copyLogProbs(out, copy), tf.reshape(add, [-1, 1])) as tf.Tensor2D;
  const logits = out.logits;
  if (fused(LOG_SOFTMAX_ADD))
    return tf.engine().runKernel(LOG_SOFTMAX_ADD, { logits, add }, {}) as tf.Tensor2D;
  return tf.add(tf.logSoftmax(logits), tf.reshape(add, [-1, 1])) as tf.Tensor2D;
}

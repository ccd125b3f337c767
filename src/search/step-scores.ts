/**
 * From one decoder step's logits to what the searches need: greedy, the best token of each row and its
 * log-probability; beam, every token's log-probability plus its beam's score. On wasm these run as one
 * fused kernel each (src/backend/fused-softmax.ts says why); elsewhere as TensorFlow.js ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import { GREEDY_PICK, LOG_SOFTMAX_ADD } from '../backend/fused-softmax.js';

const fused = (kernel: string) => tf.getKernel(kernel, tf.getBackend()) !== undefined;

/** argmax_y p(y) per row and log p of it: ids [B] int32, logProbs [B]. */
export function greedyPick(logits: tf.Tensor2D): { ids: tf.Tensor1D; logProbs: tf.Tensor1D } {
  if (fused(GREEDY_PICK)) {
    const [ids, logProbs] = tf.engine().runKernel(GREEDY_PICK, { logits }, {}) as tf.Tensor1D[];
    return { ids, logProbs };
  }
  const logProbs = tf.logSoftmax(logits);
  return { ids: tf.argMax(logProbs, 1) as tf.Tensor1D, logProbs: tf.max(logProbs, 1) as tf.Tensor1D };
}

/** log p(y) + add[b] for every row b and token y: [B, V]. */
export function logProbsPlus(logits: tf.Tensor2D, add: tf.Tensor1D): tf.Tensor2D {
  if (fused(LOG_SOFTMAX_ADD))
    return tf.engine().runKernel(LOG_SOFTMAX_ADD, { logits, add }, {}) as tf.Tensor2D;
  return tf.add(tf.logSoftmax(logits), tf.reshape(add, [-1, 1])) as tf.Tensor2D;
}

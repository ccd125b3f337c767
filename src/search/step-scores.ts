/**
 * From one decoder step's output to what the searches need: greedy, the best token of each row and its
 * log-probability; beam, every token's log-probability plus its beam's score. For a model without copying
 * these are the log-softmax of the logits, computed by the kernel facade (src/backend/kernels.ts: a fused
 * kernel on wasm, TensorFlow.js ops elsewhere); for a copying model, the log of the mixed distribution
 * (kernels.copyGreedyPick / copyLogProbsPlus: fused on wasm, reference-ops.ts's copyMixtureOps elsewhere).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as kernels from '../backend/kernels.js';
import type { CopySource, StepOutput } from '../model/seq2seq.js';

/** The facade's view of a copying step. */
function copyStep(out: StepOutput, copy: CopySource): kernels.CopyStep {
  const { logits, attention } = out;
  return { logits, pGen: out.pGen as tf.Tensor2D, attention, indices: copy.indices, mask: copy.mask };
}

/**
 * argmax_y p(y) per row and log p of it: ids [B] int32, logProbs [B]. `banned` [B] int32 names a token
 * each row may not pick (−1 = none); log p stays that of the model's distribution (not renormalised).
 */
export function greedyPick(
  out: StepOutput,
  copy?: CopySource,
  banned?: tf.Tensor1D,
): { ids: tf.Tensor1D; logProbs: tf.Tensor1D } {
  if (out.pGen && copy) return kernels.copyGreedyPick(copyStep(out, copy), banned);
  return kernels.greedyPick(out.logits, banned);
}

/** log p(y) + add[b] for every row b and token y: [B, V]. */
export function logProbsPlus(out: StepOutput, add: tf.Tensor1D, copy?: CopySource): tf.Tensor2D {
  if (out.pGen && copy) return kernels.copyLogProbsPlus(copyStep(out, copy), add);
  return kernels.logProbsPlus(out.logits, add);
}

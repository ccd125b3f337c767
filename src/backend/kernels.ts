/**
 * The kernel facade: what the model (src/model/), the searches (src/search/) and training (src/train/)
 * compute through this folder, whatever runs it. Each function picks, on every call, the fastest
 * implementation registered for the current backend and falls back to the TensorFlow.js ops of
 * reference-ops.ts, so the callers read the same on every backend:
 *
 * - native: the optional C addon's kernels (wasm/native-cells.ts, wasm/softmax-xent.ts), with gradients,
 *   registered on wasm when the addon is installed and the CPU has AVX2 and FMA;
 * - fused: one-pass JavaScript kernels on the wasm heap (wasm/fused-cells.ts, wasm/fused-softmax.ts),
 *   without gradients, for inference;
 * - ops: reference-ops.ts, everywhere else.
 *
 * The kernels are registered by installKernels (install.ts) when the wasm backend is chosen.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { loadNativeBlas } from './native-blas.js';
import {
  copyGreedyPickOps,
  copyLogProbsPlusOps,
  greedyPickOps,
  gruCellOps,
  logProbsPlusOps,
  lstmCellOps,
  softmaxXentOps,
  softmaxXentTermsOps,
} from './reference-ops.js';
import type { CopyStep } from './reference-ops.js';
import { GRU_CELL, LSTM_CELL } from './wasm/fused-cells.js';
import { COPY_GREEDY_PICK } from './wasm/fused-copy.js';
import { GREEDY_PICK, LOG_SOFTMAX_ADD } from './wasm/fused-softmax.js';
import { GRU_TRAIN, LSTM_TRAIN } from './wasm/native-cells.js';
import { SOFTMAX_XENT } from './wasm/softmax-xent.js';

export { oneHotFloat } from './reference-ops.js';
export type { CopyStep } from './reference-ops.js';

/** Whether `kernel` is registered for the backend in use (the fused and native ones are wasm-only). */
const registered = (kernel: string) => tf.getKernel(kernel, tf.getBackend()) !== undefined;

/** Fused cell kernels pay off while a step's gates hold at most this many numbers (B × 4H). */
const FUSED_MAX_GATES = 8192;

/**
 * The fused cells have no gradient: only outside gradient tapes and for small batches, where framework
 * overhead dominates; for large ones XNNPACK's vectorised sigmoid beats scalar JavaScript. "Outside
 * gradient tapes" is the engine's gradientDepth of 0 (engine state, not public API in tfjs 4.22):
 * tf.grad and tf.variableGrads raise it while they record the forward pass.
 */
function useFusedCell(gates: number): boolean {
  return gates <= FUSED_MAX_GATES && tf.engine().state.gradientDepth === 0 && registered(LSTM_CELL);
}

/**
 * The LSTM step after the matmuls: gates (i, f, g, o) = xw + hw, c' = σ(f) c + σ(i) tanh(g),
 * h' = σ(o) tanh(c'). Where the mask `m` [B, 1] is 0 the previous h and c are kept (padding does not
 * advance the state). Native with the addon (any batch, with a gradient), else fused for small batches
 * outside gradient tapes, else ops.
 */
export function lstmCell(
  xw: tf.Tensor2D,
  hw: tf.Tensor2D,
  h: tf.Tensor2D,
  c: tf.Tensor2D,
  m?: tf.Tensor,
): { h: tf.Tensor2D; c: tf.Tensor2D } {
  if (registered(LSTM_TRAIN)) {
    const ones = m ? undefined : tf.ones([c.shape[0], 1]);
    const [hNew, cNew] = tf
      .engine()
      .runKernel(LSTM_TRAIN, { xw, hw, c, h, m: m ?? ones! }, {}) as tf.Tensor2D[];
    return { h: hNew, c: cNew };
  }
  if (useFusedCell(xw.size)) {
    const inputs: tf.NamedTensorMap = m ? { xw, hw, c, h, m } : { xw, hw, c };
    const [hNew, cNew] = tf.engine().runKernel(LSTM_CELL, inputs, {}) as tf.Tensor2D[];
    return { h: hNew, c: cNew };
  }
  return lstmCellOps(xw, hw, h, c, m);
}

/**
 * The GRU step after the matmuls: with the input part gx = gy + gc and the recurrent part us (columns
 * `offset`… of `sp`), r, z = σ(gx + us) (first 2H columns), n = tanh(gx_n + r · us_n),
 * s' = (1 − z) n + z s. Native, fused or ops as lstmCell.
 */
export function gruCell(
  gy: tf.Tensor2D,
  gc: tf.Tensor2D,
  sp: tf.Tensor2D,
  offset: number,
  s: tf.Tensor2D,
): tf.Tensor2D {
  if (registered(GRU_TRAIN)) {
    // [s', acts]: acts is kept by the gradient (or freed by the caller's tidy).
    const [sNew] = tf.engine().runKernel(GRU_TRAIN, { gy, gc, sp, s }, { offset }) as tf.Tensor2D[];
    return sNew;
  }
  if (useFusedCell(gy.shape[0] * 4 * s.shape[1])) {
    return tf.engine().runKernel(GRU_CELL, { gy, gc, sp, s }, { offset }) as tf.Tensor2D;
  }
  return gruCellOps(gy, gc, sp, offset, s);
}

/**
 * Σ_i w_i · (logsumexp(z_i) − Σ_v q_iv z_iv) with q_i = (1−ε)·onehot(y_i) + ε/V, a scalar with its
 * gradient w_i · (softmax(z_i) − q_i). With the addon, loss and gradient are one native kernel (the
 * backward pass is one multiplication by dy); else ops.
 */
export function softmaxXent(
  logits: tf.Tensor2D,
  targets: tf.Tensor1D,
  weights: tf.Tensor1D,
  smoothing: number,
): tf.Scalar {
  if (!registered(SOFTMAX_XENT)) return softmaxXentOps(logits, targets, weights, smoothing);
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

/**
 * Per-row terms of softmaxXent, no gradient: perToken_i = w_i (lse(z_i) − (1−ε) z_iy − ε/V Σ_v z_iv) and
 * G_i = w_i (softmax(z_i) − q_i). One native kernel with the addon, ops elsewhere.
 */
export function softmaxXentTerms(
  logits: tf.Tensor2D,
  targets: tf.Tensor1D,
  weights: tf.Tensor1D,
  smoothing: number,
): { perToken: tf.Tensor1D; grad: tf.Tensor2D } {
  if (!registered(SOFTMAX_XENT)) return softmaxXentTermsOps(logits, targets, weights, smoothing);
  const [perToken, grad] = tf
    .engine()
    .runKernel(SOFTMAX_XENT, { logits, targets, weights }, { smoothing }) as tf.Tensor[];
  return { perToken: perToken as tf.Tensor1D, grad: grad as tf.Tensor2D };
}

/** argmax_y log softmax(z)_y of each row of logits [B, V] and its value: ids [B] int32, logProbs [B]. */
export function greedyPick(
  logits: tf.Tensor2D,
  banned?: tf.Tensor1D,
): { ids: tf.Tensor1D; logProbs: tf.Tensor1D } {
  if (!registered(GREEDY_PICK)) return greedyPickOps(logits, banned);
  const inputs: tf.NamedTensorMap = banned ? { logits, banned } : { logits };
  const [ids, logProbs] = tf.engine().runKernel(GREEDY_PICK, inputs, {}) as tf.Tensor1D[];
  return { ids, logProbs };
}

/** log softmax(z) + add[b] for every row b of logits [B, V] and every token: [B, V]. */
export function logProbsPlus(logits: tf.Tensor2D, add: tf.Tensor1D): tf.Tensor2D {
  if (!registered(LOG_SOFTMAX_ADD)) return logProbsPlusOps(logits, add);
  return tf.engine().runKernel(LOG_SOFTMAX_ADD, { logits, add }, {}) as tf.Tensor2D;
}

/**
 * argmax_y log p(y) of a copying step (vocabulary and copy distributions mixed) and its value; with
 * `banned` [B] int32, the best token other than each row's banned one (−1 = none).
 */
export function copyGreedyPick(
  step: CopyStep,
  banned?: tf.Tensor1D,
): { ids: tf.Tensor1D; logProbs: tf.Tensor1D } {
  if (!registered(COPY_GREEDY_PICK)) return copyGreedyPickOps(step, banned);
  const { logits, pGen, attention, indices, mask } = step;
  const inputs = { logits, pGen, attention, indices, mask, ...(banned && { banned }) };
  const [ids, logProbs] = tf.engine().runKernel(COPY_GREEDY_PICK, inputs, {}) as tf.Tensor1D[];
  return { ids, logProbs };
}

/**
 * log p(y) + add[b] of a copying step for every row b and token y: [B, V]. Always the ops: a fused
 * JavaScript version measured slower than them (wasm/fused-copy.ts).
 */
export function copyLogProbsPlus(step: CopyStep, add: tf.Tensor1D): tf.Tensor2D {
  return copyLogProbsPlusOps(step, add);
}

/**
 * The float32 values of `t` for copying out at once: on wasm a view into the backend's heap (no copy;
 * valid only until the next allocation, which can move the heap), elsewhere `dataSync()`. Training reads
 * all 6.1M weights or gradients per step this way: 2–7 ms instead of 16–28 ms through `dataSync`'s copies.
 */
export function float32Values(t: tf.Tensor): Float32Array {
  const backend = tf.engine().backend as unknown as Partial<BackendWasm>;
  if (tf.getBackend() === 'wasm' && backend.typedArrayFromHeap && t.dtype === 'float32')
    return backend.typedArrayFromHeap(t as unknown as tf.TensorInfo) as Float32Array;
  return t.dataSync() as Float32Array;
}

/**
 * out[i] += x[i] (the data-parallel workers' sum of gradient slots): in the addon when it is installed,
 * since V8 is slow over SharedArrayBuffer-backed arrays; else a JavaScript loop.
 */
export function addInto(out: Float32Array, x: Float32Array): void {
  const blas = loadNativeBlas().blas;
  if (blas) blas.addInto(out, x);
  else for (let i = 0; i < out.length; i++) out[i] += x[i];
}

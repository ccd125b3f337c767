/**
 * The element-wise halves of the LSTM and GRU steps (what follows the matmuls), written once as
 * TensorFlow.js ops, the reference and the fallback. With the native addon they run as one native kernel
 * per step, with a registered gradient, in training and translation (src/backend/native-cells.ts);
 * without it, as one fused JavaScript kernel when nothing needs a gradient and the batch is small
 * (src/backend/fused-cells.ts says why that is faster), else as the ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import { GRU_CELL, LSTM_CELL } from '../backend/fused-cells.js';
import { GRU_TRAIN, LSTM_TRAIN } from '../backend/native-cells.js';
import { keepWhereMasked } from './ops.js';

/** Fused kernels pay off while a step's gates hold at most this many numbers (B × 4H). */
const FUSED_MAX_GATES = 8192;

/** The native cells (src/backend/native-cells.ts): any batch, with gradients; when the addon is there. */
const useNative = (kernel: string) => tf.getKernel(kernel, tf.getBackend()) !== undefined;

function useFused(gates: number): boolean {
  return (
    gates <= FUSED_MAX_GATES &&
    tf.engine().state.gradientDepth === 0 &&
    tf.getKernel(LSTM_CELL, tf.getBackend()) !== undefined
  );
}

/**
 * LSTM: gates (i, f, g, o) = xw + hw, c' = σ(f) c + σ(i) tanh(g), h' = σ(o) tanh(c'). Where the mask
 * `m` [B, 1] is 0 the previous h and c are kept (padding does not advance the state).
 */
export function lstmUpdate(
  xw: tf.Tensor2D,
  hw: tf.Tensor2D,
  h: tf.Tensor2D,
  c: tf.Tensor2D,
  m?: tf.Tensor,
): { h: tf.Tensor2D; c: tf.Tensor2D } {
  if (useNative(LSTM_TRAIN)) {
    const ones = m ? undefined : tf.ones([c.shape[0], 1]);
    const [hNew, cNew] = tf
      .engine()
      .runKernel(LSTM_TRAIN, { xw, hw, c, h, m: m ?? ones! }, {}) as tf.Tensor2D[];
    return { h: hNew, c: cNew };
  }
  if (useFused(xw.size)) {
    const inputs: tf.NamedTensorMap = m ? { xw, hw, c, h, m } : { xw, hw, c };
    const [hNew, cNew] = tf.engine().runKernel(LSTM_CELL, inputs, {}) as tf.Tensor2D[];
    return { h: hNew, c: cNew };
  }
  const [i, f, g, o] = tf.split(tf.add(xw, hw), 4, 1);
  const cNew = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g))) as tf.Tensor2D;
  const hNew = tf.mul(tf.sigmoid(o), tf.tanh(cNew)) as tf.Tensor2D;
  return m ? { h: keepWhereMasked(hNew, h, m), c: keepWhereMasked(cNew, c, m) } : { h: hNew, c: cNew };
}

/**
 * GRU: with the input part gx = gy + gc and the recurrent part us (columns `offset`… of `sp`),
 * r, z = σ(gx + us) (first 2H columns), n = tanh(gx_n + r · us_n), s' = (1 − z) n + z s.
 */
export function gruUpdate(
  gy: tf.Tensor2D,
  gc: tf.Tensor2D,
  sp: tf.Tensor2D,
  offset: number,
  s: tf.Tensor2D,
): tf.Tensor2D {
  const H = s.shape[1];
  if (useNative(GRU_TRAIN)) {
    // [s', acts]: acts is kept by the gradient (or freed by the caller's tidy).
    const [sNew] = tf.engine().runKernel(GRU_TRAIN, { gy, gc, sp, s }, { offset }) as tf.Tensor2D[];
    return sNew;
  }
  if (useFused(gy.shape[0] * 4 * H)) {
    return tf.engine().runKernel(GRU_CELL, { gy, gc, sp, s }, { offset }) as tf.Tensor2D;
  }
  const gx = tf.add(gy, gc);
  const [gxRz, gxN] = tf.split(gx, [2 * H, H], 1);
  const [, us] = tf.split(sp, [offset, 3 * H], 1);
  const [usRz, usN] = tf.split(us, [2 * H, H], 1);
  const [r, z] = tf.split(tf.sigmoid(tf.add(gxRz, usRz)), 2, 1);
  const n = tf.tanh(tf.add(gxN, tf.mul(r, usN)));
  return tf.add(n, tf.mul(z, tf.sub(s, n))) as tf.Tensor2D; // (1 - z) n + z s_{t-1}
}

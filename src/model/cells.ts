/**
 * The element-wise halves of the LSTM and GRU steps (what follows the matmuls). Which kernel computes
 * them (the native addon's, a fused JavaScript one, or TensorFlow.js ops) is the kernel facade's choice
 * (src/backend/kernels.ts); the numbers are the same up to float32 rounding.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { gruCell, lstmCell } from '../backend/kernels.js';

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
  return lstmCell(xw, hw, h, c, m);
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
  return gruCell(gy, gc, sp, offset, s);
}

/**
 * Bahdanau (additive) attention:
 *   e_tj = vᵀ tanh(W s_{t-1} + U h_j)      scores of source position j for target step t
 *   a_tj = softmax_j(e_tj)                   weights; exactly 0 on source padding
 *   c_t  = Σ_j a_tj h_j                      context vector
 * `U h_j` does not depend on t, so it is computed once per sentence (`precompute`). `W s_{t-1}` is
 * computed by the decoder in the same matmul as its GRU's recurrent term (one matmul per step).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Params } from './params.js';
import { linear } from './ops.js';

/** What attention needs from the encoder, computed once per batch of sentences. */
export interface AttentionMemory {
  /** h_j, [B, S, 2H] */
  states: tf.Tensor3D;
  /** U h_j, [B, S, A] */
  keys: tf.Tensor3D;
  /** 0 for tokens, -1e9 for padding, [B, S]: added to scores so softmax gives padding weight 0 */
  maskBias: tf.Tensor2D;
}

export class BahdanauAttention {
  readonly U: tf.Tensor2D; // [2H, A]
  readonly W: tf.Tensor2D; // [Hdec, A] (used by the decoder's fused recurrent matmul)
  readonly bW: tf.Tensor1D; // [A]
  readonly v: tf.Tensor2D; // [A, 1]

  constructor(
    params: Params,
    encoderSize: number,
    decoderSize: number,
    readonly size: number,
  ) {
    this.U = params.matrix('attention.U', encoderSize, size) as tf.Tensor2D;
    this.W = params.matrix('attention.W', decoderSize, size) as tf.Tensor2D;
    this.bW = params.bias('attention.b', size) as tf.Tensor1D;
    this.v = params.matrix('attention.v', size, 1) as tf.Tensor2D;
  }

  precompute(states: tf.Tensor3D, mask: tf.Tensor2D): AttentionMemory {
    const keys = linear(states, this.U) as tf.Tensor3D;
    const maskBias = tf.mul(tf.sub(1, mask), -1e9) as tf.Tensor2D;
    return { states, keys, maskBias };
  }

  /**
   * @param ws W s_{t-1} + b, [B, A] (already computed by the decoder)
   * @returns the context c_t [B, 2H] and the weights a_t [B, S]
   */
  attend(ws: tf.Tensor2D, mem: AttentionMemory): { context: tf.Tensor2D; weights: tf.Tensor2D } {
    const [B, S, A] = mem.keys.shape;
    const hidden = tf.tanh(tf.add(mem.keys, tf.reshape(ws, [B, 1, A]))); // [B, S, A]
    const e = tf.add(tf.reshape(tf.matMul(tf.reshape(hidden, [B * S, A]), this.v), [B, S]), mem.maskBias);
    const a = tf.softmax(e) as tf.Tensor2D; // [B, S]
    // c_t as a batched [1, S] × [S, 2H] product: faster on wasm than broadcast-multiply-and-sum.
    const context = tf.reshape(tf.matMul(tf.reshape(a, [B, 1, S]), mem.states), [B, -1]) as tf.Tensor2D;
    return { context, weights: a };
  }
}

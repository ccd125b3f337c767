/**
 * Bahdanau (additive) attention, from Bahdanau, Cho & Bengio (2015), "Neural Machine Translation by
 * Jointly Learning to Align and Translate" (ICLR; arXiv:1409.0473): eq. (5)–(6) in section 3.1 define
 * the context and the weights, appendix A.1.2 the alignment model a(s_{i−1}, h_j) as a one-layer MLP.
 * The paper's target index i is t here, and the MLP has a bias b (the paper leaves it out):
 *   e_tj = vᵀ tanh(W s_{t-1} + b + U h_j)   scores of source position j for target step t  (A.1.2)
 *   a_tj = softmax_j(e_tj)                   weights; exactly 0 on source padding            (eq. 6)
 *   c_t  = Σ_j a_tj h_j                      context vector                                  (eq. 5)
 * Shapes: B sentences (rows), S source positions, 2H = the encoder's state size (both directions),
 * Hdec = the decoder's state size, A = the attention size.
 *
 * `U h_j` does not depend on t, so it is computed once per batch of sentences (`precompute`; the paper
 * does the same). The query `W s_{t-1} + b` is this module's product (`query`); the decoder gets it from
 * a merged matmul that also computes its GRU's recurrent term, a speed-up described in
 * merged-state-projection.ts, which reads W and b from here.
 *
 * Attention is stateless: what it needs of a batch is the `AttentionMemory` returned by `precompute`,
 * passed to every `attend`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Params } from './params.js';
import { linear } from './ops.js';
import { SHAPE_CHECKS, expectShape } from '../util/shape-checks.js';

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
  readonly W: tf.Tensor2D; // [Hdec, A]
  readonly bW: tf.Tensor1D; // [A]
  readonly v: tf.Tensor2D; // [A, 1]

  constructor(
    params: Params,
    /** 2H, the size of h_j */
    readonly encoderSize: number,
    /** Hdec, the size of s_{t-1} */
    readonly decoderSize: number,
    /** A */
    readonly size: number,
  ) {
    // Created in this order, under these names, since the first model: the seeded initial values and
    // the weight files saved on disk depend on both.
    this.U = params.matrix('attention.U', encoderSize, size) as tf.Tensor2D;
    this.W = params.matrix('attention.W', decoderSize, size) as tf.Tensor2D;
    this.bW = params.bias('attention.b', size) as tf.Tensor1D;
    this.v = params.matrix('attention.v', size, 1) as tf.Tensor2D;
  }

  /**
   * @param states h_j, [B, S, 2H]
   * @param mask 1 for tokens, 0 for padding, [B, S]
   */
  precompute(states: tf.Tensor3D, mask: tf.Tensor2D): AttentionMemory {
    if (SHAPE_CHECKS) this.checkPrecompute(states, mask);
    const keys = linear(states, this.U) as tf.Tensor3D;
    const maskBias = tf.mul(tf.sub(1, mask), -1e9) as tf.Tensor2D;
    return { states, keys, maskBias };
  }

  /**
   * The query term of e_tj, W s_{t-1} + b: [B, Hdec] → [B, A]. The decoder computes the same product
   * inside its merged state projection (merged-state-projection.ts); this is its definition.
   */
  query(s: tf.Tensor2D): tf.Tensor2D {
    if (SHAPE_CHECKS)
      expectShape('BahdanauAttention.query', 's_{t-1}', s.shape, { B: s.shape[0], Hdec: this.decoderSize });
    return linear(s, this.W, this.bW) as tf.Tensor2D;
  }

  /**
   * @param query W s_{t-1} + b, [B, A] (`query`, or the first A columns of the decoder's merged product)
   * @returns the context c_t [B, 2H] and the weights a_t [B, S]
   */
  attend(query: tf.Tensor2D, mem: AttentionMemory): { context: tf.Tensor2D; weights: tf.Tensor2D } {
    if (SHAPE_CHECKS) this.checkAttend(query, mem);
    const [B, S, A] = mem.keys.shape;
    const hidden = tf.tanh(tf.add(mem.keys, tf.reshape(query, [B, 1, A]))); // [B, S, A]
    const e = tf.add(tf.reshape(tf.matMul(tf.reshape(hidden, [B * S, A]), this.v), [B, S]), mem.maskBias);
    const a = tf.softmax(e) as tf.Tensor2D; // [B, S]
    // c_t as a batched [1, S] × [S, 2H] product: faster on wasm than broadcast-multiply-and-sum.
    const context = tf.reshape(tf.matMul(tf.reshape(a, [B, 1, S]), mem.states), [B, -1]) as tf.Tensor2D;
    return { context, weights: a };
  }

  private checkPrecompute(states: tf.Tensor3D, mask: tf.Tensor2D): void {
    const where = 'BahdanauAttention.precompute';
    const [B, S] = states.shape;
    expectShape(where, 'h (encoder states)', states.shape, { B, S, '2H': this.encoderSize });
    expectShape(where, 'source mask', mask.shape, { B, S });
  }

  /** The query and every part of the memory agree on B and S, and each has its module's size. */
  private checkAttend(query: tf.Tensor2D, mem: AttentionMemory): void {
    const where = 'BahdanauAttention.attend';
    const B = query.shape[0];
    const S = mem.states.shape[1];
    expectShape(where, 'query W s_{t-1} + b', query.shape, { B, A: this.size });
    expectShape(where, 'memory.states h', mem.states.shape, { B, S, '2H': this.encoderSize });
    expectShape(where, 'memory.keys U h', mem.keys.shape, { B, S, A: this.size });
    expectShape(where, 'memory.maskBias', mem.maskBias.shape, { B, S });
  }
}

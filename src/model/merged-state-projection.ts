/**
 * A speed-up, not part of the model: the merged state projection.
 *
 * Two products read the previous decoder state s_{t-1} at every decoder step:
 *   the attention query   W s_{t-1} + b_W     [B, A]    (attention.ts owns W and b_W: `BahdanauAttention.query`)
 *   the GRU's recurrent term U s_{t-1} + b_U   [B, 3Hdec] (decoder.ts owns U and b_U)
 * Here the weights are laid side by side, [W | U] [Hdec, A + 3Hdec] and [b_W | b_U] [A + 3Hdec], so that a
 * step does one matmul on s_{t-1} instead of two: columns 0…A−1 of the product are the attention query,
 * columns A… the GRU's recurrent part (the GRU cell reads them from there, offset A, without a slice).
 * The numbers are those of the two separate products.
 *
 * Why: one kernel call, and one pass over s_{t-1}, instead of two per step and per decoder row; this was
 * built in by construction, not measured against two matmuls (docs/PERFORMANCE.md, "by construction").
 * What was measured is the cost of building the concatenation: for search it is kept across steps and
 * sentences (`weightsForSearch`), because a new matrix per sentence cost more than the product it feeds
 * (greedy 16.5 → 13.9 ms per sentence, docs/PERFORMANCE.md: a new matrix is first multiplied in XNNPACK,
 * then packed; see src/backend/wasm/matmul-native.ts).
 *
 * The weights stay four separate parameters (saved as attention.W, attention.b, decoder.gru.Us,
 * decoder.gru.bs): only this concatenation joins them. In training it is built once per batch inside the
 * gradient tape, so each part still receives its own gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BahdanauAttention } from './attention.js';
import { KeptForSearch } from './kept-for-search.js';

/** [W | U] and [b_W | b_U]: what one step multiplies s_{t-1} by. */
export interface MergedStateWeights {
  w: tf.Tensor2D; // [Hdec, A + 3Hdec]
  b: tf.Tensor1D; // [A + 3Hdec]
}

export class MergedStateProjection {
  /** weights() kept for search (see weightsForSearch). */
  private readonly kept = new KeptForSearch(
    () => [this.attention.W, this.u, this.attention.bW, this.bU],
    () => this.weights(),
  );

  constructor(
    private readonly attention: BahdanauAttention,
    /** The GRU's recurrent weights U [Hdec, 3Hdec] and bias b_U [3Hdec]. */
    private readonly u: tf.Tensor2D,
    private readonly bU: tf.Tensor1D,
  ) {}

  /** Where the GRU's recurrent part starts in the merged product: after the A columns of the query. */
  get recurrentOffset(): number {
    return this.attention.size;
  }

  /** The columns of the merged product, A + 3Hdec (for the decoder's shape checks). */
  get width(): number {
    return this.attention.size + this.u.shape[1];
  }

  /** Build once per batch (inside the gradient tape when training) and pass to every step. */
  weights(): MergedStateWeights {
    return {
      w: tf.concat([this.attention.W, this.u], 1) as tf.Tensor2D,
      b: tf.concat([this.attention.bW, this.bU]) as tf.Tensor1D,
    };
  }

  /**
   * weights() for search, built once and kept across steps and sentences (see the header for why), rebuilt
   * when training has given a weight new data (kept-for-search.ts).
   */
  weightsForSearch(): MergedStateWeights {
    return this.kept.get();
  }

  /**
   * s_{t-1} [W | U] + [b_W | b_U], [B, A + 3Hdec], and its first A columns, the attention query
   * W s_{t-1} + b_W [B, A].
   */
  project(s: tf.Tensor2D, merged: MergedStateWeights): { product: tf.Tensor2D; query: tf.Tensor2D } {
    const product = tf.add(tf.matMul(s, merged.w), merged.b) as tf.Tensor2D;
    const query = tf.slice(product, [0, 0], [-1, this.attention.size]) as tf.Tensor2D;
    return { product, query };
  }

  /** Frees what weightsForSearch kept (the weights themselves belong to Params). */
  dispose(): void {
    this.kept.dispose();
  }
}

/**
 * A speed-up, not part of the model: tensors derived from weights (a concatenation, a transpose), built
 * once for search and kept across steps and sentences.
 *
 * Why: a matrix that is new at every sentence costs more than the product it feeds. The matmul kernels
 * pack a right-hand matrix the second time they see it and read it at memory speed after that
 * (src/backend/wasm/matmul-native.ts); XNNPACK likewise caches its packing per matrix. A fresh
 * concatenation or transpose per sentence or per step is packed (or transposed) again every time.
 *
 * The derived tensors are rebuilt when training has given one of their weights new data (tfjs assigns a
 * variable new data rather than writing into the old), so search after a training step sees the new weights.
 */
import * as tf from '@tensorflow/tfjs-core';

/** T: named tensors, e.g. { w, b }. */
export class KeptForSearch<T extends { [K in keyof T]: tf.Tensor }> {
  private kept?: { value: T; from: object[] };

  constructor(
    /** The weights the derived tensors are computed from. */
    private readonly sources: () => tf.Tensor[],
    /** Computes them (intermediates are freed; the result is kept until rebuilt or disposed). */
    private readonly build: () => T,
  ) {}

  get(): T {
    const from = this.sources().map((t) => t.dataId);
    const kept = this.kept;
    if (kept && from.length === kept.from.length && from.every((d, i) => d === kept.from[i]))
      return kept.value;
    this.dispose();
    // Built outside any caller's tf.tidy, so the caller's scope does not free what is kept.
    const value = tf.tidy(() => this.build());
    for (const t of this.tensorsOf(value)) tf.keep(t);
    this.kept = { value, from };
    return value;
  }

  private tensorsOf(value: T): tf.Tensor[] {
    return Object.values(value) as tf.Tensor[];
  }

  /** Frees what was kept (the weights themselves belong to their owner). */
  dispose(): void {
    if (!this.kept) return;
    tf.dispose(this.tensorsOf(this.kept.value));
    this.kept = undefined;
  }
}

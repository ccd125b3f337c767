/** Small building blocks shared by the encoder, attention and decoder. */
import * as tf from '@tensorflow/tfjs-core';

/** x W + b for x of any rank ≥ 2 (the last axis is the feature axis), as one 2-D matmul. */
export function linear(x: tf.Tensor, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor {
  const inner = x.shape[x.shape.length - 1];
  const x2 = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [-1, inner]);
  const y = b ? tf.add(tf.matMul(x2, w), b) : tf.matMul(x2, w);
  return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), w.shape[1]]);
}

/** Dropout that is the identity outside training; `seed` makes it reproducible (exact resume). */
export function dropout<T extends tf.Tensor>(x: T, rate: number, training: boolean, seed: number): T {
  if (!training || rate <= 0) return x;
  return tf.dropout(x, rate, undefined, seed) as T;
}

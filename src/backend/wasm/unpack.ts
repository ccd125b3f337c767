/**
 * `Unpack` (tf.unstack) on wasm as one contiguous copy per output (slice-copy.ts says why). Each piece is
 * copied with the unstacked axis kept as 1 and then given its output shape by writing `TensorInfo.shape`
 * (the data is the same either way): a write TensorFlow.js leaves to its kernels (tfjs 4.22).
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelArgs, KernelFunc } from './kernel-types.js';
import { sliceCopy } from './slice-copy.js';

export const fastUnpack: KernelFunc = (args: KernelArgs) => {
  const backend = args.backend as BackendWasm;
  const value = args.inputs.value as tf.TensorInfo;
  const axis = (args.attrs as { axis: number }).axis;
  const rank = value.shape.length;
  const ax = axis < 0 ? axis + rank : axis;
  const outShape = value.shape.filter((_, d) => d !== ax);
  const size = [...value.shape];
  size[ax] = 1;
  const outs: tf.TensorInfo[] = [];
  for (let i = 0; i < value.shape[ax]; i++) {
    const begin = new Array<number>(rank).fill(0);
    begin[ax] = i;
    const piece = sliceCopy(backend, value, begin, size);
    piece.shape = outShape;
    outs.push(piece);
  }
  return outs;
};

/**
 * `SplitV` (tf.split) on wasm as one contiguous copy per piece: the original copies element by element,
 * like Slice (2.3 ms for a [100, 1024] gate split in a training step).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelArgs, KernelFunc } from './kernel-types.js';
import { sliceCopy } from './slice-copy.js';

export const fastSplitV: KernelFunc = (args: KernelArgs) => {
  const backend = args.backend as BackendWasm;
  const x = args.inputs.x as tf.TensorInfo;
  const { numOrSizeSplits, axis } = args.attrs as {
    numOrSizeSplits: number | number[];
    axis: number | number[];
  };
  const ax = tf.util.parseAxisParam(axis, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((size) => {
    const shape = [...x.shape];
    shape[ax] = size;
    const piece = sliceCopy(backend, x, [...begin], shape);
    begin[ax] += size;
    return piece;
  });
};

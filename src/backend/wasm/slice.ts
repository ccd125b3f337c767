/** `Slice` on wasm as contiguous copies (slice-copy.ts says why). */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelArgs, KernelFunc } from './kernel-types.js';
import { sliceCopy } from './slice-copy.js';

export const fastSlice: KernelFunc = (args: KernelArgs) => {
  const backend = args.backend as BackendWasm;
  const x = args.inputs.x as tf.TensorInfo;
  const attrs = args.attrs as { begin: number | number[]; size: number | number[] };
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin, attrs.size);
  return sliceCopy(backend, x, begin, size);
};

/**
 * `Identity` on wasm without a copy. The original copies its input, and gradient tapes call it for every
 * pass-through (~1,100 times in a training step of the default model, 72 ms). Ours shares the data,
 * reference-counted with the backend's `incRef` (an undocumented method of tfjs-backend-wasm 4.22, the one
 * its own Reshape kernel uses): tensors are immutable, and variables get new data on assign rather than
 * being written into.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelArgs, KernelFunc } from './kernel-types.js';

/** Identity that shares its input's data; strings keep the original kernel. */
export function sharedIdentity(original: tf.KernelConfig): KernelFunc {
  return (args: KernelArgs) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return original.kernelFunc(args);
    (args.backend as BackendWasm).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

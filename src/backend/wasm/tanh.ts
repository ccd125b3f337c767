/**
 * `Tanh` on wasm. The original runs at ~16 ns per element (scalar libm), 15× slower than its `Sigmoid`
 * (XNNPACK, vectorised), and tanh is everywhere in this model (LSTM cells, attention energies, deep
 * output). Two replacements, one of which is registered (install.ts):
 *
 * - fastTanh: tanh(x) = 2·σ(2x) − 1 with the fast Sigmoid kernel and two JS passes (~1 ns per element);
 *   5–8 ns per value in all, kernel included (measured on [100, 256] … [1300, 1024]). Float32 error of
 *   the identity: < 2e-7 absolute.
 * - nativeTanh, with the native addon on a CPU with AVX2 and FMA: glibc's vectorised tanhf
 *   (native/vector_math.c), 0.8–1.5 ns per value (measured, kernel included); other dtypes go to fastTanh.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { type NativeBlas, runOnHeap } from '../native-blas.js';
import type { KernelArgs, KernelFunc } from './kernel-types.js';

/** tanh(x) = 2σ(2x) − 1, using the XNNPACK sigmoid. */
export const fastTanh: KernelFunc = (args: KernelArgs) => {
  const backend = args.backend as BackendWasm;
  const x = args.inputs.x as tf.TensorInfo;
  const sigmoid = tf.getKernel('Sigmoid', 'wasm');
  if (!sigmoid) throw new Error('wasm backend has no Sigmoid kernel');
  const doubled = backend.makeOutput(x.shape, 'float32');
  const d = backend.typedArrayFromHeap(doubled) as Float32Array;
  const xs = backend.typedArrayFromHeap(x) as Float32Array;
  for (let i = 0; i < xs.length; i++) d[i] = 2 * xs[i];
  const out = sigmoid.kernelFunc({ inputs: { x: doubled }, backend, attrs: {} }) as tf.TensorInfo;
  backend.disposeData(doubled.dataId);
  const o = backend.typedArrayFromHeap(out) as Float32Array;
  for (let i = 0; i < o.length; i++) o[i] = 2 * o[i] - 1;
  return out;
};

/** tanh of float32 values in the addon's libmvec loop; fastTanh for anything else. */
export function nativeTanh(blas: NativeBlas): KernelFunc {
  return (args: KernelArgs) => {
    const backend = args.backend as BackendWasm;
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype !== 'float32') return fastTanh(args);
    const [out] = runOnHeap(backend, [x.shape], (heap, at, [o]) =>
      blas.tanh(heap, tf.util.sizeFromShape(x.shape), at(x), o),
    );
    return out;
  };
}

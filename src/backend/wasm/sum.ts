/**
 * `Sum` on wasm as a matrix product. Over leading axes (every bias gradient: [N, V] → [V]) the original
 * transposes the whole input first (92 ms for [1280, 8000]); as ones[1, N] × x[N, V], 2.6 ms. Over
 * trailing axes (row sums of the loss's [1300, 8000] terms) it took 54 ms; as x × ones, a few.
 *
 * The product reads `x` under a second shape ([1, N, V] or [1, V, N], the same data) and its output gets
 * the reduced shape by a write to `TensorInfo.shape`: both rely on tfjs 4.22 treating a TensorInfo as
 * {data, shape, dtype} with the shape free to be reinterpreted, as its own Reshape kernel does.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelArgs, KernelFunc } from './kernel-types.js';

/**
 * Sum over the leading axes as ones[1, outer] × x[outer, inner], and over the trailing axes as
 * x[outer, inner] × ones[inner, 1]; other reductions use the original.
 */
export function fastSumOf(original: tf.KernelConfig): KernelFunc {
  return (args: KernelArgs) => {
    const backend = args.backend as BackendWasm;
    const x = args.inputs.x as tf.TensorInfo;
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    if (axes.length === 0 || axes.length === rank || x.dtype !== 'float32') return original.kernelFunc(args);
    const leading = axes.every((a, i) => a === i);
    const trailing = axes.every((a, i) => a === rank - axes.length + i);
    if (!leading && !trailing) return original.kernelFunc(args);
    const reduced = axes.reduce((p, a) => p * x.shape[a], 1);
    const keptShape = leading ? x.shape.slice(axes.length) : x.shape.slice(0, rank - axes.length);
    const kept = keptShape.reduce((p, d) => p * d, 1);
    if (reduced < 64) return original.kernelFunc(args); // not worth a matmul
    // Looked up at every call: the BatchMatMul that is registered (with the native addon, OpenBLAS's).
    const matMul = tf.getKernel('BatchMatMul', 'wasm');
    if (!matMul) return original.kernelFunc(args);
    const ones = backend.makeOutput(leading ? [1, 1, reduced] : [1, reduced, 1], 'float32');
    (backend.typedArrayFromHeap(ones) as Float32Array).fill(1);
    const x3 = { ...x, shape: leading ? [1, reduced, kept] : [1, kept, reduced] };
    const out = matMul.kernelFunc({
      inputs: leading ? { a: ones, b: x3 } : { a: x3, b: ones },
      backend,
      attrs: { transposeA: false, transposeB: false },
    }) as tf.TensorInfo;
    backend.disposeData(ones.dataId);
    out.shape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : keptShape;
    return out;
  };
}

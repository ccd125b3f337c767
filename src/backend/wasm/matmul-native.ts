/**
 * `BatchMatMul` on wasm in the optional native addon (`native/`, see native-blas.ts), on pointers into
 * the wasm heap; install.ts puts it in front of matmul-transpose.ts's XNNPACK path, which takes the
 * products this leaves (it returns null for them).
 *
 * OpenBLAS: products with at least NATIVE_MIN_ROWS rows, and every batched product, run in its sgemm,
 * transposes included (measured, one core: [256, 256] × [256, 8000] 9.6 ms vs 46 ms in XNNPACK). Without
 * the packed kernels below (a CPU without AVX2, or NMT_PACKED_GEMM=0), single rows stay in XNNPACK, faster
 * for a reused weight ([1, 256] × [256, 8000]: 0.53 ms vs 0.78 ms). With them, few-row products against a
 * matrix seen for the first time go to OpenBLAS (one row: sgemv), since XNNPACK repacks every new
 * right-hand matrix first (summing the rows of a new [1300, 8000], a bias gradient: 60 ms in XNNPACK,
 * 3.3 ms as OpenBLAS's gemv).
 *
 * Packed kernels: products with at most SMALL_GEMM_MAX_ROWS rows (a sentence's decoder step in greedy
 * search, a beam's five) whose right-hand matrix is used a second time — a weight — run in the addon's
 * packed AVX2 kernels (native/small_gemm.c): the matrix is packed once (float16 when that is exact, as for
 * a model saved in float16) and read at memory speed after that. Measured on one core:
 * [1, 256] × [256, 8000] 0.15 ms (XNNPACK 0.53), [5, 256] × [256, 8000] 0.33 ms (OpenBLAS 0.92).
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { type NativeBlas, type PackedMatrix, runOnHeap } from '../native-blas.js';
import { callOnFree, type OnFreed } from './dispose-hook.js';
import type { KernelArgs } from './kernel-types.js';

/** Products with fewer rows than this (and no batch) stay in XNNPACK; see the header. */
export const NATIVE_MIN_ROWS = 4;

/** Products with at most this many rows may use the packed kernels; see the header. */
export const SMALL_GEMM_MAX_ROWS = 12;

const product = (dims: number[]) => dims.reduce((p, d) => p * d, 1);

/**
 * `BatchMatMul` in OpenBLAS or the packed kernels, as a function that returns null for the products it
 * leaves to XNNPACK. `packed`: whether few-row products may use the packed kernels (the CPU has them and
 * NMT_PACKED_GEMM is not 0).
 */
export function nativeMatMul(blas: NativeBlas, packed: boolean): (args: KernelArgs) => tf.TensorInfo | null {
  /**
   * Right-hand matrices of few-row products, by their data: 'seen' after the first product, packed at
   * the second. A matrix used twice is a weight (or a per-batch one, like the decoder's concatenated
   * [W | U]); an activation used once never pays for packing. Entries go when their tensor is disposed
   * (dispose-hook.ts); the packed copy is freed by the garbage collector after that.
   */
  const packedCache = new WeakMap<object, PackedMatrix | 'seen'>();
  const dropPacked: OnFreed = (dataId) => packedCache.delete(dataId);

  function packedFor(backend: BackendWasm, b: tf.TensorInfo, K: number, N: number) {
    callOnFree(backend, dropPacked);
    const entry = packedCache.get(b.dataId);
    if (entry === undefined) {
      packedCache.set(b.dataId, 'seen');
      return null;
    }
    // A reshape shares its source's data: the packed copy only serves the same [K, N].
    if (entry !== 'seen') {
      const info = blas.packedInfo(entry);
      return info.k === K && info.n === N ? entry : null;
    }
    const bv = backend.typedArrayFromHeap(b);
    const matrix = blas.pack(bv.buffer, bv.byteOffset, K, N);
    packedCache.set(b.dataId, matrix);
    return matrix;
  }

  /** A few rows times a reused matrix in the packed kernels, or null. */
  function packedMatMul(
    backend: BackendWasm,
    a: tf.TensorInfo,
    b: tf.TensorInfo,
    outShape: number[],
  ): tf.TensorInfo | null {
    const [M, N] = outShape.slice(-2);
    const K = a.shape[a.shape.length - 1];
    const matrix = packedFor(backend, b, K, N);
    if (!matrix) return null;
    return runOnHeap(backend, [outShape], (heap, at, [c]) => blas.gemmPacked(heap, matrix, M, at(a), c))[0];
  }

  return (args: KernelArgs): tf.TensorInfo | null => {
    const backend = args.backend as BackendWasm;
    const a = args.inputs.a as tf.TensorInfo;
    const b = args.inputs.b as tf.TensorInfo;
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2)
      return null;
    const ra = a.shape.length;
    const rb = b.shape.length;
    const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const K = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
    const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    const kB = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
    // Mismatched or empty shapes: the original kernel raises the error or handles the edge case.
    if (K !== kB || M * N * K === 0) return null;
    const leadA = a.shape.slice(0, -2);
    const leadB = b.shape.slice(0, -2);
    const batchA = product(leadA);
    const batchB = product(leadB);
    let lead: number[];
    if (leadA.join() === leadB.join()) lead = leadA;
    else if (batchA === 1 && leadA.length <= leadB.length) lead = leadB;
    else if (batchB === 1 && leadB.length <= leadA.length) lead = leadA;
    else return null; // partial broadcasting ([2, 1, …] × [1, 3, …]): rare, left to the original
    const batch = product(lead);
    if (packed && batch === 1 && batchA === 1 && M <= SMALL_GEMM_MAX_ROWS && !transposeA && !transposeB) {
      const out = packedMatMul(backend, a, b, [...lead, M, N]);
      if (out) return out;
      // A matrix seen for the first time (a gradient summed by sum.ts, say): OpenBLAS.
    } else if (batch === 1 && M < NATIVE_MIN_ROWS) return null;
    // Strides between the products of a batch, in floats; 0 broadcasts a single matrix.
    const [strideA, strideB] = [batchA === 1 ? 0 : M * K, batchB === 1 ? 0 : K * N];
    const [out] = runOnHeap(backend, [[...lead, M, N]], (heap, at, [c]) =>
      blas.sgemm(heap, transposeA, transposeB, M, N, K, at(a), at(b), c, batch, strideA, strideB, M * N),
    );
    return out;
  };
}

/**
 * `BatchMatMul` and `_FusedMatMul` on wasm, kept on XNNPACK's fast path.
 *
 * With `transposeA`/`transposeB` tfjs-backend-wasm skips XNNPACK and runs 10–50× slower than the plain
 * product (measured: 1.8 vs 32 GFLOP/s on 512×512). Every matmul gradient transposes one side, so the
 * transposes are done explicitly first: a `Transpose` (cheap, O(n²)) followed by the untransposed,
 * XNNPACK-backed product (O(n³)). Transposes are cached per source tensor, so a weight used at every time
 * step is transposed once per pass.
 *
 * Batched products (batch > 1) are also slow there; BatchMatMul runs them as a loop of single products.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callOnFree, type OnFreed } from './dispose-hook.js';
import type { KernelArgs, KernelFunc } from './kernel-types.js';
import { sliceCopy } from './slice-copy.js';

/**
 * Transposes made for matmuls, by the data they were made from. In a backward pass through T time steps
 * the same weight matrix (e.g. the recurrent U, used in dx = dy Uᵀ) is transposed T times; with the
 * cache, once. Tensor data is immutable in TensorFlow.js (a variable's assign replaces its data), so a
 * cached transpose stays valid until its source is disposed, and it is freed then (dispose-hook.ts).
 */
const transposeCache = new WeakMap<object, Map<string, tf.TensorInfo>>();

/** Free a cached transpose together with its source. */
const dropTransposes: OnFreed = (dataId, dispose) => {
  const cached = transposeCache.get(dataId);
  if (!cached) return;
  transposeCache.delete(dataId);
  for (const t of cached.values()) dispose(t.dataId, true);
};

/**
 * Keyed by the data and the shape it is read as: reshapes and Identity share their source's data, so one
 * buffer can be [B, S, 2H] in one product and [B·S, 2H] in the next, with different transposes (keyed by
 * the data alone, a cached [B, 2H, S] came back for the 2-D one: found by training with
 * NMT_NATIVE_BLAS=0).
 */
function cachedTranspose(x: tf.TensorInfo, backend: BackendWasm): tf.TensorInfo {
  callOnFree(backend, dropTransposes);
  let byShape = transposeCache.get(x.dataId);
  if (!byShape) transposeCache.set(x.dataId, (byShape = new Map()));
  const key = x.shape.join(',');
  const hit = byShape.get(key);
  if (hit) return hit;
  const t = transposeLastTwo(x, backend);
  byShape.set(key, t);
  return t;
}

/** Transpose the last two axes of `x` with the backend's own Transpose kernel. */
function transposeLastTwo(x: tf.TensorInfo, backend: BackendWasm): tf.TensorInfo {
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!transpose) throw new Error('wasm backend has no Transpose kernel');
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
}

/**
 * A batched product [n, M, K] × [n, K, N] with n > 1 skips XNNPACK in tfjs-backend-wasm too (measured:
 * [2, 24, 256] × [2, 256, 1024] took 11 ms, the same 2-D product 0.6 ms). Run it as n single products
 * when each is large enough for that to pay; small ones (attention over a few source words) stay batched.
 */
function batchedAsLoop(args: KernelArgs, original: tf.KernelConfig): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as BackendWasm;
  const a = args.inputs.a as tf.TensorInfo;
  const b = args.inputs.b as tf.TensorInfo;
  const transposeA = (args.attrs as { transposeA: boolean }).transposeA;
  const transposeB = (args.attrs as { transposeB: boolean }).transposeB;
  if (transposeA || transposeB || a.shape.length !== 3 || b.shape.length !== 3)
    return original.kernelFunc(args);
  const [n, M, K] = a.shape;
  const N = b.shape[2];
  if (n < 2 || b.shape[0] !== n || M * K * N < 16384) return original.kernelFunc(args);
  const out = backend.makeOutput([n, M, N], 'float32');
  for (let i = 0; i < n; i++) {
    const ai = sliceCopy(backend, a, [i, 0, 0], [1, M, K]);
    const bi = sliceCopy(backend, b, [i, 0, 0], [1, K, N]);
    const oi = original.kernelFunc({ ...args, inputs: { a: ai, b: bi } }) as tf.TensorInfo;
    // Views are taken after every allocation: an allocation can grow (and move) the wasm heap.
    (backend.typedArrayFromHeap(out) as Float32Array).set(
      backend.typedArrayFromHeap(oi) as Float32Array,
      i * M * N,
    );
    backend.disposeData(ai.dataId);
    backend.disposeData(bi.dataId);
    backend.disposeData(oi.dataId);
  }
  return out;
}

/**
 * The original matmul kernel behind explicit, cached transposes; for BatchMatMul also with batches run as
 * a loop of single products.
 */
export function withExplicitTranspose(original: tf.KernelConfig): KernelFunc {
  const product = (args: KernelArgs) =>
    original.kernelName === 'BatchMatMul' ? batchedAsLoop(args, original) : original.kernelFunc(args);
  return (args: KernelArgs) => {
    const { inputs, attrs } = args;
    const backend = args.backend as BackendWasm;
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return product(args);
    const a = inputs.a as tf.TensorInfo;
    const b = inputs.b as tf.TensorInfo;
    const at = transposeA ? cachedTranspose(a, backend) : a;
    const bt = transposeB ? cachedTranspose(b, backend) : b;
    return product({
      inputs: { ...inputs, a: at, b: bt },
      backend,
      attrs: { ...attrs, transposeA: false, transposeB: false },
    });
  };
}

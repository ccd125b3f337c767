/**
 * Kernel fixes for the TensorFlow.js `wasm` backend, kept in one place.
 *
 * 1. `UnsortedSegmentSum` is not implemented by tfjs-backend-wasm 4.22, yet it is the gradient of
 *    `tf.gather` (embedding look-ups): without it, training on wasm fails with
 *    "Kernel 'UnsortedSegmentSum' not registered for backend 'wasm'". We register a plain JavaScript
 *    implementation: the sizes involved (tokens in a batch × embedding size) are small, and a scatter-add
 *    is memory-bound, so JS is within a small factor of a native kernel here.
 * 2. `BatchMatMul` and `_FusedMatMul` with `transposeA`/`transposeB` skip XNNPACK in tfjs-backend-wasm
 *    and run 10–50× slower than the plain product (measured: 1.8 vs 32 GFLOP/s on 512×512). Every
 *    matmul gradient transposes one side, so we wrap both kernels: an explicit `Transpose` (cheap,
 *    O(n²)) followed by the untransposed, XNNPACK-backed product (O(n³)).
 *
 *    Batched products (batch > 1) are also slow there; they run as a loop of single products. Transposes
 *    are cached per source tensor, so a weight used at every time step is transposed once per pass.
 * 3. `Tanh` on wasm runs at ~16 ns per element (scalar libm), 15× slower than its `Sigmoid` (XNNPACK,
 *    vectorised), and tanh is everywhere in this model (LSTM cells, attention energies, deep output).
 *    We compute tanh(x) = 2·σ(2x) − 1 with the fast Sigmoid kernel and two JS passes (~1 ns per element).
 *    Float32 error of the identity: < 2e-7 absolute.
 *
 * 4. `Slice` and `Unpack` copy element by element (measured: 2.8 ms to slice one contiguous [64, 1024]
 *    row block, 0.7 ms per output of an unstack); ours copy contiguous runs with TypedArray.set.
 * 5. `Sum` over leading axes (every bias gradient: [N, V] → [V]) transposes the whole input first
 *    (92 ms for [1280, 8000]); ours is a ones-vector matmul (2.6 ms). Over trailing axes (row sums of
 *    the loss's [1300, 8000] terms) it took 54 ms; as x × ones, a few. `SplitV` copies element by element
 *    too (2.3 ms for a [100, 1024] gate split in a training step); ours copies contiguous runs.
 *
 * 6. With the optional native addon (`native/`, see native-blas.ts), `BatchMatMul` with at least
 *    NATIVE_MIN_ROWS rows, and every batched product, runs in OpenBLAS's sgemm on pointers into the wasm
 *    heap, transposes included (measured, one core: [256, 256] × [256, 8000] 9.6 ms vs 46 ms in
 *    XNNPACK). Without the packed kernels of point 7 (a CPU without AVX2, or NMT_PACKED_GEMM=0), single
 *    rows stay in XNNPACK, faster for a reused weight ([1, 256] × [256, 8000]: 0.53 ms vs 0.78 ms). With
 *    them, few-row products against a matrix seen for the first time go to OpenBLAS (one row: sgemv),
 *    since XNNPACK repacks every new right-hand matrix first (summing the rows of a new [1300, 8000], a
 *    bias gradient: 60 ms in XNNPACK, 3.3 ms as OpenBLAS's gemv).
 * 7. Products with at most SMALL_GEMM_MAX_ROWS rows (a sentence's decoder step in greedy search, a
 *    beam's five) whose right-hand matrix is used a second time — a weight — run in the addon's packed
 *    AVX2 kernels (native/small_gemm.c): the matrix is packed once (float16 when that is exact, as for a
 *    model saved in float16) and read at memory speed after that. Measured on one core:
 *    [1, 256] × [256, 8000] 0.15 ms (XNNPACK 0.53), [5, 256] × [256, 8000] 0.33 ms (OpenBLAS 0.92).
 * 8. `Identity` copies its input; gradient tapes call it for every pass-through (~1,100 times in a
 *    training step of the default model, 72 ms). Ours shares the data (reference-counted, as `Reshape`
 *    does): tensors are immutable, and variables get new data on assign rather than being written into.
 *
 * Tests in test/backend.test.ts compare every kernel here with the `cpu` backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { FUSED_CELL_KERNELS } from './fused-cells.js';
import { FUSED_SOFTMAX_KERNELS } from './fused-softmax.js';
import { type NativeBlas, type PackedMatrix, runOnHeap } from './native-blas.js';

type KernelFunc = tf.KernelConfig['kernelFunc'];
type KernelArgs = Parameters<KernelFunc>[0];

let installed = false;

/**
 * Transposes made for matmuls, by the data they were made from. In a backward pass through T time steps
 * the same weight matrix (e.g. the recurrent U, used in dx = dy Uᵀ) is transposed T times; with the
 * cache, once. Tensor data is immutable in TensorFlow.js (a variable's assign replaces its data), so a
 * cached transpose stays valid until its source is disposed, and it is freed then (see
 * installDisposeHook).
 */
const transposeCache = new WeakMap<object, Map<string, tf.TensorInfo>>();

/**
 * Keyed by the data and the shape it is read as: reshapes and Identity share their source's data, so one
 * buffer can be [B, S, 2H] in one product and [B·S, 2H] in the next, with different transposes (keyed by
 * the data alone, a cached [B, 2H, S] came back for the 2-D one: found by training with
 * NMT_NATIVE_BLAS=0).
 */
function cachedTranspose(x: tf.TensorInfo, backend: BackendWasm): tf.TensorInfo {
  installDisposeHook(backend);
  let byShape = transposeCache.get(x.dataId);
  if (!byShape) transposeCache.set(x.dataId, (byShape = new Map()));
  const key = x.shape.join(',');
  const hit = byShape.get(key);
  if (hit) return hit;
  const t = transposeLastTwo(x, backend);
  byShape.set(key, t);
  return t;
}

const hooked = new WeakSet<BackendWasm>();

/** Free a cached transpose together with its source. */
function installDisposeHook(backend: BackendWasm): void {
  if (hooked.has(backend)) return;
  hooked.add(backend);
  const dispose = backend.disposeData.bind(backend);
  backend.disposeData = (dataId: object, force?: boolean): boolean => {
    const freed = dispose(dataId, force);
    if (freed || !backend.dataIdMap.has(dataId)) packedCache.delete(dataId);
    const cached = transposeCache.get(dataId);
    if (cached && (freed || !backend.dataIdMap.has(dataId))) {
      transposeCache.delete(dataId);
      for (const t of cached.values()) dispose(t.dataId, true);
    }
    return freed;
  };
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

/** Wrap a matmul kernel so that transposes are done explicitly before the fast untransposed product. */
function withExplicitTranspose(kernelName: string): void {
  const original = tf.getKernel(kernelName, 'wasm');
  if (!original) return;
  const fast: KernelFunc = (args: KernelArgs) => {
    const { inputs, attrs } = args;
    const backend = args.backend as BackendWasm;
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB)
      return kernelName === 'BatchMatMul' ? batchedAsLoop(args, original) : original.kernelFunc(args);
    const a = inputs.a as tf.TensorInfo;
    const b = inputs.b as tf.TensorInfo;
    const at = transposeA ? cachedTranspose(a, backend) : a;
    const bt = transposeB ? cachedTranspose(b, backend) : b;
    const plainArgs = {
      inputs: { ...inputs, a: at, b: bt },
      backend,
      attrs: { ...attrs, transposeA: false, transposeB: false },
    };
    return kernelName === 'BatchMatMul' ? batchedAsLoop(plainArgs, original) : original.kernelFunc(plainArgs);
  };
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ ...original, kernelFunc: fast });
}

/** out[segmentIds[i]] += x[i] over the first axis; the gradient of gather along axis 0. */
const unsortedSegmentSum: KernelFunc = (args: KernelArgs) => {
  const backend = args.backend as BackendWasm;
  const x = args.inputs.x as tf.TensorInfo;
  const segmentIds = args.inputs.segmentIds as tf.TensorInfo;
  const { numSegments } = args.attrs as { numSegments: number };
  if (x.dtype !== 'float32') throw new Error(`UnsortedSegmentSum on wasm supports float32, got ${x.dtype}`);
  const rows = segmentIds.shape.reduce((p, d) => p * d, 1);
  const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  // Allocate before taking views: allocation may grow the wasm heap, which detaches older views.
  const out = backend.makeOutput(outShape, 'float32');
  const o = backend.typedArrayFromHeap(out) as Float32Array;
  const xs = backend.typedArrayFromHeap(x) as Float32Array;
  const ids = backend.typedArrayFromHeap(segmentIds) as Int32Array;
  const width = rows === 0 ? 0 : xs.length / rows;
  o.fill(0);
  for (let r = 0; r < rows; r++) {
    const seg = ids[r];
    if (seg < 0 || seg >= numSegments) continue; // TensorFlow drops out-of-range ids
    const src = r * width;
    const dst = seg * width;
    for (let k = 0; k < width; k++) o[dst + k] += xs[src + k];
  }
  return out;
};

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

/** Copy the box [begin, begin + size) of `x` into a new tensor, one contiguous inner run at a time. */
function sliceCopy(backend: BackendWasm, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  const rank = x.shape.length;
  const out = backend.makeOutput(size, x.dtype);
  const o = backend.typedArrayFromHeap(out);
  const xs = backend.typedArrayFromHeap(x);
  const strides = new Array<number>(rank);
  let acc = 1;
  for (let d = rank - 1; d >= 0; d--) {
    strides[d] = acc;
    acc *= x.shape[d];
  }
  // Merge trailing axes that are copied whole into one run.
  let runAxis = rank - 1;
  while (runAxis > 0 && begin[runAxis] === 0 && size[runAxis] === x.shape[runAxis]) runAxis--;
  const run = size.slice(runAxis).reduce((a, b) => a * b, 1);
  const outer = size.slice(0, runAxis).reduce((a, b) => a * b, 1);
  const idx = new Array<number>(runAxis).fill(0);
  for (let r = 0; r < outer; r++) {
    let src = begin[runAxis] * strides[runAxis];
    for (let d = 0; d < runAxis; d++) src += (begin[d] + idx[d]) * strides[d];
    o.set(xs.subarray(src, src + run), r * run);
    for (let d = runAxis - 1; d >= 0; d--) {
      if (++idx[d] < size[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

const fastSlice: KernelFunc = (args: KernelArgs) => {
  const backend = args.backend as BackendWasm;
  const x = args.inputs.x as tf.TensorInfo;
  const attrs = args.attrs as { begin: number | number[]; size: number | number[] };
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin, attrs.size);
  return sliceCopy(backend, x, begin, size);
};

const fastUnpack: KernelFunc = (args: KernelArgs) => {
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

/**
 * Sum over the leading axes as ones[1, outer] × x[outer, inner] (every bias gradient), and over the
 * trailing axes as x[outer, inner] × ones[inner, 1] (row sums, e.g. of the loss's [N, V] terms); other
 * reductions use the original.
 */
function fastSumOf(original: tf.KernelConfig): KernelFunc {
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

/** Identity without a copy (point 8 of the header); strings keep the original kernel. */
function sharedIdentity(original: tf.KernelConfig): KernelFunc {
  return (args: KernelArgs) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return original.kernelFunc(args);
    (args.backend as BackendWasm).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/** SplitV as one contiguous copy per piece (the original copies element by element, like Slice). */
const fastSplitV: KernelFunc = (args: KernelArgs) => {
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

/** Replace a registered wasm kernel, keeping its other fields (setup, disposal). */
function replaceKernel(name: string, make: (original: tf.KernelConfig) => KernelFunc): void {
  const original = tf.getKernel(name, 'wasm');
  if (!original) return;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...original, kernelFunc: make(original) });
}

/** Products with fewer rows than this (and no batch) stay in XNNPACK; see point 6 of the header. */
export const NATIVE_MIN_ROWS = 4;

const product = (dims: number[]) => dims.reduce((p, d) => p * d, 1);

/** Products with at most this many rows may use the packed kernels; see point 7 of the header. */
export const SMALL_GEMM_MAX_ROWS = 12;

/**
 * Right-hand matrices of few-row products, by their data: 'seen' after the first product, packed at
 * the second. A matrix used twice is a weight (or a per-batch one, like the decoder's concatenated
 * [W | U]); an activation used once never pays for packing. Entries go when their tensor is disposed
 * (installDisposeHook); the packed copy is freed by the garbage collector after that.
 */
const packedCache = new WeakMap<object, PackedMatrix | 'seen'>();

function packedFor(blas: NativeBlas, backend: BackendWasm, b: tf.TensorInfo, K: number, N: number) {
  installDisposeHook(backend);
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
  const packed = blas.pack(bv.buffer, bv.byteOffset, K, N);
  packedCache.set(b.dataId, packed);
  return packed;
}

/** A few rows times a reused matrix in the packed kernels (point 7), or null. */
function packedMatMul(
  blas: NativeBlas,
  backend: BackendWasm,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  outShape: number[],
): tf.TensorInfo | null {
  const [M, N] = outShape.slice(-2);
  const K = a.shape[a.shape.length - 1];
  const packed = packedFor(blas, backend, b, K, N);
  if (!packed) return null;
  return runOnHeap(backend, [outShape], (heap, at, [c]) => blas.gemmPacked(heap, packed, M, at(a), c))[0];
}

/** `BatchMatMul` in OpenBLAS or the packed kernels, or null to leave the product to the previous kernel. */
function nativeBatchMatMul(blas: NativeBlas, args: KernelArgs): tf.TensorInfo | null {
  const backend = args.backend as BackendWasm;
  const a = args.inputs.a as tf.TensorInfo;
  const b = args.inputs.b as tf.TensorInfo;
  const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return null;
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
  if (smallGemm && batch === 1 && batchA === 1 && M <= SMALL_GEMM_MAX_ROWS && !transposeA && !transposeB) {
    const out = packedMatMul(blas, backend, a, b, [...lead, M, N]);
    if (out) return out;
    // A matrix seen for the first time (a gradient summed by fastSum, say): OpenBLAS (point 6).
  } else if (batch === 1 && M < NATIVE_MIN_ROWS) return null;
  // Strides between the products of a batch, in floats; 0 broadcasts a single matrix.
  const [strideA, strideB] = [batchA === 1 ? 0 : M * K, batchB === 1 ? 0 : K * N];
  const [out] = runOnHeap(backend, [[...lead, M, N]], (heap, at, [c]) =>
    blas.sgemm(heap, transposeA, transposeB, M, N, K, at(a), at(b), c, batch, strideA, strideB, M * N),
  );
  return out;
}

let nativeInstalled = false;
let smallGemm = false;

/**
 * Route `BatchMatMul` to OpenBLAS and the packed kernels (points 6 and 7 of the header); call after
 * installWasmKernelFixes. `packed: false` leaves few-row products as before (for comparisons).
 */
export function installNativeMatMul(blas: NativeBlas, packed = true): void {
  smallGemm = packed && blas.smallGemmAvailable();
  if (nativeInstalled) return;
  nativeInstalled = true;
  replaceKernel(
    'BatchMatMul',
    (previous) => (args) => nativeBatchMatMul(blas, args) ?? previous.kernelFunc(args),
  );
}

/** Install the fixes once; safe to call repeatedly. Call after the wasm backend is registered. */
export function installWasmKernelFixes(): void {
  if (installed) return;
  installed = true;
  withExplicitTranspose('BatchMatMul');
  withExplicitTranspose('_FusedMatMul');
  replaceKernel('Tanh', () => fastTanh);
  replaceKernel('Slice', () => fastSlice);
  replaceKernel('Unpack', () => fastUnpack);
  replaceKernel('Sum', fastSumOf);
  replaceKernel('SplitV', () => fastSplitV);
  replaceKernel('Identity', sharedIdentity);
  for (const kernel of [...FUSED_CELL_KERNELS, ...FUSED_SOFTMAX_KERNELS]) tf.registerKernel(kernel);
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm')) {
    tf.registerKernel({
      kernelName: 'UnsortedSegmentSum',
      backendName: 'wasm',
      kernelFunc: unsortedSegmentSum,
    });
  }
}

/**
 * The float32 values of `t` for copying out at once: on wasm a view into the backend's heap (no copy;
 * valid only until the next allocation, which can move the heap), elsewhere `dataSync()`. Training reads
 * all 6.1M weights or gradients per step this way: 2–7 ms instead of 16–28 ms through `dataSync`'s copies.
 */
export function float32Values(t: tf.Tensor): Float32Array {
  const backend = tf.engine().backend as unknown as Partial<BackendWasm>;
  if (tf.getBackend() === 'wasm' && backend.typedArrayFromHeap && t.dtype === 'float32')
    return backend.typedArrayFromHeap(t as unknown as tf.TensorInfo) as Float32Array;
  return t.dataSync() as Float32Array;
}

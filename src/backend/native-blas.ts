/**
 * The optional native matmul for the wasm backend: `native/` (package `nmt-blas`) is a small Node-API
 * addon that runs OpenBLAS's sgemm on pointers into the wasm heap. It builds at `npm ci` when a C
 * compiler and OpenBLAS's headers are present (Debian: `apt install libopenblas-dev`); elsewhere its
 * build fails, npm skips the optional package, and matmuls stay in XNNPACK.
 *
 * NMT_NATIVE_BLAS=0 turns it off; NMT_BLAS_THREADS (default 1) sets OpenBLAS's thread count. One thread
 * is the right default here: training and serving already run one worker thread per core.
 */
import { createRequire } from 'node:module';
import type * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** A matrix packed by the addon (a native external: freed when garbage-collected). */
export type PackedMatrix = { readonly __packedMatrix: unique symbol };

/** The training cells' calls (native/cells.c): byte offsets of the arrays, -1 for an absent optional one. */
type LstmCall = (heap: ArrayBufferLike, B: number, H: number, ...offsets: number[]) => void;
type GruCall = (
  heap: ArrayBufferLike,
  B: number,
  H: number,
  width: number,
  offset: number,
  ...offsets: number[]
) => void;

export interface NativeBlas {
  /** C_i = op(A_i) op(B_i) for i < batch, row-major; offsets in bytes, strides in floats (0 broadcasts). */
  sgemm(
    heap: ArrayBufferLike,
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    aOffset: number,
    bOffset: number,
    cOffset: number,
    batch: number,
    strideA: number,
    strideB: number,
    strideC: number,
  ): void;
  /** True when this CPU has what the few-row kernels need (AVX2, FMA, F16C). */
  smallGemmAvailable(): boolean;
  /** Copy B [K×N] (row-major, at `bOffset` bytes in the heap) into panels, float16 when that is exact. */
  pack(heap: ArrayBufferLike, bOffset: number, K: number, N: number): PackedMatrix;
  packedInfo(packed: PackedMatrix): { k: number; n: number; dtype: 'float16' | 'float32'; bytes: number };
  /** C[M×N] = A[M×K] · B for a packed B; offsets in bytes. */
  gemmPacked(heap: ArrayBufferLike, packed: PackedMatrix, M: number, aOffset: number, cOffset: number): void;
  /**
   * Label-smoothed cross-entropy of logits [N×V] and its gradient (native/softmax_xent.c); offsets in
   * bytes; throws naming the row whose target is outside [0, V).
   */
  softmaxXent(
    heap: ArrayBufferLike,
    N: number,
    V: number,
    logitsOffset: number,
    targetsOffset: number,
    weightsOffset: number,
    lossOffset: number,
    gradOffset: number,
    smoothing: number,
  ): void;
  /**
   * Search's row statistics of logits [B×V] (native/softmax_xent.c): stats [3B] gets each row's (max,
   * index of the max, log Σ exp), max and index over the entries other than the row's token at
   * `skipOffset` (an int32 [B] array, −1 none; offset −1: no array); offsets in bytes.
   */
  rowStats(
    heap: ArrayBufferLike,
    B: number,
    V: number,
    logitsOffset: number,
    skipOffset: number,
    stats: Float32Array,
  ): void;
  /** out = tanh(x) over n float32 values (libmvec); offsets in bytes. */
  tanh(heap: ArrayBufferLike, n: number, xOffset: number, outOffset: number): void;
  /** out[i] += x[i] over Float32Arrays of one length (native/add_into.c). */
  addInto(out: Float32Array, x: Float32Array): void;
  /** Training cells (native/cells.c). */
  lstmForward: LstmCall;
  lstmBackward: LstmCall;
  gruForward: GruCall;
  gruBackward: GruCall;
  setThreads(n: number): void;
  threads(): number;
  /** OpenBLAS's build description, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64". */
  config(): string;
}

export type NativeBlasStatus =
  { blas: NativeBlas; description: string } | { blas?: undefined; reason: string };

let status: NativeBlasStatus | undefined;

/** Loads the addon once per thread; the status says why it is not used when it is not. */
export function loadNativeBlas(): NativeBlasStatus {
  if (status) return status;
  if (process.env.NMT_NATIVE_BLAS === '0') {
    status = { reason: 'turned off by NMT_NATIVE_BLAS=0' };
    return status;
  }
  try {
    const addon = createRequire(import.meta.url)('nmt-blas') as NativeBlas;
    // A plain object over the addon's (read-only) functions, so a test can count the calls.
    const blas: NativeBlas = {
      sgemm: addon.sgemm,
      smallGemmAvailable: addon.smallGemmAvailable,
      pack: addon.pack,
      packedInfo: addon.packedInfo,
      gemmPacked: addon.gemmPacked,
      softmaxXent: addon.softmaxXent,
      rowStats: addon.rowStats,
      tanh: addon.tanh,
      addInto: addon.addInto,
      lstmForward: addon.lstmForward,
      lstmBackward: addon.lstmBackward,
      gruForward: addon.gruForward,
      gruBackward: addon.gruBackward,
      setThreads: addon.setThreads,
      threads: addon.threads,
      config: addon.config,
    };
    const threads = Number(process.env.NMT_BLAS_THREADS ?? 1);
    if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
      throw new Error(
        `NMT_BLAS_THREADS must be an integer from 1 to 64, got "${process.env.NMT_BLAS_THREADS}"`,
      );
    }
    blas.setThreads(threads);
    // "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64": name, version, and
    // the kernel set chosen for this CPU (the one word that is not an upper-case build flag).
    const [name, version, ...flags] = blas.config().split(' ');
    const core = flags.find((w) => !/^[A-Z0-9_]+(=\d+)?$/.test(w));
    status = {
      blas,
      description: `${name} ${version}${core ? ` ${core}` : ''}, ${threads} thread${threads === 1 ? '' : 's'}`,
    };
  } catch (err) {
    const message = (err as Error).message.split('\n')[0];
    status = {
      reason: /Cannot find (module|package) 'nmt-blas'/.test(message)
        ? 'the optional native addon nmt-blas is not installed (it needs libopenblas-dev at npm ci)'
        : message,
    };
  }
  return status;
}

/** Byte offset of a tensor in the wasm heap, -1 for an absent (optional) one: the addon's convention. */
export type HeapOffsets = (t: tf.TensorInfo | undefined) => number;

/**
 * The way every addon call on the wasm heap runs: allocate the outputs, then pass the heap and byte
 * offsets to `call`. The offsets are taken after all allocations, which can grow (and move) the heap.
 */
export function runOnHeap(
  backend: BackendWasm,
  outShapes: number[][],
  call: (heap: ArrayBufferLike, at: HeapOffsets, outs: number[]) => void,
): tf.TensorInfo[] {
  const outs = outShapes.map((shape) => backend.makeOutput(shape, 'float32'));
  const at: HeapOffsets = (t) => (t ? backend.typedArrayFromHeap(t).byteOffset : -1);
  call(backend.typedArrayFromHeap(outs[0]).buffer, at, outs.map(at));
  return outs;
}

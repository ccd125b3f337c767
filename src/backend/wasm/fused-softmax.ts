/**
 * Log-softmax over the vocabulary, fused for search on the wasm backend.
 *
 * Why: one search step turns logits [B, V] (V = 8000) into log-probabilities with six kernels (max, sub,
 * exp, sum, log, sub), then greedy search takes an argmax and a max, beam search adds the beam scores:
 * eight passes over B × V numbers, and the wasm backend's exp is scalar (measured 6.6 ns per element).
 * For a batch of 64 sentences that was half of all kernel time. These kernels make one pass for the row
 * maximum and one for the sum of exponentials, and they skip the exponential where x < max − 30: such a
 * term is below e^−30 ≈ 1e−13 of the largest one, so all of them together move log Σ exp by less than
 * V · 1e−13 (float32 cannot represent the change).
 *
 * The row statistics (maximum, its index, log Σ exp) come from the native addon when it is there
 * (native/softmax_xent.c: AVX2 and glibc's vector expf) and from `rowStats` below otherwise: measured
 * ~100–200 µs per 8,000-entry row in JavaScript, which greedy search pays at every output step.
 *
 * NmtGreedyPick        logits [B, V], optional banned [B] int32 (a token each row may not pick, −1 none)
 *                                               → ids [B] (int32, first maximum), logProbs [B]
 * NmtLogSoftmaxAdd     logits [B, V], add [B]   → log softmax(logits) + add, per row, [B, V]
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelArgs, KernelFunc } from './kernel-types.js';
import type { NativeBlas } from '../native-blas.js';

export const GREEDY_PICK = 'NmtGreedyPick';
export const LOG_SOFTMAX_ADD = 'NmtLogSoftmaxAdd';

/** Terms this far below the row maximum are left out of Σ exp (see the header). */
const NEGLIGIBLE = 30;

/**
 * Row maximum, its first index, and log Σ_j exp(x_j) of row `r` of `x` (width V). With `skip` ≥ 0, max and
 * argMax are over the other entries (the best token that is not `skip`); log Σ exp always covers all.
 */
export function rowStats(
  x: Float32Array,
  r: number,
  V: number,
  skip = -1,
): { max: number; argMax: number; logSumExp: number } {
  const start = r * V;
  let top = -Infinity;
  let max = -Infinity;
  let argMax = 0;
  for (let j = 0; j < V; j++) {
    const v = x[start + j];
    if (v > top) top = v;
    if (v > max && j !== skip) {
      max = v;
      argMax = j;
    }
  }
  const floor = top - NEGLIGIBLE;
  let sum = 0;
  for (let j = 0; j < V; j++) {
    const v = x[start + j];
    if (v > floor) sum += Math.exp(v - top);
  }
  return { max, argMax, logSumExp: top + Math.log(sum) };
}

/**
 * The statistics of every row of `logits` [B, V], 3 floats a row: (max, index of the max, log Σ exp), the
 * max and its index over the entries other than the row's `banned` token (−1 or absent: none).
 */
export type AllRowStats = (
  backend: BackendWasm,
  logits: tf.TensorInfo,
  banned?: tf.TensorInfo,
) => Float32Array;

/** AllRowStats in JavaScript (rowStats row by row). */
export const rowStatsInJs: AllRowStats = (backend, logits, banned) => {
  const [B, V] = logits.shape;
  const x = backend.typedArrayFromHeap(logits) as Float32Array;
  const skip = banned ? (backend.typedArrayFromHeap(banned) as Int32Array) : undefined;
  const out = new Float32Array(3 * B);
  for (let r = 0; r < B; r++) {
    const s = rowStats(x, r, V, skip ? skip[r] : -1);
    out.set([s.max, s.argMax, s.logSumExp], 3 * r);
  }
  return out;
};

/** AllRowStats in the native addon (native/softmax_xent.c, softmax_row_stats). */
export function rowStatsInNative(blas: NativeBlas): AllRowStats {
  return (backend, logits, banned) => {
    const [B, V] = logits.shape;
    const out = new Float32Array(3 * B);
    const x = backend.typedArrayFromHeap(logits);
    const skip = banned ? backend.typedArrayFromHeap(banned).byteOffset : -1;
    blas.rowStats(x.buffer, B, V, x.byteOffset, skip, out);
    return out;
  };
}

/** A kernel's optional `banned` input. */
export function bannedInput(args: KernelArgs): tf.TensorInfo | undefined {
  return args.inputs.banned as tf.TensorInfo | undefined;
}

/** Both kernels, for install.ts to register, on the given row statistics. */
export function fusedSoftmaxKernels(stats: AllRowStats): tf.KernelConfig[] {
  const greedyPick: KernelFunc = (args: KernelArgs) => {
    const backend = args.backend as BackendWasm;
    const logits = args.inputs.logits as tf.TensorInfo;
    const B = logits.shape[0];
    const ids = backend.makeOutput([B], 'int32');
    const logProbs = backend.makeOutput([B], 'float32');
    const st = stats(backend, logits, bannedInput(args));
    const id = backend.typedArrayFromHeap(ids) as Int32Array;
    const lp = backend.typedArrayFromHeap(logProbs) as Float32Array;
    for (let r = 0; r < B; r++) {
      id[r] = st[3 * r + 1];
      lp[r] = st[3 * r] - st[3 * r + 2];
    }
    return [ids, logProbs];
  };

  const logSoftmaxAdd: KernelFunc = (args: KernelArgs) => {
    const backend = args.backend as BackendWasm;
    const logits = args.inputs.logits as tf.TensorInfo;
    const add = args.inputs.add as tf.TensorInfo;
    const [B, V] = logits.shape;
    const out = backend.makeOutput([B, V], 'float32');
    const st = stats(backend, logits);
    const x = backend.typedArrayFromHeap(logits) as Float32Array;
    const a = backend.typedArrayFromHeap(add) as Float32Array;
    const o = backend.typedArrayFromHeap(out) as Float32Array;
    for (let r = 0; r < B; r++) {
      const shift = a[r] - st[3 * r + 2];
      const start = r * V;
      for (let j = 0; j < V; j++) o[start + j] = x[start + j] + shift;
    }
    return out;
  };

  return [
    { kernelName: GREEDY_PICK, backendName: 'wasm', kernelFunc: greedyPick },
    { kernelName: LOG_SOFTMAX_ADD, backendName: 'wasm', kernelFunc: logSoftmaxAdd },
  ];
}

/**
 * The one installer of this project's kernels on the TensorFlow.js `wasm` backend: replacements for slow
 * or missing wasm kernels (one file each in wasm/, with the measurements that justify it) and the kernels
 * of the optional native addon (native-blas.ts). Each kernel is registered once, here, in this order:
 *
 *  1. BatchMatMul: the addon's OpenBLAS and packed kernels (wasm/matmul-native.ts) when it is installed,
 *     then, for the products they leave, XNNPACK behind explicit cached transposes, batches as a loop of
 *     single products (wasm/matmul-transpose.ts).
 *  2. _FusedMatMul: XNNPACK behind explicit cached transposes (wasm/matmul-transpose.ts).
 *  3. Tanh: the addon's vectorised tanhf with AVX2, else 2σ(2x) − 1 on XNNPACK's sigmoid (wasm/tanh.ts).
 *  4. Slice, Unpack, SplitV: contiguous copies (wasm/slice.ts, unpack.ts, split-v.ts).
 *  5. Sum: over leading or trailing axes as a product with ones, through the BatchMatMul of point 1
 *     (wasm/sum.ts).
 *  6. Identity: shares its input's data (wasm/identity.ts).
 *  7. New kernels: the fused JavaScript LSTM/GRU steps, log-softmaxes and copy mixtures for inference
 *     (wasm/fused-cells.ts, fused-softmax.ts, fused-copy.ts); UnsortedSegmentSum, which tfjs-backend-wasm lacks
 *     (wasm/unsorted-segment-sum.ts); with the addon and AVX2, the native LSTM/GRU steps with their
 *     gradients (wasm/native-cells.ts) and the training loss (wasm/softmax-xent.ts).
 *
 * A replacement wraps only the original tfjs kernel (keeping its other fields: setup, disposal) and falls
 * back to it for the cases it does not take. No kernel captures another one at registration: those that
 * call another (Sum the BatchMatMul, fastTanh the Sigmoid, the matmuls the Transpose) look it up when they
 * run, so every call reaches the kernels registered here, whatever the order. The private TensorFlow.js internals they rely on (tfjs 4.22, which
 * package.json pins; select.ts warns when another version is installed) are each used in one file:
 * wasm/dispose-hook.ts (disposeData, dataIdMap), wasm/identity.ts (incRef), wasm/unpack.ts and
 * wasm/sum.ts (TensorInfo shapes); and the facade, kernels.ts, reads the engine's gradientDepth. Tests in
 * test/backend.test.ts compare every kernel with the `cpu` backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NativeBlas, loadNativeBlas } from './native-blas.js';
import { FUSED_CELL_KERNELS } from './wasm/fused-cells.js';
import { fusedCopyKernels } from './wasm/fused-copy.js';
import { fusedSoftmaxKernels, rowStatsInJs, rowStatsInNative } from './wasm/fused-softmax.js';
import { sharedIdentity } from './wasm/identity.js';
import type { KernelFunc } from './wasm/kernel-types.js';
import { SMALL_GEMM_MAX_ROWS, nativeMatMul } from './wasm/matmul-native.js';
import { withExplicitTranspose } from './wasm/matmul-transpose.js';
import { registerNativeCells } from './wasm/native-cells.js';
import { fastSlice } from './wasm/slice.js';
import { nativeSoftmaxXent } from './wasm/softmax-xent.js';
import { fastSplitV } from './wasm/split-v.js';
import { fastSumOf } from './wasm/sum.js';
import { fastTanh, nativeTanh } from './wasm/tanh.js';
import { fastUnpack } from './wasm/unpack.js';
import { unsortedSegmentSum } from './wasm/unsorted-segment-sum.js';

export interface KernelSetup {
  /** What multiplies matrices, for the log: the addon (and which few-row kernels), or XNNPACK and why. */
  matmul: string;
  /** Whether few-row products against reused matrices run in the addon's packed kernels. */
  packedGemm: boolean;
}

let setup: KernelSetup | undefined;

/** Replace a registered wasm kernel, keeping its other fields (setup, disposal). */
function replaceKernel(name: string, make: (original: tf.KernelConfig) => KernelFunc): void {
  const original = tf.getKernel(name, 'wasm');
  if (!original) return;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...original, kernelFunc: make(original) });
}

/**
 * Install every kernel once per thread, with the native addon when it loads (NMT_NATIVE_BLAS=0 turns it
 * off, NMT_PACKED_GEMM=0 only its packed kernels); later calls return the first setup. Call after the
 * wasm backend is registered.
 */
export function installKernels(): KernelSetup {
  if (setup) return setup;
  const native = loadNativeBlas();
  const blas: NativeBlas | undefined = native.blas;
  /** The addon's AVX2/FMA kernels (tanh, cells, loss, packed products) need a CPU that has them. */
  const vector = blas?.smallGemmAvailable() ? blas : undefined;
  const packedOn = process.env.NMT_PACKED_GEMM !== '0';
  const packedGemm = vector !== undefined && packedOn;

  const inNative = blas && nativeMatMul(blas, packedGemm);
  replaceKernel('BatchMatMul', (original) => {
    const inXnnpack = withExplicitTranspose(original);
    return inNative ? (args) => inNative(args) ?? inXnnpack(args) : inXnnpack;
  });
  replaceKernel('_FusedMatMul', withExplicitTranspose);
  replaceKernel('Tanh', () => (vector ? nativeTanh(vector) : fastTanh));
  replaceKernel('Slice', () => fastSlice);
  replaceKernel('Unpack', () => fastUnpack);
  replaceKernel('SplitV', () => fastSplitV);
  replaceKernel('Sum', fastSumOf);
  replaceKernel('Identity', sharedIdentity);

  const rowStats = vector ? rowStatsInNative(vector) : rowStatsInJs;
  for (const kernel of [
    ...FUSED_CELL_KERNELS,
    ...fusedSoftmaxKernels(rowStats),
    ...fusedCopyKernels(rowStats),
  ])
    tf.registerKernel(kernel);
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm')) {
    tf.registerKernel({
      kernelName: 'UnsortedSegmentSum',
      backendName: 'wasm',
      kernelFunc: unsortedSegmentSum,
    });
  }
  if (vector) {
    registerNativeCells(vector);
    tf.registerKernel(nativeSoftmaxXent(vector));
  }

  let matmul: string;
  if (!native.blas) matmul = `XNNPACK (native OpenBLAS not used: ${native.reason})`;
  else {
    const few = !packedOn
      ? 'XNNPACK for single rows (packed kernels turned off by NMT_PACKED_GEMM=0)'
      : vector
        ? `packed AVX2 kernels for up to ${SMALL_GEMM_MAX_ROWS} rows`
        : 'XNNPACK for single rows (this CPU lacks AVX2/FMA/F16C for the packed kernels)';
    matmul = `${native.description} (native addon nmt-blas), ${few}`;
  }
  setup = { matmul, packedGemm };
  return setup;
}

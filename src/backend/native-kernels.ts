/**
 * Kernels that run in the native addon besides matmuls, registered on wasm when the optional addon is
 * installed and the CPU has AVX2 and FMA:
 *
 * Tanh: glibc's vectorised tanhf (native/vector_math.c), 0.8–1.5 ns per value (measured, kernel
 * included); it replaces the sigmoid-based fastTanh of wasm-kernels.ts (5–8 ns per value measured on
 * [100, 256] … [1300, 1024]).
 *
 * NmtSoftmaxXent: the training loss over the vocabulary in one native pass (native/softmax_xent.c):
 *
 *   logits [N, V], targets [N] int32, weights [N], attrs { smoothing }
 *     → loss [N] (weighted per-token loss), grad [N, V] (its gradient with respect to the logits)
 *
 * src/model/loss.ts uses it when it is registered (the gradient is computed with the loss, so the
 * backward pass is one multiplication by dy) and composes the same formulas from TensorFlow.js ops
 * otherwise.
 *
 * And the LSTM and GRU cells with their gradients (native-cells.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { type NativeBlas, runOnHeap } from './native-blas.js';
import { installNativeCells } from './native-cells.js';

export const SOFTMAX_XENT = 'NmtSoftmaxXent';

type KernelArgs = Parameters<tf.KernelConfig['kernelFunc']>[0];

let registered = false;

export function installNativeKernels(blas: NativeBlas): void {
  if (registered || !blas.smallGemmAvailable()) return;
  registered = true;
  const previousTanh = tf.getKernel('Tanh', 'wasm');
  if (previousTanh) {
    tf.unregisterKernel('Tanh', 'wasm');
    tf.registerKernel({
      ...previousTanh,
      kernelFunc: (args: KernelArgs) => {
        const backend = args.backend as BackendWasm;
        const x = args.inputs.x as tf.TensorInfo;
        if (x.dtype !== 'float32') return previousTanh.kernelFunc(args);
        const [out] = runOnHeap(backend, [x.shape], (heap, at, [o]) =>
          blas.tanh(heap, tf.util.sizeFromShape(x.shape), at(x), o),
        );
        return out;
      },
    });
  }
  installNativeCells(blas);
  tf.registerKernel({
    kernelName: SOFTMAX_XENT,
    backendName: 'wasm',
    kernelFunc: (args: KernelArgs) => {
      const backend = args.backend as BackendWasm;
      const { logits, targets, weights } = args.inputs as Record<string, tf.TensorInfo>;
      const { smoothing } = args.attrs as { smoothing: number };
      const [N, V] = logits.shape;
      if (logits.dtype !== 'float32' || targets.dtype !== 'int32' || weights.dtype !== 'float32')
        throw new Error(`${SOFTMAX_XENT}: expected float32 logits, int32 targets and float32 weights`);
      if (targets.shape[0] !== N || weights.shape[0] !== N)
        throw new Error(
          `${SOFTMAX_XENT}: ${N} rows of logits but ${targets.shape[0]} targets, ${weights.shape[0]} weights`,
        );
      return runOnHeap(backend, [[N], [N, V]], (heap, at, [loss, grad]) =>
        blas.softmaxXent(heap, N, V, at(logits), at(targets), at(weights), loss, grad, smoothing),
      );
    },
  });
}

/**
 * NmtSoftmaxXent: the training loss over the vocabulary in one native pass (native/softmax_xent.c),
 * registered on wasm when the optional addon is installed and the CPU has AVX2 and FMA:
 *
 *   logits [N, V], targets [N] int32, weights [N], attrs { smoothing }
 *     → loss [N] (weighted per-token loss), grad [N, V] (its gradient with respect to the logits)
 *
 * The kernel facade (src/backend/kernels.ts) uses it when it is registered (the gradient is computed with
 * the loss, so the backward pass is one multiplication by dy) and composes the same formulas from
 * TensorFlow.js ops otherwise.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { type NativeBlas, runOnHeap } from '../native-blas.js';
import type { KernelArgs } from './kernel-types.js';

export const SOFTMAX_XENT = 'NmtSoftmaxXent';

/** The kernel, for install.ts to register. */
export function nativeSoftmaxXent(blas: NativeBlas): tf.KernelConfig {
  return {
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
  };
}

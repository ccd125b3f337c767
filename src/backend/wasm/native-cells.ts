/**
 * LSTM and GRU cell steps in the native addon (native/cells.c says why), as kernels with registered
 * gradients, so that they also run under gradient tapes. The kernel facade (src/backend/kernels.ts) uses
 * them, in training and translation, when they are registered (wasm with the addon and an AVX2 CPU); the
 * forms written with TensorFlow.js ops (reference-ops.ts) stay the reference (test/fused-cells.test.ts
 * compares values and gradients).
 *
 * NmtLstmTrain   xw [B, 4H], hw [B, 4H], c [B, H], h [B, H], m [B, 1] (1 = token, 0 = padding)
 *                → h' [B, H], c' [B, H], acts [B, 5H] (kept for the gradient)
 * NmtGruTrain    gy [B, 3H], gc [B, 3H], sp [B, width], s [B, H], attrs { offset }
 *                → s' [B, H], acts [B, 4H]
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { type NativeBlas, runOnHeap } from '../native-blas.js';
import type { KernelArgs } from './kernel-types.js';

export const LSTM_TRAIN = 'NmtLstmTrain';
export const GRU_TRAIN = 'NmtGruTrain';
const LSTM_TRAIN_GRAD = 'NmtLstmTrainGrad';
const GRU_TRAIN_GRAD = 'NmtGruTrainGrad';

/** Run on the heap of the kernel's backend (see runOnHeap). */
const run = (args: KernelArgs, outShapes: number[][], call: Parameters<typeof runOnHeap>[2]) =>
  runOnHeap(args.backend as BackendWasm, outShapes, call);

/** Registers the kernels and their gradients; called once, by installKernels (install.ts). */
export function registerNativeCells(blas: NativeBlas): void {
  const kernel = (kernelName: string, kernelFunc: (args: KernelArgs) => tf.TensorInfo[]) =>
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });

  kernel(LSTM_TRAIN, (args) => {
    const { xw, hw, c, h, m } = args.inputs as Record<string, tf.TensorInfo>;
    const [B, H] = c.shape;
    return run(
      args,
      [
        [B, H],
        [B, H],
        [B, 5 * H],
      ],
      (heap, at, [hOut, cOut, acts]) =>
        blas.lstmForward(heap, B, H, at(xw), at(hw), at(c), at(h), at(m), hOut, cOut, acts),
    );
  });
  kernel(LSTM_TRAIN_GRAD, (args) => {
    const { acts, c, m, dh, dc } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const [B, H] = (c as tf.TensorInfo).shape;
    return run(
      args,
      [
        [B, 4 * H],
        [B, H],
        [B, H],
      ],
      (heap, at, [dz, dhPrev, dcPrev]) =>
        blas.lstmBackward(heap, B, H, at(acts), at(c), at(m), at(dh), at(dc), dz, dhPrev, dcPrev),
    );
  });
  tf.registerGradient({
    kernelName: LSTM_TRAIN,
    inputsToSave: ['c', 'm'],
    outputsToSave: [false, false, true],
    gradFunc: (dy, saved) => {
      // An output no gradient reached (the last step's c', say) comes as null: the kernel reads zeros.
      const [dh, dc] = dy as (tf.Tensor | null)[];
      const [c, m, acts] = saved;
      const inputs: tf.NamedTensorMap = { acts, c, m };
      if (dh) inputs.dh = dh;
      if (dc) inputs.dc = dc;
      const [dz, dhPrev, dcPrev] = tf.engine().runKernel(LSTM_TRAIN_GRAD, inputs, {}) as tf.Tensor[];
      return {
        xw: () => dz,
        hw: () => tf.clone(dz),
        c: () => dcPrev,
        h: () => dhPrev,
        m: () => tf.zerosLike(m),
      };
    },
  });

  kernel(GRU_TRAIN, (args) => {
    const { gy, gc, sp, s } = args.inputs as Record<string, tf.TensorInfo>;
    const { offset } = args.attrs as { offset: number };
    const [B, H] = s.shape;
    const width = sp.shape[1];
    return run(
      args,
      [
        [B, H],
        [B, 4 * H],
      ],
      (heap, at, [sOut, acts]) =>
        blas.gruForward(heap, B, H, width, offset, at(gy), at(gc), at(sp), at(s), sOut, acts),
    );
  });
  kernel(GRU_TRAIN_GRAD, (args) => {
    const { acts, s, ds } = args.inputs as Record<string, tf.TensorInfo>;
    const { offset, width } = args.attrs as { offset: number; width: number };
    const [B, H] = s.shape;
    return run(
      args,
      [
        [B, 3 * H],
        [B, width],
        [B, H],
      ],
      (heap, at, [dgx, dsp, dsPrev]) =>
        blas.gruBackward(heap, B, H, width, offset, at(acts), at(s), at(ds), dgx, dsp, dsPrev),
    );
  });
  tf.registerGradient({
    kernelName: GRU_TRAIN,
    inputsToSave: ['s', 'sp'],
    outputsToSave: [false, true],
    gradFunc: (dy, saved, attrs) => {
      const [s, sp, acts] = saved;
      const ds = (dy as (tf.Tensor | null)[])[0] ?? tf.zerosLike(s);
      const { offset } = attrs as { offset: number };
      const [dgx, dsp, dsPrev] = tf
        .engine()
        .runKernel(GRU_TRAIN_GRAD, { acts, s, ds }, { offset, width: sp.shape[1] as number }) as tf.Tensor[];
      return { gy: () => dgx, gc: () => tf.clone(dgx), sp: () => dsp, s: () => dsPrev };
    },
  });
}

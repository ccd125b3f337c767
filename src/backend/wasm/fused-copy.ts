/**
 * Greedy search's step for a copying model (pointer-generator, See et al. 2017), fused for the wasm
 * backend: the argmax over y of p(y) = p_gen · softmax(z)_y + (1 − p_gen) · Σ_j a_j [x_j = y], and its log.
 *
 * Why: op by op (reference-ops.ts, copyMixtureOps) this is a softmax, three products, a scatter into a
 * fresh [B, V] zero tensor, an add, a maximum, a log over all V = 8000 entries, an argmax and a max. Only
 * the ≤ S tokens of the source receive copy mass, and without it p(y) grows with z_y: the best token is
 * the logits' argmax or one of the source's tokens. So one pass of row statistics (fused-softmax.ts's
 * AllRowStats, native or JavaScript) and S look-ups replace the ten kernels. Measured for one step on one free core
 * (scratch timing, V = 8000, S = 15, median of 6 rounds of 200): B = 1 453 µs against 750 µs op by op,
 * B = 5 2,049 against 2,264 µs (docs/PERFORMANCE.md, sixth session).
 *
 * Beam search keeps the ops (kernels.copyLogProbsPlus): it needs log p(y) for every y, and a JavaScript
 * version of that (one pass for the statistics, one for the output, the source's tokens patched) measured
 * slower than the wasm ops: B = 5 2,897 against 1,907 µs.
 *
 * The reference's floor, log max(p, 1e−30), is kept so that both paths rank tokens alike when p = 0.
 *
 * NmtCopyGreedyPick   logits [B, V], pGen [B, 1], attention [B, S], indices [B·S, 2] int32, mask [B, S],
 *                     optional banned [B] int32 (a token each row may not pick, −1 none)
 *                     → ids [B] (int32, first maximum), logProbs [B]
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelArgs, KernelFunc } from './kernel-types.js';
import { type AllRowStats, bannedInput } from './fused-softmax.js';

export const COPY_GREEDY_PICK = 'NmtCopyGreedyPick';

interface CopyInputs {
  logits: Float32Array;
  pGen: Float32Array;
  attention: Float32Array;
  indices: Int32Array;
  mask: Float32Array;
  B: number;
  V: number;
  S: number;
}

function readInputs(args: KernelArgs): CopyInputs {
  const backend = args.backend as BackendWasm;
  const t = (name: string) => args.inputs[name] as tf.TensorInfo;
  const heap = (name: string) => backend.typedArrayFromHeap(t(name));
  const [B, V] = t('logits').shape;
  return {
    logits: heap('logits') as Float32Array,
    pGen: heap('pGen') as Float32Array,
    attention: heap('attention') as Float32Array,
    indices: heap('indices') as Int32Array,
    mask: heap('mask') as Float32Array,
    B,
    V,
    S: t('attention').shape[1],
  };
}

/**
 * Row r's copy mass per distinct source token, (1 − p_gen) Σ_j a_j [x_j = y]: a token that occurs twice
 * gets both weights (as the reference's scatter-add does). A Map, not a V-sized array: S ≪ V.
 */
function copyMass(x: CopyInputs, r: number): Map<number, number> {
  const mass = new Map<number, number>();
  const keep = 1 - x.pGen[r];
  for (let j = 0; j < x.S; j++) {
    const k = r * x.S + j;
    if (x.mask[k] === 0) continue;
    const id = x.indices[2 * k + 1];
    mass.set(id, (mass.get(id) ?? 0) + keep * x.attention[k]);
  }
  return mass;
}

/** log p(y) of row r for token y whose logit is z, given the row's log Σ exp and copy mass. */
function logP(pGen: number, z: number, logSumExp: number, copied: number | undefined): number {
  const p = copied === undefined ? 0 : copied;
  const generated = pGen * Math.exp(z - logSumExp);
  return Math.log(Math.max(generated + p, 1e-30));
}

/** The kernel, for install.ts to register, on the given row statistics (fused-softmax.ts). */
export function fusedCopyKernels(stats: AllRowStats): tf.KernelConfig[] {
  const copyGreedyPick: KernelFunc = (args: KernelArgs) => {
    const backend = args.backend as BackendWasm;
    // Outputs first: allocating can grow (and move) the wasm heap, which would leave earlier views empty.
    const B = (args.inputs.logits as tf.TensorInfo).shape[0];
    const ids = backend.makeOutput([B], 'int32');
    const logProbs = backend.makeOutput([B], 'float32');
    const x = readInputs(args);
    const banned = bannedInput(args);
    const st = stats(backend, args.inputs.logits as tf.TensorInfo, banned);
    const skip = banned ? (backend.typedArrayFromHeap(banned) as Int32Array) : undefined;
    const id = backend.typedArrayFromHeap(ids) as Int32Array;
    const lp = backend.typedArrayFromHeap(logProbs) as Float32Array;
    for (let r = 0; r < x.B; r++) {
      const [max, argMax, logSumExp] = st.subarray(3 * r, 3 * r + 3);
      const mass = copyMass(x, r);
      const g = x.pGen[r];
      // Without copy mass p(y) grows with z_y, so the best token is the logits' argmax or a copied one.
      let best = argMax;
      let bestLogP = logP(g, max, logSumExp, mass.get(best));
      for (const [y, m] of mass) {
        if (skip && y === skip[r]) continue;
        const v = logP(g, x.logits[r * x.V + y], logSumExp, m);
        if (v > bestLogP || (v === bestLogP && y < best)) {
          best = y;
          bestLogP = v;
        }
      }
      id[r] = best;
      lp[r] = bestLogP;
    }
    return [ids, logProbs];
  };
  return [{ kernelName: COPY_GREEDY_PICK, backendName: 'wasm', kernelFunc: copyGreedyPick }];
}

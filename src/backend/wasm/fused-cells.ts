/**
 * Fused LSTM and GRU cell updates for the wasm backend, for inference.
 *
 * Why: translating one sentence runs ~1,000 kernels, and on wasm each small kernel costs tens of µs of
 * framework overhead whatever its size ([1, 256] multiplies measured at 20–40 µs each). The element-wise
 * part of a cell step (split into gates, sigmoids, tanh, products, masking) is ~10 such kernels per step
 * for a few hundred numbers. These kernels do that part in one pass of plain JavaScript over the wasm
 * heap. They have no gradient, so the kernel facade (src/backend/kernels.ts) uses them only outside
 * gradient tapes, and only for small batches: for large ones XNNPACK's vectorised sigmoid beats scalar
 * JavaScript.
 *
 * NmtLstmCell   inputs xw [B, 4H], hw [B, 4H] (h_{t-1} W_h), c [B, H], and with mask also h [B, H],
 *               m [B, 1]; gates (i, f, g, o) = xw + hw;
 *               c' = σ(f) c + σ(i) tanh(g),  h' = σ(o) tanh(c');  masked rows keep h, c.  → [h', c']
 * NmtGruCell    inputs gy [B, 3H] (W_y y + b), gc [B, 3H] (W_c c_t), sp [B, offset + 3H] (U s_{t-1} + b
 *               from column `offset` on), s [B, H];  r, z = σ(gy + gc + us) over the first 2H columns,
 *               n = tanh(gy + gc + r · us) over the last H,  s' = n + z (s − n).  → s'
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelArgs, KernelFunc } from './kernel-types.js';

export const LSTM_CELL = 'NmtLstmCell';
export const GRU_CELL = 'NmtGruCell';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

const lstmCell: KernelFunc = (args: KernelArgs) => {
  const backend = args.backend as BackendWasm;
  const { xw, hw, c, h, m } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  if (!xw || !hw || !c) throw new Error(`${LSTM_CELL}: inputs xw, hw and c are required`);
  const [B, H] = c.shape;
  const hOut = backend.makeOutput([B, H], 'float32');
  const cOut = backend.makeOutput([B, H], 'float32');
  // Views after the allocations, which can grow (and move) the wasm heap.
  const view = (t: tf.TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
  const [x, r, cPrev, ho, co] = [view(xw), view(hw), view(c), view(hOut), view(cOut)];
  const hPrev = h ? view(h) : undefined;
  const mask = m ? view(m) : undefined;
  for (let b = 0; b < B; b++) {
    const zRow = b * 4 * H;
    const row = b * H;
    const keep = mask !== undefined && mask[b] === 0;
    for (let j = 0; j < H; j++) {
      if (keep) {
        ho[row + j] = (hPrev as Float32Array)[row + j];
        co[row + j] = cPrev[row + j];
        continue;
      }
      const zi = zRow + j;
      const i = sigmoid(x[zi] + r[zi]);
      const f = sigmoid(x[zi + H] + r[zi + H]);
      const g = Math.tanh(x[zi + 2 * H] + r[zi + 2 * H]);
      const o = sigmoid(x[zi + 3 * H] + r[zi + 3 * H]);
      const cNew = f * cPrev[row + j] + i * g;
      co[row + j] = cNew;
      ho[row + j] = o * Math.tanh(cNew);
    }
  }
  return [hOut, cOut];
};

const gruCell: KernelFunc = (args: KernelArgs) => {
  const backend = args.backend as BackendWasm;
  const { gy, gc, sp, s } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  if (!gy || !gc || !sp || !s) throw new Error(`${GRU_CELL}: inputs gy, gc, sp and s are required`);
  const { offset } = args.attrs as { offset: number };
  const [B, H] = s.shape;
  const width = sp.shape[1];
  const out = backend.makeOutput([B, H], 'float32');
  const view = (t: tf.TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
  const [y, cx, u, prev, o] = [view(gy), view(gc), view(sp), view(s), view(out)];
  for (let b = 0; b < B; b++) {
    const g = b * 3 * H;
    const us = b * width + offset;
    for (let j = 0; j < H; j++) {
      const r = sigmoid(y[g + j] + cx[g + j] + u[us + j]);
      const z = sigmoid(y[g + H + j] + cx[g + H + j] + u[us + H + j]);
      const n = Math.tanh(y[g + 2 * H + j] + cx[g + 2 * H + j] + r * u[us + 2 * H + j]);
      o[b * H + j] = n + z * (prev[b * H + j] - n);
    }
  }
  return out;
};

/** Both kernels, registered on wasm by installKernels (install.ts). */
export const FUSED_CELL_KERNELS: tf.KernelConfig[] = [
  { kernelName: LSTM_CELL, backendName: 'wasm', kernelFunc: lstmCell },
  { kernelName: GRU_CELL, backendName: 'wasm', kernelFunc: gruCell },
];

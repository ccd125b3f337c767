/**
 * The copy under the Slice, Unpack and SplitV overrides (and the batched-product loop of
 * matmul-transpose.ts). tfjs-backend-wasm copies element by element (measured: 2.8 ms to slice one
 * contiguous [64, 1024] row block, 0.7 ms per output of an unstack); this copies contiguous runs with
 * TypedArray.set.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** Copy the box [begin, begin + size) of `x` into a new tensor, one contiguous inner run at a time. */
export function sliceCopy(
  backend: BackendWasm,
  x: tf.TensorInfo,
  begin: number[],
  size: number[],
): tf.TensorInfo {
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

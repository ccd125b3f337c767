/**
 * `UnsortedSegmentSum` is not implemented by tfjs-backend-wasm 4.22, yet it is the gradient of `tf.gather`
 * (embedding look-ups): without it, training on wasm fails with "Kernel 'UnsortedSegmentSum' not
 * registered for backend 'wasm'". This is a plain JavaScript implementation: the sizes involved (tokens in
 * a batch × embedding size) are small, and a scatter-add is memory-bound, so JS is within a small factor
 * of a native kernel here.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelArgs, KernelFunc } from './kernel-types.js';

/** out[segmentIds[i]] += x[i] over the first axis; the gradient of gather along axis 0. */
export const unsortedSegmentSum: KernelFunc = (args: KernelArgs) => {
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

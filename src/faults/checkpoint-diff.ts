/** How far apart two checkpoints are: the killed-and-resumed run against the uninterrupted one. */
import type { Checkpoint } from '../train/checkpoint.js';

function floats(bytes: Uint8Array): Float32Array {
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** Max |a − b| over tensors matched by name (Infinity when the sets or shapes differ). */
export function maxDiff(
  a: Checkpoint,
  b: Checkpoint,
  which: 'weights' | 'optimizer',
): { diff: number; problem?: string } {
  const ha = a.header[which];
  const hb = b.header[which];
  const bytesA = which === 'weights' ? a.weightBytes : a.optimizerBytes;
  const bytesB = which === 'weights' ? b.weightBytes : b.optimizerBytes;
  const byName = new Map(hb.tensors.map((t) => [t.name, t]));
  if (ha.tensors.length !== hb.tensors.length)
    return { diff: Infinity, problem: `${which}: ${ha.tensors.length} vs ${hb.tensors.length} tensors` };
  let diff = 0;
  for (const ta of ha.tensors) {
    const tb = byName.get(ta.name);
    if (!tb || tb.shape.join('x') !== ta.shape.join('x'))
      return { diff: Infinity, problem: `${which}: tensor ${ta.name} missing or reshaped` };
    const n = ta.shape.reduce((x, y) => x * y, 1);
    const va = floats(bytesA.subarray(ta.offset, ta.offset + n * 4));
    const vb = floats(bytesB.subarray(tb.offset, tb.offset + n * 4));
    for (let k = 0; k < n; k++) {
      const d = Math.abs(va[k] - vb[k]);
      diff = Math.max(diff, Number.isNaN(d) ? Infinity : d);
    }
  }
  return { diff };
}

/**
 * Weights on disk: one binary file of concatenated little-endian tensors (float32 or float16) and a
 * manifest (name, shape, byte offset) with a SHA-256 of the bytes. Loading checks everything against
 * the model's own parameters and names the file in every error, so a truncated download or weights
 * from another configuration are refused instead of producing garbage translations.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { Float16Array } from '@petamoriken/float16';
import type { Params } from './params.js';

export type WeightDtype = 'float32' | 'float16';

/** One tensor's values, by parameter name. */
export interface NamedWeights {
  name: string;
  shape: number[];
  values: Float32Array;
}

export interface TensorEntry {
  name: string;
  shape: number[];
  offset: number; // bytes
}

export interface WeightsManifest {
  dtype: WeightDtype;
  byteLength: number;
  sha256: string;
  tensors: TensorEntry[];
}

const BYTES: Record<WeightDtype, number> = { float32: 4, float16: 2 };

/** Serialize named float32 arrays. */
export function encodeWeights(
  named: NamedWeights[],
  dtype: WeightDtype,
): { manifest: WeightsManifest; bytes: Uint8Array } {
  const total = named.reduce((n, t) => n + t.values.length * BYTES[dtype], 0);
  const bytes = new Uint8Array(total);
  const tensors: TensorEntry[] = [];
  let offset = 0;
  for (const t of named) {
    const typed = dtype === 'float32' ? new Float32Array(t.values) : new Float16Array(t.values);
    bytes.set(new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength), offset);
    tensors.push({ name: t.name, shape: t.shape, offset });
    offset += typed.byteLength;
  }
  const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
  return { manifest: { dtype, byteLength: total, sha256, tensors }, bytes };
}

/** Current values of all parameters. */
export function readParams(params: Params): NamedWeights[] {
  return params
    .entries()
    .map(([name, v]) => ({ name, shape: v.shape, values: v.dataSync() as Float32Array }));
}

/**
 * Decode `bytes` (read from `file`) into named float32 arrays, checking the length, the checksum, the
 * dtype and that every tensor lies inside the bytes. Errors name the file.
 */
export function decodeWeights(manifest: WeightsManifest, bytes: Uint8Array, file: string): NamedWeights[] {
  if (bytes.byteLength !== manifest.byteLength) {
    throw new Error(
      `${file}: expected ${manifest.byteLength} bytes, found ${bytes.byteLength} (truncated or wrong file)`,
    );
  }
  const sha = crypto.createHash('sha256').update(bytes).digest('hex');
  if (sha !== manifest.sha256)
    throw new Error(`${file}: checksum mismatch (file is corrupted or does not match its manifest)`);
  const size = BYTES[manifest.dtype];
  if (!size) throw new Error(`${file}: unknown weight dtype "${String(manifest.dtype)}"`);
  return manifest.tensors.map((t) => {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.offset + n * size > bytes.byteLength)
      throw new Error(`${file}: tensor "${t.name}" runs past the end of the file`);
    // Copy out to an aligned buffer: offsets of float16 data are only 2-byte aligned.
    // (new Uint8Array(view) copies; Buffer#slice would share the pooled ArrayBuffer.)
    const raw = new Uint8Array(bytes.subarray(t.offset, t.offset + n * size));
    const values =
      manifest.dtype === 'float32'
        ? new Float32Array(raw.buffer)
        : Float32Array.from(new Float16Array(raw.buffer));
    return { name: t.name, shape: t.shape, values };
  });
}

/** Decode `bytes` (read from `file`) and assign to `params`, checking names, shapes and checksum. */
export function assignWeights(
  params: Params,
  manifest: WeightsManifest,
  bytes: Uint8Array,
  file: string,
): void {
  const expected = new Map(params.entries());
  const seen = new Set<string>();
  for (const t of decodeWeights(manifest, bytes, file)) {
    const v = expected.get(t.name);
    if (!v) throw new Error(`${file}: tensor "${t.name}" is not a parameter of this model configuration`);
    if (v.shape.join('x') !== t.shape.join('x')) {
      throw new Error(
        `${file}: tensor "${t.name}" has shape [${t.shape}] but the configuration needs [${v.shape}]`,
      );
    }
    const value = tf.tensor(t.values, v.shape, 'float32');
    v.assign(value);
    value.dispose();
    seen.add(t.name);
  }
  const missing = [...expected.keys()].filter((n) => !seen.has(n));
  if (missing.length > 0)
    throw new Error(
      `${file}: missing tensors ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`,
    );
}

export function readBytes(file: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read weights ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Round every parameter to what `dtype` stores, as a model exported in that precision loads (float16:
 * values become float16 numbers; float32: unchanged). The bench uses it to time the shipped format.
 */
export function roundParamsTo(params: Params, dtype: WeightDtype): void {
  if (dtype === 'float32') return;
  for (const [, v] of params.entries()) {
    const rounded = Float32Array.from(new Float16Array(v.dataSync() as Float32Array));
    const t = tf.tensor(rounded, v.shape, 'float32');
    v.assign(t);
    t.dispose();
  }
}

/**
 * Training checkpoints: one file holding model weights, optimizer state (Adam moments and step count),
 * the training position (epoch, batch), the Rng state, the learning-rate schedule and the config, so
 * that a resumed run continues exactly where the saved one stopped.
 *
 * Layout: "NMTCKPT1" | uint32 header length | header JSON | payload. The header carries a SHA-256 of the
 * payload: a truncated or damaged file is refused with a message naming it. Written atomically.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { writeFileAtomic } from '../util/atomic.js';
import { type NamedWeights, type WeightsManifest, encodeWeights } from '../model/weights-io.js';
import type { TrainConfig } from './config.js';

const MAGIC = 'NMTCKPT1';

export interface TrainState {
  step: number;
  epoch: number;
  /** Index of the next batch to run within the epoch's batch order. */
  batchInEpoch: number;
  rngState: number;
  learningRate: number;
  bestBleu: number;
  bestStep: number;
  lastValidStep: number;
  /** Validations since the last improvement (drives LR decay and early stopping). */
  evalsWithoutImprovement: number;
  evalsSinceDecay: number;
  elapsedSeconds: number;
  targetTokensSeen: number;
}

/** The position of a run before its first step (no validation yet: bestBleu −1). */
export function initialTrainState(rngState: number, learningRate: number): TrainState {
  return {
    step: 0,
    epoch: 0,
    batchInEpoch: 0,
    rngState,
    learningRate,
    bestBleu: -1,
    bestStep: 0,
    lastValidStep: -1,
    evalsWithoutImprovement: 0,
    evalsSinceDecay: 0,
    elapsedSeconds: 0,
    targetTokensSeen: 0,
  };
}

export interface CheckpointHeader {
  format: typeof MAGIC;
  config: TrainConfig;
  state: TrainState;
  srcTokenizerFile: string;
  tgtTokenizerFile: string;
  weights: WeightsManifest;
  optimizer: WeightsManifest;
  payloadSha256: string;
}

export interface Checkpoint {
  header: CheckpointHeader;
  weightBytes: Uint8Array;
  optimizerBytes: Uint8Array;
}

/** Writes the model's `weights` and the `optimizer` state, both as float32, with `header` before them. */
export function writeCheckpoint(
  file: string,
  header: Omit<CheckpointHeader, 'format' | 'payloadSha256' | 'weights' | 'optimizer'>,
  weights: NamedWeights[],
  optimizer: NamedWeights[],
): void {
  const w = encodeWeights(weights, 'float32');
  const o = encodeWeights(optimizer, 'float32');
  const payload = Buffer.concat([w.bytes, o.bytes]);
  const full: CheckpointHeader = {
    ...header,
    weights: w.manifest,
    optimizer: o.manifest,
    format: MAGIC,
    payloadSha256: crypto.createHash('sha256').update(payload).digest('hex'),
  };
  const json = Buffer.from(JSON.stringify(full), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  writeFileAtomic(file, Buffer.concat([Buffer.from(MAGIC, 'ascii'), len, json, payload]));
}

export function readCheckpoint(file: string): Checkpoint {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read checkpoint ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (buf.length < 12 || buf.subarray(0, 8).toString('ascii') !== MAGIC) {
    throw new Error(`${file}: not a checkpoint of this program (bad magic; truncated or another file)`);
  }
  const len = buf.readUInt32LE(8);
  if (12 + len > buf.length) throw new Error(`${file}: truncated checkpoint (header runs past the end)`);
  let header: CheckpointHeader;
  try {
    header = JSON.parse(buf.subarray(12, 12 + len).toString('utf8')) as CheckpointHeader;
  } catch (err) {
    throw new Error(`${file}: corrupted checkpoint header`, { cause: err });
  }
  const payload = buf.subarray(12 + len);
  const expected = header.weights.byteLength + header.optimizer.byteLength;
  if (payload.length !== expected) {
    throw new Error(`${file}: truncated checkpoint (payload ${payload.length} bytes, expected ${expected})`);
  }
  if (crypto.createHash('sha256').update(payload).digest('hex') !== header.payloadSha256) {
    throw new Error(`${file}: corrupted checkpoint (checksum mismatch)`);
  }
  return {
    header,
    weightBytes: payload.subarray(0, header.weights.byteLength),
    optimizerBytes: payload.subarray(header.weights.byteLength),
  };
}

/** The optimizer state in a checkpoint (Adam's moments and step count), as named float32 arrays. */
export function checkpointOptimizer(ck: Checkpoint): NamedWeights[] {
  return ck.header.optimizer.tensors.map((t) => {
    const n = t.shape.reduce((a, b) => a * b, 1);
    // Copied out: a tensor's offset in the payload need not be 4-byte aligned.
    const values = new Float32Array(
      new Uint8Array(ck.optimizerBytes.subarray(t.offset, t.offset + n * 4)).buffer,
    );
    return { name: t.name, shape: t.shape, values };
  });
}

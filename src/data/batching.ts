/**
 * Token-budget, length-bucketed batches.
 *
 * Sentences of similar length go together so that little padding is computed: examples are sorted by
 * (source length, target length) inside large shuffled pools, cut into batches whose padded size stays
 * within a token budget, and the batches are shuffled. Deterministic for a given Rng state.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../util/rng.js';
import { BOS_ID, EOS_ID, FIRST_ORDINARY_ID, PAD_ID } from '../tokenizer/special-ids.js';

/** A tokenized pair: ids without specials; </s> (and <s> for the decoder input) are added here. */
export interface Example {
  src: number[];
  tgt: number[];
  /**
   * Guided alignment (src/train/guided-alignment.ts): flat [source position, target position, …] links
   * that the attention of the target positions is trained toward. Training examples only, when asked for.
   */
  guide?: number[];
}

/** A batch as tensors. Source and target are right-padded with PAD_ID. */
export interface TensorBatch {
  srcIds: tf.Tensor2D; // [B, S] int32
  srcMask: tf.Tensor2D; // [B, S] float32, 1 = token
  tgtIn: tf.Tensor2D; // [B, T] int32: <s> y_1 … y_{n}
  tgtOut: tf.Tensor2D; // [B, T] int32: y_1 … y_n </s>
  tgtMask: tf.Tensor2D; // [B, T] float32
  /** False when every source has the same length (no padding): lets the encoder skip masking. */
  srcPadded?: boolean;
  /**
   * [B, T, S] float32: 1 where target token t equals source token j (an ordinary token, not <pad> or
   * </s>), the positions a copying model can copy y_t from. Built only for models that copy.
   */
  copyMatch?: tf.Tensor3D;
  /** [B, T, S] float32: each target position's guide row (sums to 1, or 0 without links). */
  guide?: tf.Tensor3D;
}

export interface BatchOptions {
  /** Maximum of (batch size × longest target incl. </s>) and of the same for the source. */
  tokenBudget: number;
  /** Maximum sentences in a batch, whatever their length. */
  maxSentences?: number;
  /** How many examples are sorted together; larger = less padding, less randomness. */
  poolSize?: number;
}

/** Group example indices into batches. */
export function makeBatches(examples: Example[], opts: BatchOptions, rng: Rng): number[][] {
  const poolSize = opts.poolSize ?? 100 * 64;
  const maxSentences = opts.maxSentences ?? 256;
  const order = rng.shuffle([...examples.keys()]);
  const batches: number[][] = [];
  for (let p = 0; p < order.length; p += poolSize) {
    const pool = order.slice(p, p + poolSize);
    pool.sort(
      (a, b) =>
        examples[a].src.length - examples[b].src.length || examples[a].tgt.length - examples[b].tgt.length,
    );
    let cur: number[] = [];
    let maxSrc = 0;
    let maxTgt = 0;
    for (const i of pool) {
      const s = examples[i].src.length + 1;
      const t = examples[i].tgt.length + 1;
      const ms = Math.max(maxSrc, s);
      const mt = Math.max(maxTgt, t);
      if (
        cur.length > 0 &&
        ((cur.length + 1) * Math.max(ms, mt) > opts.tokenBudget || cur.length >= maxSentences)
      ) {
        batches.push(cur);
        cur = [];
        maxSrc = 0;
        maxTgt = 0;
      }
      cur.push(i);
      maxSrc = Math.max(maxSrc, s);
      maxTgt = Math.max(maxTgt, t);
    }
    if (cur.length > 0) batches.push(cur);
  }
  return rng.shuffle(batches);
}

/** Right-pad id sequences into a [B, L] int32 tensor and a float mask. */
export function padIds(seqs: number[][]): { ids: tf.Tensor2D; mask: tf.Tensor2D } {
  const B = seqs.length;
  const L = Math.max(1, ...seqs.map((s) => s.length));
  const ids = new Int32Array(B * L).fill(PAD_ID);
  const mask = new Float32Array(B * L);
  seqs.forEach((s, b) => {
    for (let j = 0; j < s.length; j++) {
      ids[b * L + j] = s[j];
      mask[b * L + j] = 1;
    }
  });
  return { ids: tf.tensor2d(ids, [B, L], 'int32'), mask: tf.tensor2d(mask, [B, L], 'float32') };
}

/**
 * Source gets </s> appended (the encoder sees the end); target in/out are shifted by one.
 * @param withCopy also build `copyMatch` (for models with copyAttention)
 * @param withGuide also build `guide` when some example has one (guided-alignment training)
 */
export function toTensorBatch(examples: Example[], withCopy = false, withGuide = false): TensorBatch {
  const srcSeqs = examples.map((e) => [...e.src, EOS_ID]);
  const outSeqs = examples.map((e) => [...e.tgt, EOS_ID]);
  const src = padIds(srcSeqs);
  const tgtIn = padIds(examples.map((e) => [BOS_ID, ...e.tgt]));
  const tgtOut = padIds(outSeqs);
  tgtIn.mask.dispose();
  const srcPadded = new Set(examples.map((e) => e.src.length)).size > 1;
  const [S, T] = [src.ids.shape[1], tgtOut.ids.shape[1]];
  const guided = withGuide && examples.some((e) => e.guide);
  return {
    srcIds: src.ids,
    srcMask: src.mask,
    tgtIn: tgtIn.ids,
    tgtOut: tgtOut.ids,
    tgtMask: tgtOut.mask,
    srcPadded,
    copyMatch: withCopy ? copyMatchTensor(srcSeqs, outSeqs, S, T) : undefined,
    guide: guided
      ? tf.tensor3d(
          guideRows(
            examples.map((e) => e.guide),
            S,
            T,
          ),
          [examples.length, T, S],
        )
      : undefined,
  };
}

export function disposeBatch(b: TensorBatch): void {
  tf.dispose([b.srcIds, b.srcMask, b.tgtIn, b.tgtOut, b.tgtMask]);
  b.copyMatch?.dispose();
  b.guide?.dispose();
}

/** Number of target tokens (incl. </s>) the loss is computed on. */
export function targetTokens(examples: Example[]): number {
  return examples.reduce((n, e) => n + e.tgt.length + 1, 0);
}

/**
 * [B, T, S] float32: 1 where tgtOut[b][t] equals src[b][j] and is an ordinary token (see TensorBatch.copyMatch).
 * Plain arrays in, one tensor out: built with the batch, on the CPU, where the ids already are.
 */
export function copyMatchTensor(src: number[][], tgtOut: number[][], S: number, T: number): tf.Tensor3D {
  const B = src.length;
  const m = new Float32Array(B * T * S);
  for (let b = 0; b < B; b++) {
    const x = src[b];
    const y = tgtOut[b];
    for (let t = 0; t < y.length; t++) {
      if (y[t] < FIRST_ORDINARY_ID) continue;
      for (let j = 0; j < x.length; j++) if (x[j] === y[t]) m[(b * T + t) * S + j] = 1;
    }
  }
  return tf.tensor3d(m, [B, T, S]);
}

/**
 * [B·T·S] float32 guide rows for a batch: row (b, t) spreads 1 evenly over the source positions linked to
 * target position t of example b; rows without links stay 0 (and cost nothing).
 */
export function guideRows(
  guides: readonly (readonly number[] | undefined)[],
  S: number,
  T: number,
): Float32Array {
  const g = new Float32Array(guides.length * T * S);
  guides.forEach((flat, b) => {
    if (!flat) return;
    const count = new Array<number>(T).fill(0);
    for (let k = 0; k < flat.length; k += 2) if (flat[k + 1] < T && flat[k] < S) count[flat[k + 1]]++;
    for (let k = 0; k < flat.length; k += 2) {
      const [j, t] = [flat[k], flat[k + 1]];
      if (t < T && j < S) g[(b * T + t) * S + j] += 1 / count[t];
    }
  });
  return g;
}

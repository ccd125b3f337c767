/**
 * The whole model: embeddings → BiLSTM encoder → bridge → GRU decoder with Bahdanau attention.
 * Notation (Bahdanau et al., 2015): x source tokens, h_j encoder states, s_t decoder states,
 * e_tj attention scores, a_tj attention weights, c_t contexts, y_t target tokens.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../util/rng.js';
import type { TensorBatch } from '../data/batching.js';
import type { ModelConfig } from './config.js';
import { BOS_ID, FIRST_ORDINARY_ID } from '../tokenizer/special-ids.js';
import { Params } from './params.js';
import { BiLstmEncoder } from './encoder.js';
import { type AttentionMemory, BahdanauAttention } from './attention.js';
import { AttentionGruDecoder } from './decoder.js';
import { copyMixtureCrossEntropy, guidedAlignmentCost, smoothedCrossEntropy } from './loss.js';
import { dropout } from './ops.js';

/** Where each source token goes in the vocabulary, for mixing the copy distribution into p(y). */
export interface CopySource {
  /** [B·S, 2] int32: (row b, token id x_bj) of every source position. */
  indices: tf.Tensor2D;
  /** [B, S] float32: 1 for copyable tokens, 0 for specials and padding. */
  mask: tf.Tensor2D;
}

/** Everything a search needs about a batch of source sentences, computed once. */
export interface EncodedSource {
  memory: AttentionMemory;
  initialState: tf.Tensor2D;
  /** Present when the model copies. */
  copy?: CopySource;
}

export interface StepOutput {
  logits: tf.Tensor2D; // [B, V], before the softmax
  state: tf.Tensor2D; // s_t
  attention: tf.Tensor2D; // a_t [B, S]
  /** p_gen [B, 1], when the model copies: the weight of the vocabulary distribution in p(y). */
  pGen?: tf.Tensor2D;
}

export function disposeEncoded(enc: EncodedSource): void {
  tf.dispose([enc.memory.states, enc.memory.keys, enc.memory.maskBias, enc.initialState]);
  if (enc.copy) tf.dispose([enc.copy.indices, enc.copy.mask]);
}

/** The copy targets of source ids [B, S] (see CopySource). */
export function copySource(srcIds: tf.Tensor2D): CopySource {
  return tf.tidy(() => {
    const [B, S] = srcIds.shape;
    const rows = tf.reshape(tf.tile(tf.reshape(tf.range(0, B, 1, 'int32'), [B, 1]), [1, S]), [B * S, 1]);
    const indices = tf.concat([rows, tf.reshape(srcIds, [B * S, 1])], 1) as tf.Tensor2D;
    const mask = tf.cast(tf.greaterEqual(srcIds, FIRST_ORDINARY_ID), 'float32') as tf.Tensor2D;
    return { indices, mask };
  });
}

/** A source of dropout seeds; training passes one drawn from the trainer's Rng for exact resume. */
export type SeedSource = () => number;

export class Seq2Seq {
  readonly params: Params;
  private readonly srcEmbedding: tf.Variable;
  private readonly tgtEmbedding: tf.Variable;
  /** √E for a table that is also the output layer (see the constructor), else 1. */
  private readonly srcScale: number;
  private readonly tgtScale: number;
  readonly encoder: BiLstmEncoder;
  readonly attention: BahdanauAttention;
  readonly decoder: AttentionGruDecoder;

  constructor(
    readonly config: ModelConfig,
    seed = 1,
  ) {
    const c = config;
    this.params = new Params(new Rng(seed));
    const encSize = 2 * c.encoderHiddenSize;
    // A table that is also the output projection starts small, std 1/√E, as output weights do (Glorot);
    // lookups multiply it by √E so the inputs keep unit variance (Vaswani et al. 2017, section 3.4). With
    // a unit-variance table as the output layer, Adam's fixed-size steps (~lr per weight) are tiny next to
    // weights of size ~1 and the logits learn slowly: on the eng-spa data the training loss was 6.41 after
    // ~1.2M target tokens with it and 5.98 with this scaling (the two runs of this session).
    const tiedStd = 1 / Math.sqrt(c.embeddingSize);
    if (c.tiedEmbeddings === 'all') {
      // One table for source words, target words and the output projection (one shared vocabulary).
      this.tgtEmbedding = this.params.embedding('embedding.shared', c.tgtVocabSize, c.embeddingSize, tiedStd);
      this.srcEmbedding = this.tgtEmbedding;
    } else {
      this.srcEmbedding = this.params.embedding('embedding.src', c.srcVocabSize, c.embeddingSize);
      this.tgtEmbedding = this.params.embedding(
        'embedding.tgt',
        c.tgtVocabSize,
        c.embeddingSize,
        c.tiedEmbeddings === 'target' ? tiedStd : 1,
      );
    }
    this.srcScale = c.tiedEmbeddings === 'all' ? Math.sqrt(c.embeddingSize) : 1;
    this.tgtScale = c.tiedEmbeddings === 'none' ? 1 : Math.sqrt(c.embeddingSize);
    this.encoder = new BiLstmEncoder(
      this.params,
      c.embeddingSize,
      c.encoderHiddenSize,
      c.encoderLayers,
      c.dropout,
    );
    this.attention = new BahdanauAttention(this.params, encSize, c.decoderHiddenSize, c.attentionSize);
    this.decoder = new AttentionGruDecoder(
      this.params,
      this.attention,
      c.embeddingSize,
      encSize,
      c.decoderHiddenSize,
      c.outputSize,
      c.tgtVocabSize,
      c.dropout,
      c.outputActivation,
      c.tiedEmbeddings === 'none' ? undefined : (this.tgtEmbedding as tf.Tensor as tf.Tensor2D),
      c.copyAttention,
    );
  }

  /** Encode a batch: h_j, U h_j, the padding mask and s_0. */
  encode(
    srcIds: tf.Tensor2D,
    srcMask: tf.Tensor2D,
    training = false,
    seeds: SeedSource = () => 0,
    padded = true,
  ): EncodedSource {
    const x = dropout(
      this.lookup(this.srcEmbedding, srcIds, this.srcScale) as tf.Tensor3D,
      this.config.dropout,
      training,
      seeds(),
    );
    const { states, final } = this.encoder.forward(x, srcMask, training, seeds, padded);
    const h = dropout(states, this.config.dropout, training, seeds());
    return {
      memory: this.attention.precompute(h, srcMask),
      initialState: this.decoder.initialState(final),
    };
  }

  /** `encode` for search: intermediate tensors are freed, the returned ones are kept (dispose with disposeEncoded). */
  encodeForSearch(srcIds: tf.Tensor2D, srcMask: tf.Tensor2D, padded = true): EncodedSource {
    return tf.tidy(() => {
      const enc = this.encode(srcIds, srcMask, false, () => 0, padded);
      if (this.config.copyAttention) enc.copy = copySource(srcIds);
      return enc as unknown as tf.TensorContainer;
    }) as unknown as EncodedSource;
  }

  /**
   * Teacher-forced decoding of a whole batch: logits for every target position and the attention of
   * every step. The loop holds only the recurrence; the output layer runs once over all steps.
   */
  forceDecode(
    batch: TensorBatch,
    training = false,
    seeds: SeedSource = () => 0,
  ): { logits: tf.Tensor2D; attention: tf.Tensor3D; pGen?: tf.Tensor1D } {
    const [B, T] = batch.tgtIn.shape;
    const enc = this.encode(batch.srcIds, batch.srcMask, training, seeds, batch.srcPadded ?? true);
    const yEmb = dropout(
      this.lookup(this.tgtEmbedding, batch.tgtIn, this.tgtScale) as tf.Tensor3D,
      this.config.dropout,
      training,
      seeds(),
    );
    const yProj = tf.unstack(tf.transpose(this.decoder.projectEmbeddings(yEmb), [1, 0, 2])) as tf.Tensor2D[];
    const merged = this.decoder.mergedProjection.weights();
    let s = enc.initialState;
    const states: tf.Tensor2D[] = [];
    const contexts: tf.Tensor2D[] = [];
    const weights: tf.Tensor2D[] = [];
    for (let t = 0; t < T; t++) {
      const out = this.decoder.step(yProj[t], s, enc.memory, merged);
      s = out.state;
      states.push(s);
      contexts.push(out.context);
      weights.push(out.weights);
    }
    // Batch-major rows (b, t) so that logits line up with tgtOut reshaped to [B*T].
    const rows = (xs: tf.Tensor2D[]) => tf.reshape(tf.stack(xs, 1), [B * T, -1]) as tf.Tensor2D;
    const { logits, pGen } = this.decoder.output(
      rows(states),
      rows(contexts),
      tf.reshape(yEmb, [B * T, -1]) as tf.Tensor2D,
      training,
      seeds(),
    );
    return {
      logits,
      attention: tf.stack(weights, 1) as tf.Tensor3D,
      pGen: pGen && (tf.reshape(pGen, [B * T]) as tf.Tensor1D),
    };
  }

  /**
   * Σ_j a_tj [x_j = y_t] for every target position, [B·T]: the probability the copy distribution gives
   * the reference token.
   */
  private copyProbability(batch: TensorBatch, attention: tf.Tensor3D): tf.Tensor1D {
    if (!batch.copyMatch) throw new Error('a copying model needs batches built with copyMatch');
    return tf.reshape(tf.sum(tf.mul(attention, batch.copyMatch), 2), [-1]) as tf.Tensor1D;
  }

  /**
   * Label-smoothed cross-entropy of a batch, summed over target tokens and divided by `normalizer`
   * (default: the batch's own token count, i.e. the mean per token). With `guideWeight` λ > 0 and a batch
   * that carries guide rows g, plus λ · Σ_t Σ_j −g_tj log a_tj over the same normalizer (guided alignment:
   * src/train/guided-alignment.ts).
   */
  loss(
    batch: TensorBatch,
    training: boolean,
    seeds: SeedSource,
    labelSmoothing: number,
    normalizer?: number,
    guideWeight = 0,
  ): tf.Scalar {
    const { logits, attention, pGen } = this.forceDecode(batch, training, seeds);
    const targets = tf.reshape(batch.tgtOut, [-1]) as tf.Tensor1D;
    const mask = tf.reshape(batch.tgtMask, [-1]) as tf.Tensor1D;
    const total = pGen
      ? copyMixtureCrossEntropy(
          logits,
          targets,
          mask,
          pGen,
          this.copyProbability(batch, attention),
          labelSmoothing,
        )
      : smoothedCrossEntropy(logits, targets, mask, labelSmoothing);
    const guided =
      guideWeight > 0 && batch.guide
        ? tf.add(total, tf.mul(guideWeight, guidedAlignmentCost(attention, batch.guide)))
        : total;
    return tf.div(guided, normalizer ?? tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
  }

  /**
   * Teacher-forced scoring of given targets (forced alignment, rescoring): log p(y_t | y_<t, x) of every
   * target position of `tgtOut` ([B, T], 0 at padding) and the attention a_t of every step ([B, T, S]).
   * No gradient bookkeeping: call inside tf.tidy and read the values out.
   */
  targetLogProbs(batch: TensorBatch): { logProbs: tf.Tensor2D; attention: tf.Tensor3D } {
    const [B, T] = batch.tgtOut.shape;
    const { logits, attention, pGen } = this.forceDecode(batch);
    const V = logits.shape[1];
    const logp = tf.logSoftmax(logits);
    const flat = tf.add(
      tf.mul(tf.range(0, B * T, 1, 'int32'), tf.scalar(V, 'int32')),
      tf.reshape(batch.tgtOut, [-1]),
    );
    let picked = tf.gather(tf.reshape(logp, [-1]), flat) as tf.Tensor1D;
    if (pGen) {
      // log p(y) = log(p_gen · p_vocab(y) + (1 − p_gen) · Σ_j a_tj [x_j = y])
      const mixed = tf.add(
        tf.mul(pGen, tf.exp(picked)),
        tf.mul(tf.sub(1, pGen), this.copyProbability(batch, attention)),
      );
      picked = tf.log(tf.maximum(mixed, 1e-30)) as tf.Tensor1D;
    }
    return { logProbs: tf.mul(tf.reshape(picked, [B, T]), batch.tgtMask) as tf.Tensor2D, attention };
  }

  /** Rows of an embedding table, times `scale` (√E for tied tables). */
  private lookup(table: tf.Variable, ids: tf.Tensor, scale: number): tf.Tensor {
    const rows = tf.gather(table, ids);
    return scale === 1 ? rows : tf.mul(rows, scale);
  }

  /** Embedding of the previous tokens and its GRU input projection, for search. */
  private embedPrevious(prev: tf.Tensor1D): { yEmb: tf.Tensor2D; yProj: tf.Tensor2D } {
    const yEmb = this.lookup(this.tgtEmbedding, prev, this.tgtScale) as tf.Tensor2D;
    return { yEmb, yProj: this.decoder.projectEmbeddings(yEmb) as tf.Tensor2D };
  }

  /** One search step: the logits of p(y_t | y_{t-1}, s_{t-1}, h), the new state and a_t. */
  decodeStep(prev: tf.Tensor1D, s: tf.Tensor2D, enc: EncodedSource): StepOutput {
    const { yEmb, yProj } = this.embedPrevious(prev);
    const out = this.decoder.step(yProj, s, enc.memory, this.decoder.mergedProjection.weightsForSearch());
    const { logits, pGen } = this.decoder.output(out.state, out.context, yEmb, false, 0, true);
    return { logits, state: out.state, attention: out.weights, pGen };
  }

  /** A batch of <s> tokens to start decoding. */
  static bosTokens(batchSize: number): tf.Tensor1D {
    return tf.fill([batchSize], BOS_ID, 'int32') as tf.Tensor1D;
  }

  parameterCount(): number {
    return this.params.count();
  }

  dispose(): void {
    this.decoder.dispose();
    this.params.dispose();
  }
}

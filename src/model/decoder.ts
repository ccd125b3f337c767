/**
 * GRU decoder with Bahdanau attention and a deep output layer:
 *   c_t   = attention(s_{t-1}, h)                         (src/model/attention.ts)
 *   s_t   = GRU([y_{t-1}; c_t], s_{t-1})
 *   o_t   = relu(W_o [s_t; c_t; y_{t-1}] + b_o)           deep output
 *   p_vocab(y_t | y_<t, x) = softmax(W_out o_t + b_out)
 * The initial state comes from a bridge: s_0 = tanh(W_b [→h_last; ←h_first] + b_b).
 * With tied embeddings W_out = Eᵀ, the target embedding table E read backwards (Press & Wolf, 2017; E starts
 * at the scale of an output layer and lookups multiply it by √E_size, see seq2seq.ts).
 * With copying (See et al., 2017) a gate p_gen = σ(w_g·[s_t; c_t; E y_{t-1}] + b_g) is also computed;
 * seq2seq.ts mixes p_gen · p_vocab with (1 − p_gen) · the attention over the source tokens.
 *
 * Shapes: B rows (sentences, or sentences × beams in search), E = embedding size, H = the decoder's
 * state size (Hdec in attention.ts), 2Henc = the encoder's state size, A = attention size, O = deep-output
 * size, V = target vocabulary.
 *
 * Speed: per step there is one matmul on s_{t-1} for both the attention query W s_{t-1} and the GRU's
 * recurrent gates U s_{t-1} (the merged state projection, merged-state-projection.ts), one on c_t, and
 * the embedding part of the GRU input projection is done for all steps at once. The deep output and the
 * vocabulary projection run once over all steps after the loop, as two large matmuls.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Params } from './params.js';
import type { AttentionMemory, BahdanauAttention } from './attention.js';
import { gruUpdate } from './cells.js';
import { type MergedStateWeights, MergedStateProjection } from './merged-state-projection.js';
import { KeptForSearch } from './kept-for-search.js';
import { dropout, linear } from './ops.js';
import { SHAPE_CHECKS, expectShape } from '../util/shape-checks.js';

export interface DecoderStep {
  state: tf.Tensor2D; // s_t [B, H]
  context: tf.Tensor2D; // c_t [B, 2Henc]
  weights: tf.Tensor2D; // a_t [B, S]
}

export class AttentionGruDecoder {
  private readonly wBridge: tf.Tensor2D; // [2Henc, H]
  private readonly bBridge: tf.Tensor1D; // [H]
  private readonly wy: tf.Tensor2D; // [E, 3H] embedding part of the GRU input projection
  private readonly wc: tf.Tensor2D; // [2Henc, 3H] context part of the GRU input projection
  private readonly bx: tf.Tensor1D; // [3H]
  private readonly u: tf.Tensor2D; // [H, 3H] the GRU's recurrent weights U (decoder.gru.Us on disk)
  private readonly bU: tf.Tensor1D; // [3H] (decoder.gru.bs on disk)
  private readonly wo: tf.Tensor2D; // [H + 2Henc + E, O]
  private readonly bo: tf.Tensor1D; // [O]
  /** [O, V], or undefined when tied to the target embedding (then `tiedOutput` is that [V, O] table). */
  readonly wOut?: tf.Tensor2D;
  readonly bOut: tf.Tensor1D; // [V]
  /** The copy gate's weights [H + 2Henc + E, 1] and bias, when the model copies. */
  private readonly wGen?: tf.Tensor2D;
  private readonly bGen?: tf.Tensor1D;
  /** The speed-up that computes W s_{t-1} (attention) and U s_{t-1} (GRU) in one matmul. */
  readonly mergedProjection: MergedStateProjection;
  /**
   * For search with a tied output layer: Eᵀ [O, V], the embedding table transposed once and kept
   * (kept-for-search.ts). Multiplying by E with transposeB in every step made the kernels transpose (or
   * repack) the [V, O] table at every step: greedy 2× slower than with an untied [O, V] matrix.
   */
  private readonly tiedOutputForSearch?: KeptForSearch<{ table: tf.Tensor2D }>;

  constructor(
    params: Params,
    private readonly attention: BahdanauAttention,
    embeddingSize: number,
    /** 2Henc */
    encoderSize: number,
    readonly hiddenSize: number,
    outputSize: number,
    vocabSize: number,
    private readonly dropoutRate: number,
    private readonly outputActivation: 'relu' | 'tanh' = 'relu',
    private readonly tiedOutput?: tf.Tensor2D,
    withCopyGate = false,
  ) {
    const H = hiddenSize;
    this.wBridge = params.matrix('decoder.bridge.W', encoderSize, H) as tf.Tensor2D;
    this.bBridge = params.bias('decoder.bridge.b', H) as tf.Tensor1D;
    this.wy = params.matrix('decoder.gru.Wy', embeddingSize, 3 * H) as tf.Tensor2D;
    this.wc = params.matrix('decoder.gru.Wc', encoderSize, 3 * H) as tf.Tensor2D;
    this.bx = params.bias('decoder.gru.bx', 3 * H) as tf.Tensor1D;
    this.u = params.matrix('decoder.gru.Us', H, 3 * H) as tf.Tensor2D;
    this.bU = params.bias('decoder.gru.bs', 3 * H) as tf.Tensor1D;
    this.wo = params.matrix('decoder.output.W', H + encoderSize + embeddingSize, outputSize) as tf.Tensor2D;
    this.bo = params.bias('decoder.output.b', outputSize) as tf.Tensor1D;
    if (!tiedOutput) this.wOut = params.matrix('decoder.vocab.W', outputSize, vocabSize) as tf.Tensor2D;
    this.bOut = params.bias('decoder.vocab.b', vocabSize) as tf.Tensor1D;
    if (withCopyGate) {
      this.wGen = params.matrix('decoder.copy.w', H + encoderSize + embeddingSize, 1) as tf.Tensor2D;
      this.bGen = params.bias('decoder.copy.b', 1) as tf.Tensor1D;
    }
    this.mergedProjection = new MergedStateProjection(attention, this.u, this.bU);
    if (tiedOutput)
      this.tiedOutputForSearch = new KeptForSearch(
        () => [tiedOutput],
        () => ({ table: tf.transpose(tiedOutput) as tf.Tensor2D }),
      );
  }

  /** s_0 = tanh(W_b [→h_last; ←h_first] + b_b) */
  initialState(encoderFinal: tf.Tensor2D): tf.Tensor2D {
    return tf.tanh(linear(encoderFinal, this.wBridge, this.bBridge)) as tf.Tensor2D;
  }

  /** W_y y for every step at once: [B, T, E] → [B, T, 3H] (plus the input bias). */
  projectEmbeddings(y: tf.Tensor): tf.Tensor {
    return linear(y, this.wy, this.bx);
  }

  /** Frees what the merged projection kept for search (the weights themselves belong to Params). */
  dispose(): void {
    this.mergedProjection.dispose();
    this.tiedOutputForSearch?.dispose();
  }

  /**
   * One decoder step.
   * @param yProj W_y y_{t-1} + b_x, [B, 3H]
   * @param s s_{t-1}, [B, H]
   * @param mem the attention memory of the batch (attention.ts)
   * @param merged [W | U] and [b_W | b_U] (mergedProjection.weights(), or weightsForSearch() in search)
   */
  step(yProj: tf.Tensor2D, s: tf.Tensor2D, mem: AttentionMemory, merged: MergedStateWeights): DecoderStep {
    if (SHAPE_CHECKS) this.checkStep(yProj, s, merged);
    // [W s_{t-1} + b_W | U s_{t-1} + b_U]: the attention query and the GRU's recurrent part
    const { product, query } = this.mergedProjection.project(s, merged);
    const { context, weights } = this.attention.attend(query, mem);
    // s_t = GRU([y_{t-1}; c_t], s_{t-1}), the input part split as W_y y_{t-1} + W_c c_t (cells.ts)
    const gc = tf.matMul(context, this.wc) as tf.Tensor2D;
    const state = gruUpdate(yProj, gc, product, this.mergedProjection.recurrentOffset, s);
    return { state, context, weights };
  }

  private checkStep(yProj: tf.Tensor2D, s: tf.Tensor2D, merged: MergedStateWeights): void {
    const where = 'AttentionGruDecoder.step';
    const H = this.hiddenSize;
    const B = s.shape[0];
    const width = this.mergedProjection.width;
    expectShape(where, 's_{t-1}', s.shape, { B, H });
    expectShape(where, 'yProj W_y y_{t-1} + b_x', yProj.shape, { B, '3H': 3 * H });
    expectShape(where, 'merged weights [W | U]', merged.w.shape, { H, 'A + 3H': width });
    expectShape(where, 'merged bias [b_W | b_U]', merged.b.shape, { 'A + 3H': width });
  }

  /**
   * Deep output, vocabulary logits and (when the model copies) the copy gate, for any number of steps:
   * inputs [N, ·] → logits [N, V], pGen [N, 1]. `forSearch`: the vocabulary product reads matrices kept
   * across steps (search's steps, outside any gradient tape).
   */
  output(
    states: tf.Tensor2D,
    contexts: tf.Tensor2D,
    yEmb: tf.Tensor2D,
    training: boolean,
    seed: number,
    forSearch = false,
  ): { logits: tf.Tensor2D; pGen?: tf.Tensor2D } {
    const input = tf.concat([states, contexts, yEmb], 1) as tf.Tensor2D; // [s_t; c_t; E y_{t-1}]
    // ReLU, not tanh: a saturating tanh here slowed early learning badly (measured on eng-spa, H = 128:
    // mean loss 6.99 after 100 steps with tanh, 6.11 with ReLU; PyTorch reference 6.05). Bahdanau et al.
    // used maxout, also piecewise linear.
    const pre = linear(input, this.wo, this.bo);
    const o = dropout(
      (this.outputActivation === 'relu' ? tf.relu(pre) : tf.tanh(pre)) as tf.Tensor2D,
      this.dropoutRate,
      training,
      seed,
    );
    const logits = this.vocabularyLogits(o, forSearch);
    const pGen =
      this.wGen && this.bGen ? (tf.sigmoid(linear(input, this.wGen, this.bGen)) as tf.Tensor2D) : undefined;
    return { logits, pGen };
  }

  /** W_out o_t + b_out, [N, V]; W_out = Eᵀ when tied. */
  private vocabularyLogits(o: tf.Tensor2D, forSearch: boolean): tf.Tensor2D {
    if (!this.tiedOutput) return linear(o, this.wOut as tf.Tensor2D, this.bOut) as tf.Tensor2D;
    if (forSearch && this.tiedOutputForSearch)
      return linear(o, this.tiedOutputForSearch.get().table, this.bOut) as tf.Tensor2D;
    return tf.add(tf.matMul(o, this.tiedOutput, false, true), this.bOut) as tf.Tensor2D;
  }
}

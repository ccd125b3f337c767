/**
 * Greedy decoding, batched over sentences: at each step take argmax_y p(y | y_<t, x).
 * Returns tokens, their summed log-probability and, when asked, the attention row of every emitted token.
 */
import * as tf from '@tensorflow/tfjs-core';
import { EOS_ID } from '../tokenizer/special-ids.js';
import { Seq2Seq, disposeEncoded } from '../model/seq2seq.js';
import { padIds } from '../data/batching.js';
import { greedyPick } from './step-scores.js';
import { bannedNext, repeatableTokens } from './stutter.js';

export interface Hypothesis {
  /** Target ids, without </s>. */
  tokens: number[];
  /** Sum of log-probabilities of the tokens and of </s> (when it was produced). */
  logProb: number;
  /** Length-normalised score used to rank hypotheses (greedy: same as logProb). */
  score: number;
  /** a_tj for every emitted token (and </s>): [tokens + 1][source length incl. </s>]. */
  attention?: number[][];
  /** p_gen of every emitted token (and </s>), for copying models: near 0 = copied from the source. */
  pGen?: number[];
}

export interface SearchOptions {
  /** Maximum output length as a multiple of the source length (plus `maxLenExtra`). */
  maxLenRatio?: number;
  maxLenExtra?: number;
  /** Keep the attention rows and, for copying models, p_gen (costs a copy per step). */
  withAttention?: boolean;
  /**
   * Never emit a subword twice in a row unless the source has it twice in a row (src/search/stutter.ts).
   * Only for models with one vocabulary for both sides.
   */
  blockStutter?: boolean;
}

export function maxOutputLength(srcLen: number, opts: SearchOptions): number {
  return Math.ceil(srcLen * (opts.maxLenRatio ?? 2)) + (opts.maxLenExtra ?? 5);
}

/** @param src source ids per sentence, each ending in </s> */
export function greedySearch(model: Seq2Seq, src: number[][], opts: SearchOptions = {}): Hypothesis[] {
  const B = src.length;
  const { ids, mask } = padIds(src);
  const S = ids.shape[1];
  const limits = src.map((s) => maxOutputLength(s.length, opts));
  const maxT = Math.max(...limits);
  const repeatable = opts.blockStutter ? src.map(repeatableTokens) : undefined;
  const hyps: Hypothesis[] = src.map(() => ({
    tokens: [],
    logProb: 0,
    score: 0,
    attention: opts.withAttention ? [] : undefined,
    pGen: opts.withAttention && model.config.copyAttention ? [] : undefined,
  }));
  const done = new Array<boolean>(B).fill(false);
  const enc = model.encodeForSearch(ids, mask, new Set(src.map((s) => s.length)).size > 1);
  let state = enc.initialState;
  let prev: tf.Tensor1D | undefined = Seq2Seq.bosTokens(B);
  try {
    for (let t = 0; t < maxT && done.includes(false); t++) {
      // Stutter blocking: each row's previous token, unless the source has it twice in a row.
      const banned = repeatable
        ? tf.tensor1d(
            hyps.map((h, b) => bannedNext(h.tokens, repeatable[b])),
            'int32',
          )
        : undefined;
      const next = tf.tidy(() => {
        const out = model.decodeStep(prev as tf.Tensor1D, state, enc);
        const { ids: best, logProbs: bestLogProb } = greedyPick(out, enc.copy, banned);
        return {
          state: out.state,
          best,
          bestLogProb,
          attention: opts.withAttention ? out.attention : undefined,
          pGen: opts.withAttention ? out.pGen : undefined,
        };
      });
      banned?.dispose();
      const best = next.best.dataSync() as Int32Array;
      const lp = next.bestLogProb.dataSync() as Float32Array;
      const att = next.attention ? (next.attention.dataSync() as Float32Array) : undefined;
      const gate = next.pGen ? (next.pGen.dataSync() as Float32Array) : undefined;
      for (let b = 0; b < B; b++) {
        if (done[b]) continue;
        const h = hyps[b];
        h.logProb += lp[b];
        if (att && h.attention) h.attention.push(Array.from(att.subarray(b * S, b * S + src[b].length)));
        if (gate && h.pGen) h.pGen.push(gate[b]);
        if (best[b] === EOS_ID) done[b] = true;
        else {
          h.tokens.push(best[b]);
          if (h.tokens.length >= limits[b]) done[b] = true;
        }
      }
      if (state !== enc.initialState) state.dispose();
      prev?.dispose();
      next.bestLogProb.dispose();
      next.attention?.dispose();
      next.pGen?.dispose();
      state = next.state;
      prev = next.best;
    }
  } finally {
    if (state !== enc.initialState) state.dispose();
    prev?.dispose();
    tf.dispose([ids, mask]);
    disposeEncoded(enc);
  }
  for (const h of hyps) h.score = h.logProb;
  return hyps;
}

/**
 * Beam search, batched over sentences and beams (B sentences × K beams = B·K decoder rows per step).
 *
 * Scores: hypotheses are ranked by log p(y|x) / lp(y) + cp(x; y) with the GNMT length penalty
 * lp(y) = ((5 + |y|) / 6)^α (|y| counts </s>) and coverage penalty cp (below); α = β = 0 ranks by
 * log-probability alone.
 * The top 2K candidates of each sentence are chosen on the device (one topk over K·V scores), so only
 * 2K numbers per sentence are copied out per step. A hypothesis that emits </s> moves to the finished
 * list; a sentence stops when K hypotheses have finished, when its best candidate of a step is </s>
 * with at least `nbest` finished, or at the maximum length (unfinished beams are then kept as they are).
 * With K = 1 this is exactly greedy search (test/search.test.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { EOS_ID } from '../tokenizer/special-ids.js';
import { Seq2Seq, copySource, disposeEncoded, type EncodedSource } from '../model/seq2seq.js';
import { padIds } from '../data/batching.js';
import { type Hypothesis, type SearchOptions, maxOutputLength } from './greedy.js';
import { logProbsPlus } from './step-scores.js';
import { bannedNext, repeatableTokens } from './stutter.js';

export interface BeamOptions extends SearchOptions {
  beamSize: number;
  nbest?: number;
  lengthPenalty?: number;
  /**
   * GNMT coverage penalty β (Wu et al. 2016, eq. 14): finished hypotheses get β · Σ_j log(min(Σ_t a_tj, 1))
   * added to their score, so a translation that never attended to some source words (a dropped verb)
   * ranks lower. 0 = off. The sum runs over the source tokens, not </s>.
   */
  coveragePenalty?: number;
}

interface Alive {
  tokens: number[];
  logProb: number;
  attention?: number[][];
  pGen?: number[];
  /** Σ_t a_tj so far, per source position (only with a coverage penalty). */
  coverage?: Float32Array;
}

/** GNMT length penalty α used when none is given: translate, evaluate, the translator, validation, bench. */
export const DEFAULT_LENGTH_PENALTY = 0.6;

/**
 * GNMT coverage penalty β used when none is given. 0.2 (Wu et al.'s best value) was chosen on the validation
 * files with the shipped eng-spa model, all pairs, beam 5: tatoeba2021.dev 34.87 → 34.90 BLEU,
 * news.dev 12.65 → 13.00 (docs/ABLATION.md).
 */
export const DEFAULT_COVERAGE_PENALTY = 0.2;

export function lengthPenalty(length: number, alpha: number): number {
  return alpha === 0 ? 1 : Math.pow((5 + length) / 6, alpha);
}

/** β · Σ_j log(min(c_j, 1)) over the first `n` positions (the source tokens before </s>). */
export function coverageTerm(coverage: Float32Array | undefined, n: number, beta: number): number {
  if (!coverage || beta === 0) return 0;
  let sum = 0;
  for (let j = 0; j < n; j++) sum += Math.log(Math.max(Math.min(coverage[j], 1), 1e-9));
  return beta * sum;
}

/** Repeat every row of `x` K times along axis 0 (sentence b's beams are rows b·K … b·K+K−1). */
function tileBeams<T extends tf.Tensor>(x: T, K: number): T {
  const idx = tf.tensor1d(
    Array.from({ length: x.shape[0] * K }, (_, i) => Math.floor(i / K)),
    'int32',
  );
  const out = tf.gather(x, idx) as T;
  idx.dispose();
  return out;
}

/** @param src source ids per sentence, each ending in </s>; returns up to nbest hypotheses each, best first. */
export function beamSearch(model: Seq2Seq, src: number[][], opts: BeamOptions): Hypothesis[][] {
  const K = opts.beamSize;
  const nbest = Math.min(opts.nbest ?? 1, K);
  const alpha = opts.lengthPenalty ?? 0;
  const beta = opts.coveragePenalty ?? 0;
  const readAttention = opts.withAttention || beta > 0;
  const B = src.length;
  const V = model.config.tgtVocabSize;
  const { ids, mask } = padIds(src);
  const S = ids.shape[1];
  const limits = src.map((s) => maxOutputLength(s.length, opts));
  const maxT = Math.max(...limits);
  const repeatable = opts.blockStutter ? src.map(repeatableTokens) : undefined;

  const enc0 = model.encodeForSearch(ids, mask, new Set(src.map((s) => s.length)).size > 1);
  const enc: EncodedSource = tf.tidy(
    () =>
      ({
        memory: {
          states: tileBeams(enc0.memory.states, K),
          keys: tileBeams(enc0.memory.keys, K),
          maskBias: tileBeams(enc0.memory.maskBias, K),
        },
        initialState: tileBeams(enc0.initialState, K),
        copy: enc0.copy ? copySource(tileBeams(ids, K)) : undefined,
      }) as unknown as tf.TensorContainer,
  ) as unknown as EncodedSource;
  disposeEncoded(enc0);
  tf.dispose([ids, mask]);

  // alive[b][k]; beams beyond the first start dead (score −∞) so the first step has no duplicates.
  let alive: (Alive | null)[][] = src.map(() =>
    Array.from({ length: K }, (_, k) =>
      k === 0
        ? {
            tokens: [],
            logProb: 0,
            attention: opts.withAttention ? [] : undefined,
            pGen: opts.withAttention && model.config.copyAttention ? [] : undefined,
            coverage: beta > 0 ? new Float32Array(S) : undefined,
          }
        : null,
    ),
  );
  const finished: Hypothesis[][] = src.map(() => []);
  const done = new Array<boolean>(B).fill(false);
  let state = enc.initialState;
  let prev = Seq2Seq.bosTokens(B * K);

  const finish = (b: number, h: Alive, withEos: boolean) => {
    const length = h.tokens.length + (withEos ? 1 : 0);
    finished[b].push({
      tokens: h.tokens,
      logProb: h.logProb,
      score: h.logProb / lengthPenalty(length, alpha) + coverageTerm(h.coverage, src[b].length - 1, beta),
      attention: h.attention,
      pGen: h.pGen,
    });
  };

  try {
    for (let t = 0; t < maxT && done.includes(false); t++) {
      const beamScores = new Float32Array(B * K);
      for (let b = 0; b < B; b++)
        for (let k = 0; k < K; k++)
          beamScores[b * K + k] = alive[b][k] && !done[b] ? alive[b][k]!.logProb : -Infinity;
      const step = tf.tidy(() => {
        const out = model.decodeStep(prev, state, enc);
        const total = logProbsPlus(out, tf.tensor1d(beamScores), enc.copy);
        const { values, indices } = tf.topk(tf.reshape(total, [B, K * V]), 2 * K);
        return {
          state: out.state,
          values,
          indices,
          attention: readAttention ? out.attention : undefined,
          pGen: opts.withAttention ? out.pGen : undefined,
        };
      });
      const values = step.values.dataSync() as Float32Array;
      const indices = step.indices.dataSync() as Int32Array;
      const att = step.attention ? (step.attention.dataSync() as Float32Array) : undefined;
      const gate = step.pGen ? (step.pGen.dataSync() as Float32Array) : undefined;
      const nextAlive: (Alive | null)[][] = src.map(() => new Array<Alive | null>(K).fill(null));
      const origin = new Int32Array(B * K);
      const nextTokens = new Int32Array(B * K).fill(EOS_ID);
      for (let b = 0; b < B; b++) {
        for (let k = 0; k < K; k++) origin[b * K + k] = b * K; // dead rows follow beam 0 (ignored)
        if (done[b]) continue;
        let filled = 0;
        for (let c = 0; c < 2 * K && filled < K; c++) {
          const score = values[b * 2 * K + c];
          if (score === -Infinity) break;
          const flat = indices[b * 2 * K + c];
          const k = Math.floor(flat / V);
          const token = flat % V;
          const parent = alive[b][k];
          if (!parent) continue;
          if (repeatable && token === bannedNext(parent.tokens, repeatable[b])) continue;
          const row = b * K + k;
          let coverage: Float32Array | undefined;
          if (parent.coverage && att) {
            coverage = parent.coverage.slice();
            for (let j = 0; j < S; j++) coverage[j] += att[row * S + j];
          }
          const attention =
            parent.attention && att
              ? [...parent.attention, Array.from(att.subarray(row * S, row * S + src[b].length))]
              : undefined;
          const pGen = parent.pGen && gate ? [...parent.pGen, gate[row]] : undefined;
          if (token === EOS_ID) {
            finish(b, { tokens: parent.tokens, logProb: score, attention, pGen, coverage }, true);
            if (c === 0 && finished[b].length >= nbest) break; // best candidate ended: this sentence is done
            continue;
          }
          const child: Alive = {
            tokens: [...parent.tokens, token],
            logProb: score,
            attention,
            pGen,
            coverage,
          };
          if (child.tokens.length >= limits[b]) {
            finish(b, child, false);
            continue;
          }
          nextAlive[b][filled] = child;
          origin[b * K + filled] = row;
          nextTokens[b * K + filled] = token;
          filled++;
        }
        const bestEnded = indices[b * 2 * K] % V === EOS_ID && finished[b].length >= nbest;
        if (filled === 0 || finished[b].length >= K || bestEnded) done[b] = true;
      }
      const originT = tf.tensor1d(origin, 'int32');
      const newState = tf.gather(step.state, originT) as tf.Tensor2D;
      tf.dispose([originT, step.state, step.values, step.indices]);
      step.attention?.dispose();
      step.pGen?.dispose();
      if (state !== enc.initialState) state.dispose();
      prev.dispose();
      state = newState;
      prev = tf.tensor1d(nextTokens, 'int32');
      alive = nextAlive;
    }
    // Sentences cut by the length limit keep their alive beams as (unfinished) hypotheses.
    for (let b = 0; b < B; b++) {
      if (finished[b].length >= nbest) continue;
      for (const h of alive[b]) if (h) finish(b, h, false);
    }
  } finally {
    if (state !== enc.initialState) state.dispose();
    prev.dispose();
    disposeEncoded(enc);
  }
  return finished.map((hs) => hs.sort((x, y) => y.score - x.score).slice(0, Math.max(nbest, 1)));
}

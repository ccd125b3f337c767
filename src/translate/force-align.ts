/**
 * Forced alignment: teacher-forced decoding of a translation someone else wrote. The decoder is fed the
 * given target y_1 … y_n instead of its own choices, so at every step it yields the attention a_t over
 * the source (the alignment) and log p(y_t | y_<t, x) (how likely the model finds that word there).
 * With the model's own greedy output as the target, the result equals the attention of that translation.
 * This is what `marian-scorer --alignment` and fairseq's `--print-alignment` scoring do; here it is
 * `Translator.align`, `npm run align`, `POST /api/align` and the page's "Check a translation" mode.
 *
 * From subwords to words (see alignment.ts for the segmentation rules), target word i, source word j:
 *   W[i][j] = targetPieces over the subwords t of i of ( sourcePieces over the subwords s of j of a_ts )
 * and each target word is linked to its highest-weighted source word (argmax), written "j-i" (Pharaoh).
 * The defaults (`own` step, `sum` over source pieces, `mean` over target pieces) are what the translate
 * page draws (alignment.ts `wordAlignment`); the method is a parameter so that others can be measured
 * (AER, src/metrics/aer.ts) and chosen without touching the callers.
 *
 * Pre-tokenized input (research data: space-separated, often lower-cased words, "de le" for "du"): the
 * model's subwords are mapped back onto exactly the given words, so word indices match the gold file.
 */
import * as tf from '@tensorflow/tfjs-core';
import { toTensorBatch, type Example } from '../data/batching.js';
import { normalizeText } from '../data/readers.js';
import type { LoadedModel } from './model-dir.js';
import type { Seq2Seq } from '../model/seq2seq.js';
import { argmaxLinks, attentionLabels, pharaoh, segmentWords } from './alignment.js';
import { recase } from './recase.js';
import type { Lexicon } from '../lexalign/lexicon.js';

export interface AlignPair {
  source: string;
  target: string;
}

export interface LinkMethod {
  /**
   * Where the word links come from: the model's attention (the fields below), or the statistical word
   * aligner saved with the model (`lexicon.json`, src/lexalign/lexicon.ts), which aligns the words
   * themselves. The matrices are attention either way.
   */
  links?: 'attention' | 'lexicon';
  /**
   * Which attention row a target subword y_t gets: `own` is a_t, computed from s_{t-1} when the decoder
   * was about to predict y_t; `next` is a_{t+1}, computed after the decoder has read y_t (attention often
   * lags one word behind: Luong et al. 2015, Koehn & Knowles 2017).
   */
  step: 'own' | 'next';
  /** How a source word's subwords combine: the mass the word received (`sum`) or its best piece (`max`). */
  sourcePieces: 'sum' | 'max';
  /** How a target word's subword rows combine. */
  targetPieces: 'mean' | 'max';
}

/** What the page and the API draw today: the same numbers as alignment.ts `wordAlignment`. */
export const DEFAULT_LINK_METHOD: LinkMethod = { step: 'own', sourcePieces: 'sum', targetPieces: 'mean' };

/** One line for people: how the links on the page are made. */
export function describeLinkMethod(m: LinkMethod = DEFAULT_LINK_METHOD, lexicon?: Lexicon): string {
  if (m.links === 'lexicon' && lexicon) return lexicon.describe();
  return (
    `Each output word is linked to the input word that got the most attention ` +
    `${m.step === 'own' ? 'while the model produced it' : 'on the step after the model produced it'} ` +
    `(attention ${m.sourcePieces === 'sum' ? 'summed' : 'maximised'} over an input word's subwords, ` +
    `${m.targetPieces === 'mean' ? 'averaged' : 'maximised'} over an output word's).`
  );
}

export interface AlignOptions {
  /** Words are the space-separated tokens of the input, not the tokenizer's words. */
  pretokenized?: boolean;
  method?: Partial<LinkMethod>;
  /** Sentences per forward pass (default 32). */
  batchSize?: number;
  /**
   * Re-case a side written in one case (lower-cased research data) with the model's vocabulary before
   * aligning it, as translation does (src/translate/recase.ts); the words keep the casing given. Default true.
   */
  recase?: boolean;
}

export interface ForcedAlignment {
  /** The texts as aligned (after the translator's whitespace/Unicode clean-up). */
  source: string;
  target: string;
  /** The re-cased texts the model read, when a side was written in one case. */
  recased?: { source: string; target: string };
  /** Subwords, each side ending with </s>. */
  sourceTokens: string[];
  targetTokens: string[];
  /** attention[t][s]: weight of source subword s at target step t (last row: </s>). */
  attention: number[][];
  /** log p(y_t | y_<t, x) of every target subword, </s> last. */
  tokenLogProbs: number[];
  /** Σ tokenLogProbs: the log-probability of the whole target, </s> included. */
  logProb: number;
  sourceWords: string[];
  targetWords: string[];
  /** wordMatrix[i][j]: target word i, source word j (see LinkMethod). */
  wordMatrix: number[][];
  /** [source word, target word] pairs, sorted. */
  links: [number, number][];
  pharaoh: string;
  /** log p of each target word: the sum over its subwords (p of the whole word given what precedes it). */
  wordLogProbs: number[];
  /** log p(</s>): low when the model expected the translation to go on. */
  endLogProb: number;
  method: LinkMethod;
  /** How the links were made, in one line for people (describeLinkMethod). */
  linkDescription: string;
}

/** Teacher-forced scores of one pair, as plain numbers. */
export interface ForcedScores {
  /** [target length + 1] (</s> last). */
  logProbs: number[];
  /** [target length + 1][source length + 1]. */
  attention: number[][];
}

/**
 * Teacher-forced log-probabilities and attention of id sequences (no specials: </s> and <s> are added).
 * Length-sorted batches; every tensor is freed before this returns.
 */
export function forceDecodeIds(
  model: Seq2Seq,
  src: readonly (readonly number[])[],
  tgt: readonly (readonly number[])[],
  batchSize = 32,
): ForcedScores[] {
  if (src.length !== tgt.length)
    throw new Error(`forceDecodeIds: ${src.length} sources, ${tgt.length} targets`);
  const out = new Array<ForcedScores>(src.length);
  const order = [...src.keys()].sort(
    (a, b) => src[a].length - src[b].length || tgt[a].length - tgt[b].length,
  );
  for (let k = 0; k < order.length; k += batchSize) {
    const chunk = order.slice(k, k + batchSize);
    const examples: Example[] = chunk.map((i) => ({ src: [...src[i]], tgt: [...tgt[i]] }));
    // Everything made inside (the batch tensors included) is freed when tidy returns plain arrays.
    const { lp, att, T, S } = tf.tidy(() => {
      const r = model.targetLogProbs(toTensorBatch(examples, model.config.copyAttention));
      return {
        lp: r.logProbs.dataSync() as Float32Array,
        att: r.attention.dataSync() as Float32Array,
        T: r.logProbs.shape[1],
        S: r.attention.shape[2],
      };
    });
    chunk.forEach((i, b) => {
      const n = tgt[i].length + 1;
      const m = src[i].length + 1;
      const rows: number[][] = [];
      for (let t = 0; t < n; t++) {
        const off = (b * T + t) * S;
        rows.push(Array.from(att.subarray(off, off + m)));
      }
      out[i] = { logProbs: Array.from(lp.subarray(b * T, b * T + n)), attention: rows };
    });
  }
  return out;
}

const MARKER = /^(▁|Ġ|##)/;

const SPECIAL = /^<(\/s|s|pad)>$/;

/**
 * wordOf[k] when the pieces spell `words` character by character (case aside; -1 for specials), else
 * undefined: the exact mapping, for callers that would rather have none than a guess (guided alignment).
 */
export function piecesToWordsByChars(
  pieces: readonly string[],
  words: readonly string[],
): number[] | undefined {
  const text = words.join('').toLowerCase();
  const wordAt: number[] = [];
  words.forEach((w, i) => {
    for (let c = 0; c < w.toLowerCase().length; c++) wordAt.push(i);
  });
  if (text.length !== wordAt.length) return undefined;
  const byChars: number[] = [];
  let pos = 0;
  for (const p of pieces) {
    if (SPECIAL.test(p)) {
      byChars.push(-1);
      continue;
    }
    // <unk> stands for one character the vocabulary lacks.
    const s = p === '<unk>' ? text.slice(pos, pos + 1) : p.replace(MARKER, '').toLowerCase();
    if (s.length === 0 || !text.startsWith(s, pos)) {
      // An empty piece (a lone "▁") belongs to the word that follows.
      if (s.length === 0 && pos < text.length) byChars.push(wordAt[pos]);
      else return undefined;
      continue;
    }
    byChars.push(wordAt[pos]);
    pos += s.length;
  }
  return pos === text.length ? byChars : undefined;
}

/**
 * wordOf[k]: which of `words` subword k belongs to (-1 for specials). By characters when the pieces spell
 * the words (case aside); else by the tokenizer's word-start markers when they give as many words; else
 * spread evenly (a tokenizer that rewrites text beyond recognition still gets an answer).
 */
export function mapPiecesToWords(pieces: readonly string[], words: readonly string[]): number[] {
  const byChars = piecesToWordsByChars(pieces, words);
  if (byChars) return byChars;
  const special = (p: string) => SPECIAL.test(p);
  const seg = segmentWords(pieces);
  if (seg.words.length === words.length) return seg.wordOf;
  const ordinary = pieces.filter((p) => !special(p)).length;
  let k = 0;
  return pieces.map((p) =>
    special(p) ? -1 : Math.min(words.length - 1, Math.floor((k++ * words.length) / ordinary)),
  );
}

/** Subword attention → word matrix (see the header and LinkMethod). */
export function aggregateWords(
  attention: readonly (readonly number[])[],
  srcWordOf: readonly number[],
  srcWords: number,
  tgtWordOf: readonly number[],
  tgtWords: number,
  method: LinkMethod = DEFAULT_LINK_METHOD,
): number[][] {
  const matrix = Array.from({ length: tgtWords }, () => new Array<number>(srcWords).fill(0));
  const pieces = new Array<number>(tgtWords).fill(0);
  tgtWordOf.forEach((i, t) => {
    const row = attention[method.step === 'next' ? t + 1 : t] ?? attention[t];
    if (i < 0 || !row) return;
    const byWord = new Array<number>(srcWords).fill(0);
    row.forEach((a, s) => {
      const j = srcWordOf[s];
      if (j === undefined || j < 0) return;
      byWord[j] = method.sourcePieces === 'sum' ? byWord[j] + a : Math.max(byWord[j], a);
    });
    pieces[i]++;
    byWord.forEach((v, j) => {
      matrix[i][j] = method.targetPieces === 'mean' ? matrix[i][j] + v : Math.max(matrix[i][j], v);
    });
  });
  if (method.targetPieces === 'mean') {
    matrix.forEach((row, i) => row.forEach((_, j) => (row[j] /= Math.max(1, pieces[i]))));
  }
  return matrix;
}

/**
 * The words of one side and the word of each subword. `text` is the side as given; `tokens` may come from
 * its re-cased form, whose words then take back the given casing (re-casing changes letters' case only).
 */
function words(tokens: readonly string[], text: string, pretokenized: boolean) {
  const given = text === '' ? [] : text.split(' ');
  if (pretokenized) return { words: given, wordOf: mapPiecesToWords(tokens, given) };
  // The text is normalised (single spaces), so its spaces give the typed words.
  const seg = segmentWords(tokens);
  const sameWords =
    seg.words.length === given.length &&
    seg.words.every((w, i) => w.toLowerCase() === given[i].toLowerCase());
  return sameWords ? { words: given, wordOf: seg.wordOf } : seg;
}

/** Forced alignment of pairs with a loaded model (Translator.align is the public door). */
export function forceAlign(
  loaded: LoadedModel,
  pairs: readonly AlignPair[],
  opts: AlignOptions = {},
): ForcedAlignment[] {
  const { model, srcTokenizer, tgtTokenizer, lexicon } = loaded;
  const method: LinkMethod = {
    ...DEFAULT_LINK_METHOD,
    links: lexicon ? 'lexicon' : 'attention',
    ...opts.method,
  };
  if (method.links === 'lexicon' && !lexicon)
    throw new Error(`links from the lexicon: the model folder ${loaded.dir} has no lexicon.json`);
  const texts = pairs.map((p) => ({ source: normalizeText(p.source), target: normalizeText(p.target) }));
  const read = texts.map((p) => {
    const source = opts.recase === false ? undefined : recase(srcTokenizer, p.source);
    const target = opts.recase === false ? undefined : recase(tgtTokenizer, p.target);
    return source === undefined && target === undefined
      ? undefined
      : { source: source ?? p.source, target: target ?? p.target };
  });
  const srcIds = texts.map((p, k) => srcTokenizer.encode(read[k]?.source ?? p.source));
  const tgtIds = texts.map((p, k) => tgtTokenizer.encode(read[k]?.target ?? p.target));
  const scores = forceDecodeIds(model, srcIds, tgtIds, opts.batchSize ?? 32);
  return texts.map((p, k) => {
    const { logProbs, attention } = scores[k];
    const sourceTokens = attentionLabels(srcTokenizer.tokens(srcIds[k]));
    const targetTokens = attentionLabels(tgtTokenizer.tokens(tgtIds[k]));
    const src = words(sourceTokens, p.source, opts.pretokenized ?? false);
    const tgt = words(targetTokens, p.target, opts.pretokenized ?? false);
    const wordMatrix = aggregateWords(
      attention,
      src.wordOf,
      src.words.length,
      tgt.wordOf,
      tgt.words.length,
      method,
    );
    const links =
      src.words.length === 0
        ? []
        : method.links === 'lexicon' && lexicon
          ? lexicon.alignChunks(src.words, tgt.words)
          : argmaxLinks(wordMatrix);
    const wordLogProbs = new Array<number>(tgt.words.length).fill(0);
    tgt.wordOf.forEach((i, t) => {
      if (i >= 0) wordLogProbs[i] += logProbs[t];
    });
    return {
      source: p.source,
      target: p.target,
      ...(read[k] ? { recased: read[k] } : {}),
      sourceTokens,
      targetTokens,
      attention,
      tokenLogProbs: logProbs,
      logProb: logProbs.reduce((a, b) => a + b, 0),
      sourceWords: src.words,
      targetWords: tgt.words,
      wordMatrix,
      links,
      pharaoh: pharaoh(links),
      wordLogProbs,
      endLogProb: logProbs[logProbs.length - 1],
      method,
      linkDescription: describeLinkMethod(method, lexicon),
    };
  });
}

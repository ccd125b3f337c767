/**
 * Translation and forced-alignment results → what the views and the API render: the n-best list, word and
 * subword attention matrices as heatmaps (shade buckets, not inline styles, under the CSP), word links, the
 * Pharaoh alignment string, and for a checked translation how likely the model finds each word.
 */
import { attentionLabels, pharaoh, segmentWords, wordAlignment } from '../translate/alignment.js';
import { DEFAULT_LINK_METHOD, describeLinkMethod, type ForcedAlignment } from '../translate/force-align.js';
import type { Translation, TranslationHypothesis } from '../translate/translator.js';
import { round } from './format.js';

export interface HeatmapCell {
  level: number;
  text: string;
  label: string;
}

export interface Heatmap {
  id: string;
  caption: string;
  cols: string[];
  rows: string[];
  cells: HeatmapCell[][];
  /** Rows produced mostly by copying from the source (p_gen < 0.5), marked beside the row label. */
  copiedRows?: boolean[];
}

/** Shade bucket 0–10 for a weight in [0, 1] (CSS classes w0…w10: no inline styles under the CSP). */
function level(w: number): number {
  return Math.max(0, Math.min(10, Math.round(w * 10)));
}

function heatmap(
  id: string,
  caption: string,
  cols: string[],
  rows: string[],
  m: readonly (readonly number[])[],
) {
  return {
    id,
    caption,
    cols,
    rows,
    cells: rows.map((r, i) =>
      cols.map((c, j) => {
        const w = m[i]?.[j] ?? 0;
        return {
          level: level(w),
          text: w.toFixed(2).replace(/^0\./, '.'),
          label: `${r} ← ${c}: ${w.toFixed(2)}`,
        };
      }),
    ),
  } satisfies Heatmap;
}

export interface PageResult {
  source: string;
  /** The re-cased input that was translated, when the input was written in one case. */
  recased?: string;
  translation: string;
  ms: number;
  beam: number;
  nbest: { text: string; score: string; logProb: string }[];
  word?: Heatmap;
  subword?: Heatmap;
  pharaoh: string;
  links: { source: string; target: string }[];
  /** One line: how the links are made. */
  linkMethod: string;
  /** Copying models: each output word with its copy share 1 − p_gen (mean over its subwords). */
  copy?: { word: string; share: number; copied: boolean }[];
}

/** A word counts as copied when most of its probability came from the copy distribution. */
export const COPIED = 0.5;

/**
 * Per target word, the share of p(y) that came from copying, 1 − p_gen, averaged over the word's subwords
 * (See et al. 2017's p_gen, returned per subword by the search; src/model/decoder.ts).
 */
export function copyShares(
  tokens: readonly string[],
  pGen: readonly number[],
): { word: string; share: number; copied: boolean }[] {
  const { words, wordOf } = segmentWords(tokens);
  const sum = new Array<number>(words.length).fill(0);
  const n = new Array<number>(words.length).fill(0);
  wordOf.forEach((w, k) => {
    if (w < 0 || pGen[k] === undefined) return;
    sum[w] += 1 - pGen[k];
    n[w]++;
  });
  return words.map((word, i) => {
    const share = n[i] > 0 ? sum[i] / n[i] : 0;
    return { word, share, copied: share >= COPIED };
  });
}

/** The translate page's result: best translation, n-best list and, with attention, the two heatmaps. */
export function pageResult(t: Translation, beam: number, ms: number): PageResult {
  const best = t.hypotheses[0];
  const result: PageResult = {
    source: t.source,
    ...(t.recased !== undefined ? { recased: t.recased } : {}),
    translation: best?.text ?? '',
    ms,
    beam,
    nbest: t.hypotheses.map((h) => ({
      text: h.text,
      score: h.score.toFixed(3),
      logProb: h.logProb.toFixed(3),
    })),
    pharaoh: '',
    links: [],
    // alignment.ts wordAlignment computes what DEFAULT_LINK_METHOD describes (test/force-align.test.ts).
    linkMethod: t.linkMethod ?? describeLinkMethod(DEFAULT_LINK_METHOD),
  };
  if (best && t.sourceTokens && best.tokens && best.attention) {
    const wa = wordAlignment(t.sourceTokens, best.tokens, best.attention);
    if (best.pGen) result.copy = copyShares(best.tokens, best.pGen);
    if (wa.targetWords.length > 0 && wa.sourceWords.length > 0) {
      result.word = heatmap('words', 'Word alignment', wa.sourceWords, wa.targetWords, wa.matrix);
      if (result.copy) result.word.copiedRows = result.copy.map((c) => c.copied);
      const links = best.links ?? wa.links;
      result.pharaoh = pharaoh(links);
      result.links = links.map(([s, tg]) => ({ source: wa.sourceWords[s], target: wa.targetWords[tg] }));
    }
    const rows = attentionLabels(best.tokens, best.attention.length);
    result.subword = heatmap('subwords', 'Subword attention', t.sourceTokens, rows, best.attention);
    if (best.pGen) result.subword.copiedRows = best.pGen.map((g) => 1 - g >= COPIED);
  }
  return result;
}

/** The API's `alignment` object: subword attention, word matrix and Pharaoh links (4 decimals). */
export function apiAlignment(t: Translation, h: TranslationHypothesis) {
  if (!t.sourceTokens || !h.tokens || !h.attention) return undefined;
  const wa = wordAlignment(t.sourceTokens, h.tokens, h.attention);
  return {
    sourceTokens: t.sourceTokens,
    targetTokens: attentionLabels(h.tokens, h.attention.length),
    attention: h.attention.map((row) => row.map((x) => round(x))),
    sourceWords: wa.sourceWords,
    targetWords: wa.targetWords,
    wordMatrix: wa.matrix.map((row) => row.map((x) => round(x))),
    pharaoh: pharaoh(h.links ?? wa.links),
    /** Where the links come from: the model folder's statistical aligner, or the attention. */
    links: h.links ? 'lexicon' : 'attention',
    // Copying models: p_gen per target subword (</s> last); near 0 = copied from the source.
    ...(h.pGen
      ? {
          pGen: h.pGen.map((g) => round(g)),
          copiedWords: copyShares(h.tokens, h.pGen)
            .filter((c) => c.copied)
            .map((c) => c.word),
        }
      : {}),
  };
}

/** Below this probability a word is marked unlikely; below LIKELY, doubtful. */
export const UNLIKELY = 0.1;
export const LIKELY = 0.5;

export interface WordLikelihood {
  word: string;
  probability: number;
  /** "87%", "<1%", ">99%". */
  pct: string;
  level: 'likely' | 'doubtful' | 'unlikely';
}

function likelihood(word: string, logProb: number): WordLikelihood {
  const p = Math.exp(logProb);
  const pct = p < 0.01 ? '<1%' : p > 0.99 ? '>99%' : `${Math.round(100 * p)}%`;
  return { word, probability: p, pct, level: p < UNLIKELY ? 'unlikely' : p < LIKELY ? 'doubtful' : 'likely' };
}

export interface CheckResult {
  source: string;
  target: string;
  ms: number;
  words: WordLikelihood[];
  /** p(</s>) after the last word: low when the model expected more. */
  end: WordLikelihood;
  unlikely: number;
  word?: Heatmap;
  subword: Heatmap;
  pharaoh: string;
  links: { source: string; target: string }[];
  linkMethod: string;
  thresholds: { unlikely: string; likely: string };
}

/** The check page's result: per-word likelihood, the heatmaps and the links of a forced alignment. */
export function checkResult(a: ForcedAlignment, ms: number): CheckResult {
  const words = a.targetWords.map((w, i) => likelihood(w, a.wordLogProbs[i]));
  return {
    source: a.source,
    target: a.target,
    ms,
    words,
    end: likelihood('(end)', a.endLogProb),
    unlikely: words.filter((w) => w.level === 'unlikely').length,
    word:
      a.sourceWords.length > 0 && a.targetWords.length > 0
        ? heatmap('words', 'Word alignment', a.sourceWords, a.targetWords, a.wordMatrix)
        : undefined,
    subword: heatmap('subwords', 'Subword attention', a.sourceTokens, a.targetTokens, a.attention),
    pharaoh: a.pharaoh,
    links: a.links.map(([s, t]) => ({ source: a.sourceWords[s], target: a.targetWords[t] })),
    linkMethod: a.linkDescription,
    thresholds: { unlikely: `${100 * UNLIKELY}%`, likely: `${100 * LIKELY}%` },
  };
}

/** The /api/align answer for one pair (numbers to 4 decimals). */
export function apiForcedAlignment(a: ForcedAlignment) {
  const rows = (m: number[][]) => m.map((row) => row.map((x) => round(x)));
  return {
    source: a.source,
    target: a.target,
    ...(a.recased ? { recased: a.recased } : {}),
    sourceWords: a.sourceWords,
    targetWords: a.targetWords,
    pharaoh: a.pharaoh,
    links: a.links,
    wordMatrix: rows(a.wordMatrix),
    words: a.targetWords.map((w, i) => ({
      word: w,
      logProb: round(a.wordLogProbs[i]),
      probability: round(Math.exp(a.wordLogProbs[i])),
    })),
    end: { logProb: round(a.endLogProb), probability: round(Math.exp(a.endLogProb)) },
    logProb: round(a.logProb),
    sourceTokens: a.sourceTokens,
    targetTokens: a.targetTokens,
    attention: rows(a.attention),
    tokenLogProbs: a.tokenLogProbs.map((x) => round(x)),
    method: { ...a.method, description: a.linkDescription },
  };
}

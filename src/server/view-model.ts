/**
 * Translation results → what the views and the API render: the n-best list, word and subword attention
 * matrices as heatmaps (shade buckets, not inline styles, under the CSP), word links and the Pharaoh
 * alignment string.
 */
import { pharaoh, wordAlignment } from '../translate/alignment.js';
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
  translation: string;
  ms: number;
  beam: number;
  nbest: { text: string; score: string; logProb: string }[];
  word?: Heatmap;
  subword?: Heatmap;
  pharaoh: string;
  links: { source: string; target: string }[];
}

/** The translate page's result: best translation, n-best list and, with attention, the two heatmaps. */
export function pageResult(t: Translation, beam: number, ms: number): PageResult {
  const best = t.hypotheses[0];
  const result: PageResult = {
    source: t.source,
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
  };
  if (best && t.sourceTokens && best.tokens && best.attention) {
    const wa = wordAlignment(t.sourceTokens, best.tokens, best.attention);
    if (wa.targetWords.length > 0 && wa.sourceWords.length > 0) {
      result.word = heatmap('words', 'Word alignment', wa.sourceWords, wa.targetWords, wa.matrix);
      result.pharaoh = pharaoh(wa.links);
      result.links = wa.links.map(([s, tg]) => ({ source: wa.sourceWords[s], target: wa.targetWords[tg] }));
    }
    const rows = best.attention.map((_, i) => best.tokens?.[i] ?? '</s>');
    result.subword = heatmap('subwords', 'Subword attention', t.sourceTokens, rows, best.attention);
  }
  return result;
}

/** The API's `alignment` object: subword attention, word matrix and Pharaoh links (4 decimals). */
export function apiAlignment(t: Translation, h: TranslationHypothesis) {
  if (!t.sourceTokens || !h.tokens || !h.attention) return undefined;
  const wa = wordAlignment(t.sourceTokens, h.tokens, h.attention);
  return {
    sourceTokens: t.sourceTokens,
    targetTokens: [...h.tokens, '</s>'].slice(0, h.attention.length),
    attention: h.attention.map((row) => row.map((x) => round(x))),
    sourceWords: wa.sourceWords,
    targetWords: wa.targetWords,
    wordMatrix: wa.matrix.map((row) => row.map((x) => round(x))),
    pharaoh: pharaoh(wa.links),
  };
}

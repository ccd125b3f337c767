/**
 * What a translation is, as plain data (strings, numbers, arrays), and how the translations of a text's
 * sentences, each translated alone (src/translate/sentences.ts), become the translation of the text.
 */
import { segmentWords } from './alignment.js';

export interface TranslationHypothesis {
  text: string;
  score: number;
  logProb: number;
  /** Target subwords (without </s>). */
  tokens?: string[];
  /** attention[i][j]: weight of source subword j when emitting target subword i (last row: </s>). */
  attention?: number[][];
  /**
   * Copying models: p_gen of each target subword (last: </s>), the weight of the vocabulary in p(y); near 0
   * the subword was copied from the source through attention.
   */
  pGen?: number[];
  /**
   * Word links [source word, target word] from the model folder's statistical aligner (lexicon.json), with
   * attention, when the folder has one; without, links are read off the attention (alignment.ts).
   */
  links?: [number, number][];
}

export interface Translation {
  /** The input, normalised as training text is. */
  source: string;
  /** The re-cased input that was translated instead, when `source` was written in one case. */
  recased?: string;
  /** Source subwords as the model saw them, ending with </s>. */
  sourceTokens?: string[];
  hypotheses: TranslationHypothesis[];
  /** How the hypotheses' `links` were made, when they come from the lexicon. */
  linkMethod?: string;
}

/**
 * The translation of a text from the translations of its sentences (`parts`, in order, each with the same
 * options): texts joined by a space, scores and log-probabilities added, subwords concatenated. The
 * attention matrix is block-diagonal, each sentence's rows over its own source subwords, with one </s>
 * for the whole text: a sentence's attention to its own </s> goes to it, and the </s> rows of all sentences
 * but the last are left out, as they are from `tokens` and `pGen`. Word links are shifted by the words
 * before. The k-th hypothesis is made of each sentence's k-th (or its last, when it has fewer).
 */
export function joinTranslations(source: string, parts: readonly Translation[]): Translation {
  if (parts.length === 1) return { ...parts[0], source };
  const recased = parts.some((p) => p.recased !== undefined)
    ? parts.map((p) => p.recased ?? p.source).join(' ')
    : undefined;
  const sourceWithout = parts.map((p) => p.sourceTokens?.slice(0, -1));
  const count = Math.max(...parts.map((p) => p.hypotheses.length));
  const hypotheses: TranslationHypothesis[] = [];
  for (let k = 0; k < count; k++) {
    const hyps = parts.map((p) => p.hypotheses[Math.min(k, p.hypotheses.length - 1)]);
    hypotheses.push(joinHypotheses(hyps, sourceWithout));
  }
  const linkMethod = parts.find((p) => p.linkMethod !== undefined)?.linkMethod;
  return {
    source,
    ...(recased !== undefined && { recased }),
    ...(sourceWithout.every((t) => t !== undefined) && {
      sourceTokens: [...(sourceWithout as string[][]).flat(), '</s>'],
    }),
    hypotheses,
    ...(linkMethod !== undefined && { linkMethod }),
  };
}

function joinHypotheses(
  hyps: readonly TranslationHypothesis[],
  sourceTokens: readonly (string[] | undefined)[],
): TranslationHypothesis {
  const joined: TranslationHypothesis = {
    text: hyps
      .map((h) => h.text)
      .filter((t) => t.length > 0)
      .join(' '),
    score: hyps.reduce((s, h) => s + h.score, 0),
    logProb: hyps.reduce((s, h) => s + h.logProb, 0),
  };
  const last = hyps.length - 1;
  // Rows of sentence p that stay: one per subword, and the </s> row of the last sentence only.
  const rowsOf = (h: TranslationHypothesis, p: number, rows: number) =>
    p === last ? rows : Math.min(rows, h.tokens?.length ?? rows);
  if (hyps.every((h) => h.tokens)) joined.tokens = hyps.flatMap((h) => h.tokens as string[]);
  if (hyps.every((h) => h.pGen))
    joined.pGen = hyps.flatMap((h, p) =>
      (h.pGen as number[]).slice(0, rowsOf(h, p, (h.pGen as number[]).length)),
    );
  if (hyps.every((h) => h.attention) && sourceTokens.every((t) => t !== undefined)) {
    const widths = (sourceTokens as string[][]).map((t) => t.length);
    const columns = widths.reduce((a, b) => a + b, 0) + 1;
    const attention: number[][] = [];
    let offset = 0;
    hyps.forEach((h, p) => {
      const a = h.attention as number[][];
      for (const row of a.slice(0, rowsOf(h, p, a.length))) {
        const joinedRow = new Array<number>(columns).fill(0);
        for (let j = 0; j < widths[p]; j++) joinedRow[offset + j] = row[j];
        joinedRow[columns - 1] = row[widths[p]] ?? 0;
        attention.push(joinedRow);
      }
      offset += widths[p];
    });
    joined.attention = attention;
  }
  if (
    hyps.every((h) => h.links) &&
    hyps.every((h) => h.tokens) &&
    sourceTokens.every((t) => t !== undefined)
  ) {
    const links: [number, number][] = [];
    let [srcWords, tgtWords] = [0, 0];
    hyps.forEach((h, p) => {
      for (const [s, t] of h.links as [number, number][]) links.push([s + srcWords, t + tgtWords]);
      srcWords += segmentWords(sourceTokens[p] as string[]).words.length;
      tgtWords += segmentWords(h.tokens as string[]).words.length;
    });
    joined.links = links;
  }
  return joined;
}

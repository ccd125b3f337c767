/**
 * From subword attention to word alignments.
 *
 * Words: a subword that starts with a word-boundary marker ("▁" for SentencePiece/Metaspace, "Ġ" for
 * byte-level BPE) starts a new word and any other subword continues the current one; in WordPiece text
 * (no such markers) a "##" piece continues the current word and any other piece starts one. Special
 * tokens such as </s> belong to no word.
 *
 * Aggregation, for target word i and source word j:
 *   W[i][j] = mean over the subwords t of target word i of ( Σ over the subwords s of source word j of a_ts )
 * Summing over a source word's pieces gives the attention mass that word received (a row of `a` is a
 * distribution, so a word split into pieces is not penalised); averaging over a target word's pieces
 * keeps each word row a (sub-)distribution. The mass on </s> is dropped, so rows may sum to less than 1.
 * Pharaoh alignment: each target word is linked to its argmax source word, written "j-i" (source-target,
 * 0-based), sorted, as fast_align and Moses expect.
 */

const SPECIAL = /^<(\/s|s|pad)>$/;

/**
 * The labels of an attention matrix's axis: the subwords, then </s>, which the model reads last (source)
 * and emits last (target). `rows` cuts them to the matrix's row count: a translation stopped by the length
 * limit never emitted </s>, so its matrix has no row for it.
 */
export function attentionLabels(tokens: readonly string[], rows?: number): string[] {
  const labels = [...tokens, '</s>'];
  return rows === undefined ? labels : labels.slice(0, rows);
}

export interface WordSegmentation {
  words: string[];
  /** wordOf[k] = index of the word subword k belongs to, or -1 for special tokens. */
  wordOf: number[];
}

const BYTE_RUN = /(?:<0x[0-9A-F]{2}>)+/g;
const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * Byte-fallback pieces (<0xF0><0x9F><0x98><0x80>) written as the characters they encode (😀), as the
 * tokenizer's ByteFallback decoder does; an incomplete sequence shows as U+FFFD.
 */
function decodeBytePieces(word: string): string {
  return word.replace(BYTE_RUN, (run) =>
    utf8.decode(Uint8Array.from(run.slice(3, -1).split('><0x'), (h) => parseInt(h, 16))),
  );
}

export function segmentWords(subwords: readonly string[]): WordSegmentation {
  // Two conventions: SentencePiece/byte-level BPE mark word STARTS ("▁", "Ġ"); WordPiece marks
  // CONTINUATIONS ("##") and leaves word starts unmarked. Without any start marker, use WordPiece's.
  const startMarked = subwords.some((p) => p.startsWith('▁') || p.startsWith('Ġ'));
  const words: string[] = [];
  const wordOf: number[] = [];
  for (const piece of subwords) {
    if (SPECIAL.test(piece)) {
      wordOf.push(-1);
      continue;
    }
    const continues = piece.startsWith('##');
    const startsWord = words.length === 0 || (startMarked ? /^[▁Ġ]/.test(piece) : !continues);
    const text = piece.replace(/^[▁Ġ]/, '').replace(/^##/, '');
    if (startsWord) words.push(text);
    else words[words.length - 1] += text;
    wordOf.push(words.length - 1);
  }
  return { words: words.map(decodeBytePieces), wordOf };
}

export interface WordAlignment {
  sourceWords: string[];
  targetWords: string[];
  /** matrix[i][j]: target word i, source word j */
  matrix: number[][];
  /** [sourceIndex, targetIndex] pairs */
  links: [number, number][];
}

export function wordAlignment(
  sourceTokens: readonly string[],
  targetTokens: readonly string[],
  attention: readonly (readonly number[])[],
): WordAlignment {
  const src = segmentWords(sourceTokens);
  const tgt = segmentWords(targetTokens);
  const matrix = tgt.words.map(() => new Array<number>(src.words.length).fill(0));
  const pieces = new Array<number>(tgt.words.length).fill(0);
  targetTokens.forEach((_, t) => {
    const i = tgt.wordOf[t];
    const row = attention[t];
    if (i < 0 || !row) return;
    pieces[i]++;
    row.forEach((a, s) => {
      const j = src.wordOf[s];
      if (j >= 0) matrix[i][j] += a;
    });
  });
  matrix.forEach((row, i) => row.forEach((_, j) => (row[j] /= Math.max(1, pieces[i]))));
  return { sourceWords: src.words, targetWords: tgt.words, matrix, links: argmaxLinks(matrix) };
}

/** Each target word linked to its argmax source word: [source, target] pairs, sorted. */
export function argmaxLinks(matrix: readonly (readonly number[])[]): [number, number][] {
  const links: [number, number][] = [];
  matrix.forEach((row, i) => {
    if (row.length === 0) return;
    let best = 0;
    for (let j = 1; j < row.length; j++) if (row[j] > row[best]) best = j;
    links.push([best, i]);
  });
  return links.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

export function pharaoh(links: readonly [number, number][]): string {
  return links.map(([s, t]) => `${s}-${t}`).join(' ');
}

/**
 * Pharaoh alignment of a translated hypothesis: its lexicon links when it has them, else read off its
 * tokens and attention. Typed by the fields it reads,
 * so that this module does not import translator.ts (which imports force-align.ts, which imports this).
 */
export function pharaohAlignment(
  t: { sourceTokens?: readonly string[] },
  h: {
    tokens?: readonly string[];
    attention?: readonly (readonly number[])[];
    links?: readonly [number, number][];
  },
): string {
  if (h.links) return pharaoh(h.links);
  if (!t.sourceTokens || !h.tokens || !h.attention) return '';
  return pharaoh(wordAlignment(t.sourceTokens, h.tokens, h.attention).links);
}

/**
 * Filters that drop sentence pairs unlikely to help training: over-long pairs (slow, and rare enough to be noise),
 * pairs whose sides differ wildly in length (usually misalignments), and exact duplicates.
 */
import type { SentencePair } from './types.js';

export interface FilterOptions {
  /** Drop a pair when either side has more than this many characters (code points). Off when undefined. */
  maxChars?: number;
  /** Drop a pair when longer side / max(1, shorter side), in characters, exceeds this. Off when undefined. */
  maxRatio?: number;
  /** Drop exact repeats of an earlier (src, tgt) pair; the first one is kept. Off unless true. */
  dedupe?: boolean;
}

/** How many pairs each filter dropped. A pair is counted once, under the first filter (in this order) it fails. */
export interface DropCounts {
  tooLong: number;
  badRatio: number;
  duplicate: number;
}

export interface FilterResult {
  kept: SentencePair[];
  dropped: DropCounts;
}

/** Applies the filters in `opts` and keeps the surviving pairs in their original order. */
export function filterPairs(pairs: readonly SentencePair[], opts: FilterOptions = {}): FilterResult {
  const { maxChars, maxRatio, dedupe = false } = opts;
  if (maxChars !== undefined && !(Number.isInteger(maxChars) && maxChars > 0)) {
    throw new RangeError(`filterPairs: maxChars must be a positive integer, got ${maxChars}`);
  }
  if (maxRatio !== undefined && !(maxRatio >= 1)) {
    throw new RangeError(`filterPairs: maxRatio must be a number >= 1, got ${maxRatio}`);
  }

  const kept: SentencePair[] = [];
  const dropped: DropCounts = { tooLong: 0, badRatio: 0, duplicate: 0 };
  const seen = new Set<string>();
  for (const pair of pairs) {
    const srcLen = charCount(pair.src);
    const tgtLen = charCount(pair.tgt);
    if (maxChars !== undefined && Math.max(srcLen, tgtLen) > maxChars) {
      dropped.tooLong++;
      continue;
    }
    if (
      maxRatio !== undefined &&
      Math.max(srcLen, tgtLen) / Math.max(1, Math.min(srcLen, tgtLen)) > maxRatio
    ) {
      dropped.badRatio++;
      continue;
    }
    if (dedupe) {
      // Prefixing the source length makes the key unambiguous whatever characters the sentences contain.
      const key = `${pair.src.length}:${pair.src}${pair.tgt}`;
      if (seen.has(key)) {
        dropped.duplicate++;
        continue;
      }
      seen.add(key);
    }
    kept.push(pair);
  }
  return { kept, dropped };
}

const SURROGATE_PAIR = /[\uD800-\uDBFF][\uDC00-\uDFFF]/g;

/**
 * Length in Unicode code points, so an emoji or a rare CJK character counts as one character, not two UTF-16 units.
 * Most sentences have no astral characters, hence the cheap test before counting.
 */
function charCount(s: string): number {
  if (!/[\uD800-\uDBFF]/.test(s)) return s.length;
  return s.length - (s.match(SURROGATE_PAIR)?.length ?? 0);
}

const DIGIT_RUN = /\p{Nd}+/gu;

/** The runs of digits of `text`: "$1,250 at 10:30" → 1, 250, 10, 30. */
export function digitRuns(text: string): string[] {
  return Array.from(text.matchAll(DIGIT_RUN), (m) => m[0]);
}

/**
 * Whether the target writes every run of digits of the source. "I'm 19." → "Tengo diecinueve.", "It's
 * 3:10." → "Son las tres y diez." and "1,099" → "1099" do not; nor do misaligned pairs with numbers
 * ("…under the age of 25?" → "Estoy seguro que…"). Left in, such pairs teach a model that a number may
 * turn into words or other digits, and it wrote every time as "a las dos y media" (141 of the 230 Anki
 * pairs with a time spell it out, most of them 2:30). Digits are digits in every script this checks.
 */
export function keepsSourceNumbers(pair: SentencePair): boolean {
  const target = new Set(digitRuns(pair.tgt));
  return digitRuns(pair.src).every((run) => target.has(run));
}

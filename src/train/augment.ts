/**
 * Noise for robustness, drawn anew each epoch: a share of training pairs gets an ALL-CAPS or a
 * lower-case source (the target keeps its casing: the model learns to translate "THE CAT IS BLACK." as
 * "El gato es negro."), and a share loses its sentence-final punctuation on both sides (people type
 * "where is the station" into a form). The corpus text is never changed on disk; this works on copies.
 */
import type { Rng } from '../util/rng.js';
import type { SentencePair } from '../data/types.js';

export interface AugmentOptions {
  upperCaseShare: number;
  lowerCaseShare: number;
  dropPunctuationShare: number;
}

const FINAL_PUNCTUATION = /\s*[.!?。！？…]+["'»”’)]*$/u;
/** Spanish opens questions and exclamations with ¿ and ¡: dropping the end drops these too. */
const OPENING_MARKS = /^[¿¡]+\s*/u;

/** The pair without its final punctuation, or undefined when either side has none to drop. */
export function withoutFinalPunctuation(pair: SentencePair): SentencePair | undefined {
  const strip = (s: string) => {
    const m = FINAL_PUNCTUATION.exec(s);
    if (!m || m.index === 0) return undefined;
    // Keep a closing quote or bracket that followed the punctuation: drop only the marks.
    const tail = m[0].replace(/^\s*[.!?。！？…]+/u, '');
    return (s.slice(0, m.index) + tail).replace(OPENING_MARKS, '');
  };
  const src = strip(pair.src);
  const tgt = strip(pair.tgt);
  return src !== undefined && tgt !== undefined ? { src, tgt } : undefined;
}

/** One epoch's version of a pair: at most one noise kind, chosen with the shares as probabilities. */
export function augmentPair(pair: SentencePair, opts: AugmentOptions, rng: Rng): SentencePair {
  let u = rng.next();
  if (u < opts.upperCaseShare) return { src: pair.src.toUpperCase(), tgt: pair.tgt };
  u -= opts.upperCaseShare;
  if (u < opts.lowerCaseShare) return { src: pair.src.toLowerCase(), tgt: pair.tgt };
  u -= opts.lowerCaseShare;
  if (u < opts.dropPunctuationShare) return withoutFinalPunctuation(pair) ?? pair;
  return pair;
}

/**
 * The pairs of one epoch from weighted corpora: a weight w gives each pair ⌊w⌋ times, plus once more
 * with probability w − ⌊w⌋.
 */
export function weightedEpochPairs(
  corpora: readonly { pairs: readonly SentencePair[]; weight: number }[],
  rng: Rng,
): SentencePair[] {
  const out: SentencePair[] = [];
  for (const { pairs, weight } of corpora) {
    const whole = Math.floor(weight);
    const frac = weight - whole;
    for (const p of pairs) {
      for (let k = 0; k < whole; k++) out.push(p);
      if (frac > 0 && rng.next() < frac) out.push(p);
    }
  }
  return out;
}

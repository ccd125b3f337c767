/**
 * Translation metrics compatible with sacrebleu 2.5.1: corpus BLEU and chrF/chrF++.
 *
 * Signatures mirror sacrebleu's field for field (`nrefs`, `case`, `eff`, `tok`, `smooth`, `nc`, `nw`,
 * `space`), except `version`, which names this package (`version:nmt-0.1.0`) so that a signature never
 * claims to come from sacrebleu itself.
 */
import { type BleuOptions, type BleuScore, scoreBleu } from './bleu.js';
import { type ChrfOptions, type ChrfScore, scoreChrf } from './chrf.js';

export { BleuScore, METRICS_VERSION, SMOOTH_METHODS, formatFixed } from './bleu.js';
export type { BleuOptions, ScoreFormatOptions, SmoothMethod } from './bleu.js';
export { ChrfScore } from './chrf.js';
export type { ChrfOptions, ChrfOrderStats } from './chrf.js';
export { BLEU_TOKENIZER_NAMES, isBleuTokenizerName } from './tokenizers.js';
export type { BleuTokenizerName } from './tokenizers.js';
export { groupReferencesBySource } from './references.js';
export type { GroupedTestSet } from './references.js';

/**
 * References, either one string per hypothesis (a single reference), or several reference streams in
 * sacrebleu's layout: `refs[k][i]` is the k-th reference of hypothesis i, and every stream is as long
 * as the hypotheses.
 */
export type References = readonly string[] | readonly (readonly string[])[];

function isSingleStream(refs: References): refs is readonly string[] {
  return refs.every((ref: string | readonly string[]) => typeof ref === 'string');
}

function count(n: number, singular: string, plural: string): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

/** Normalises `refs` to reference streams and checks that every stream is aligned with `hyps`. */
function toReferenceStreams(
  metric: string,
  hyps: readonly string[],
  refs: References,
): (readonly string[])[] {
  const streams: (readonly string[])[] = isSingleStream(refs) ? [refs] : [...refs];
  if (streams.length === 0) throw new Error(`${metric}: no reference streams given`);
  streams.forEach((stream, k) => {
    if (stream.length !== hyps.length) {
      const which = streams.length > 1 ? ` in reference stream ${k + 1} of ${streams.length}` : '';
      throw new Error(
        `${metric}: got ${count(hyps.length, 'hypothesis', 'hypotheses')} but ` +
          `${count(stream.length, 'reference', 'references')}${which}; ` +
          'there must be exactly one reference per hypothesis',
      );
    }
  });
  if (hyps.length === 0) throw new Error(`${metric}: no hypotheses to score`);
  return streams;
}

/** Corpus BLEU as `sacrebleu -m bleu` computes it (13a tokenization, exp smoothing, 4-grams by default). */
export function corpusBleu(hyps: readonly string[], refs: References, opts: BleuOptions = {}): BleuScore {
  return scoreBleu(hyps, toReferenceStreams('corpusBleu', hyps, refs), opts);
}

/** Corpus chrF as `sacrebleu -m chrf` computes it; pass `{ wordOrder: 2 }` for chrF++. */
export function corpusChrf(hyps: readonly string[], refs: References, opts: ChrfOptions = {}): ChrfScore {
  return scoreChrf(hyps, toReferenceStreams('corpusChrf', hyps, refs), opts);
}

/**
 * chrF (Popović, 2015) and chrF++ (Popović, 2017) computed the way sacrebleu 2.5.1 computes them:
 * character n-grams over the segment with whitespace removed, optional word n-grams over words with
 * leading/trailing ASCII punctuation split off, statistics summed over the corpus, and by default
 * sacrebleu's "effective order" averaging (signature `eff:yes`) rather than epsilon smoothing.
 */
import { type ScoreFormatOptions, formatFixed, formatSignature } from './bleu.js';
import { lowercase, splitOnWhitespace } from './tokenizers.js';
import { referenceCountLabel, segmentReferences } from './references.js';

export interface ChrfOptions {
  /** Character n-gram order. Default 6. */
  charOrder?: number;
  /** Word n-gram order: 0 for chrF, 2 for chrF++. Default 0. */
  wordOrder?: number;
  /** Weight of recall relative to precision. Default 2. */
  beta?: number;
  /** Lowercase before extracting n-grams (sacrebleu `--chrf-lowercase`). Default false. */
  lowercase?: boolean;
  /** Keep whitespace inside character n-grams (sacrebleu `--chrf-whitespace`). Default false. */
  whitespace?: boolean;
  /**
   * Use chrF++.py/NLTK/Moses epsilon smoothing (sacrebleu `--chrf-eps-smoothing`, signature `eff:no`)
   * instead of sacrebleu's default effective-order averaging (`eff:yes`). Default false.
   */
  epsSmoothing?: boolean;
}

type ResolvedChrfOptions = Required<ChrfOptions>;

function resolveChrfOptions(options: ChrfOptions): ResolvedChrfOptions {
  const resolved: ResolvedChrfOptions = {
    charOrder: options.charOrder ?? 6,
    wordOrder: options.wordOrder ?? 0,
    beta: options.beta ?? 2,
    lowercase: options.lowercase ?? false,
    whitespace: options.whitespace ?? false,
    epsSmoothing: options.epsSmoothing ?? false,
  };
  for (const key of ['charOrder', 'wordOrder'] as const) {
    if (!Number.isInteger(resolved[key]) || resolved[key] < 0) {
      throw new RangeError(`chrF: ${key} must be a non-negative integer, got ${resolved[key]}`);
    }
  }
  if (resolved.charOrder + resolved.wordOrder === 0) {
    throw new RangeError('chrF: charOrder and wordOrder cannot both be 0');
  }
  return resolved;
}

/** The result of corpus chrF / chrF++. */
export class ChrfScore {
  /** `chrF2` for chrF, `chrF2++` for chrF++ (one `+` per word order), as sacrebleu names them. */
  readonly name: string;

  constructor(
    /** chrF in [0, 100]. */
    readonly score: number,
    readonly charOrder: number,
    readonly wordOrder: number,
    readonly beta: number,
    /**
     * Corpus statistics, one entry per order (character orders first, then word orders):
     * hypothesis n-grams, reference n-grams and matched n-grams.
     */
    readonly statistics: ChrfOrderStats[],
    readonly signature: string,
  ) {
    this.name = `chrF${beta}${'+'.repeat(wordOrder)}`;
  }

  /** sacrebleu's text line, e.g. `chrF2|nrefs:1|...|version:nmt-0.1.0 = 52.28`. */
  format(options: ScoreFormatOptions = {}): string {
    const label = options.withSignature ? `${this.name}|${this.signature}` : this.name;
    return `${label} = ${formatFixed(this.score, options.width ?? 2)}`;
  }

  /** `chrF2 = 52.28`. */
  toString(width = 2): string {
    return this.format({ width });
  }
}

export interface ChrfOrderStats {
  hyp: number;
  ref: number;
  match: number;
}

/** ASCII punctuation, i.e. Python's `string.punctuation`, which is what sacrebleu's chrF++ strips. */
const ASCII_PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

/**
 * Word splitting for chrF++, after sacrebleu's `CHRF._remove_punctuation` (itself after Popović's
 * chrF++.py): one punctuation mark is split off the end of a word, or else off its start. Only one side
 * is handled, so "(hi)" becomes "(hi" and ")" (sacrebleu issue #124; kept for compatibility).
 * Lengths and indices are in code points, like Python's.
 */
export function splitWordsForChrf(sentence: string): string[] {
  const words: string[] = [];
  for (const word of splitOnWhitespace(sentence)) {
    const chars = Array.from(word);
    if (chars.length === 1) {
      words.push(word);
    } else if (ASCII_PUNCTUATION.has(chars[chars.length - 1])) {
      words.push(chars.slice(0, -1).join(''), chars[chars.length - 1]);
    } else if (ASCII_PUNCTUATION.has(chars[0])) {
      words.push(chars[0], chars.slice(1).join(''));
    } else {
      words.push(word);
    }
  }
  return words;
}

function countSequenceNgrams(items: readonly string[], n: number, separator: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= items.length; i++) {
    const ngram = items.slice(i, i + n).join(separator);
    counts.set(ngram, (counts.get(ngram) ?? 0) + 1);
  }
  return counts;
}

/**
 * All n-gram counters of one segment: character orders 1..charOrder, then word orders 1..wordOrder.
 * Characters are code points (Python string indexing), so an emoji is one character, not two.
 */
function extractChrfNgrams(sentence: string, options: ResolvedChrfOptions): Map<string, number>[] {
  const text = options.whitespace ? sentence : splitOnWhitespace(sentence).join('');
  const chars = Array.from(text);
  const counters: Map<string, number>[] = [];
  for (let n = 1; n <= options.charOrder; n++) counters.push(countSequenceNgrams(chars, n, ''));
  if (options.wordOrder > 0) {
    const words = splitWordsForChrf(sentence);
    for (let n = 1; n <= options.wordOrder; n++) counters.push(countSequenceNgrams(words, n, ' '));
  }
  return counters;
}

function matchStats(hypNgrams: Map<string, number>, refNgrams: Map<string, number>): ChrfOrderStats {
  let hyp = 0;
  let match = 0;
  let ref = 0;
  for (const [ngram, count] of hypNgrams) {
    hyp += count;
    match += Math.min(count, refNgrams.get(ngram) ?? 0);
  }
  for (const count of refNgrams.values()) ref += count;
  // Like sacrebleu: hypothesis n-grams do not count when the reference has none of that order.
  return { hyp: refNgrams.size > 0 ? hyp : 0, ref, match };
}

/** A line-by-line port of sacrebleu's `CHRF._compute_f_score`, in [0, 100]. */
function chrfFromStats(stats: readonly ChrfOrderStats[], options: ResolvedChrfOptions): number {
  const eps = 1e-16;
  const factor = options.beta ** 2;
  let epsScore = 0;
  let precisionSum = 0;
  let recallSum = 0;
  let effectiveOrder = 0;
  for (const { hyp, ref, match } of stats) {
    const precision = hyp > 0 ? match / hyp : eps;
    const recall = ref > 0 ? match / ref : eps;
    const denominator = factor * precision + recall;
    epsScore += denominator > 0 ? ((1 + factor) * precision * recall) / denominator : eps;
    // Effective order: average only over orders that both sides actually have.
    if (hyp > 0 && ref > 0) {
      precisionSum += precision;
      recallSum += recall;
      effectiveOrder += 1;
    }
  }
  if (options.epsSmoothing) return (100 * epsScore) / stats.length;

  const avgPrecision = effectiveOrder === 0 ? 0 : precisionSum / effectiveOrder;
  const avgRecall = effectiveOrder === 0 ? 0 : recallSum / effectiveOrder;
  if (avgPrecision + avgRecall === 0) return 0;
  // Same operation order as sacrebleu, so results agree to the last bit.
  const fScore = ((1 + factor) * avgPrecision * avgRecall) / (factor * avgPrecision + avgRecall);
  return 100 * fScore;
}

function pairStats(
  hyp: readonly Map<string, number>[],
  ref: readonly Map<string, number>[],
): ChrfOrderStats[] {
  return hyp.map((hypNgrams, order) => matchStats(hypNgrams, ref[order]));
}

function chrfSignature(options: ResolvedChrfOptions, referenceCount: number | 'var'): string {
  return formatSignature([
    ['nrefs', referenceCount],
    ['case', options.lowercase ? 'lc' : 'mixed'],
    ['eff', options.epsSmoothing ? 'no' : 'yes'],
    ['nc', options.charOrder],
    ['nw', options.wordOrder],
    ['space', options.whitespace ? 'yes' : 'no'],
  ]);
}

/**
 * Corpus chrF of `hypotheses` against one or more reference streams (`referenceStreams[k][i]` is the
 * k-th reference of segment i). With several references, each segment uses the reference giving it the
 * best segment-level chrF (the first one on ties), as sacrebleu does; empty references are skipped
 * (variable reference counts, see references.ts). Lengths are assumed to be validated
 * by the caller (see `corpusChrf` in index.ts).
 */
export function scoreChrf(
  hypotheses: readonly string[],
  referenceStreams: readonly (readonly string[])[],
  options: ChrfOptions = {},
): ChrfScore {
  const resolved = resolveChrfOptions(options);
  const prepare = (sentence: string): string => (resolved.lowercase ? lowercase(sentence) : sentence);
  const orderCount = resolved.charOrder + resolved.wordOrder;
  const corpus: ChrfOrderStats[] = Array.from({ length: orderCount }, () => ({ hyp: 0, ref: 0, match: 0 }));

  hypotheses.forEach((hypothesis, i) => {
    const hypNgrams = extractChrfNgrams(prepare(hypothesis), resolved);
    let best: ChrfOrderStats[] = [];
    let bestScore = -1;
    for (const ref of segmentReferences('chrF', referenceStreams, i)) {
      const stats = pairStats(hypNgrams, extractChrfNgrams(prepare(ref), resolved));
      const score = chrfFromStats(stats, resolved);
      if (score > bestScore) {
        bestScore = score;
        best = stats;
      }
    }
    best.forEach((stats, order) => {
      corpus[order].hyp += stats.hyp;
      corpus[order].ref += stats.ref;
      corpus[order].match += stats.match;
    });
  });

  const score = chrfFromStats(corpus, resolved);
  return new ChrfScore(
    score,
    resolved.charOrder,
    resolved.wordOrder,
    resolved.beta,
    corpus,
    chrfSignature(resolved, referenceCountLabel(referenceStreams, hypotheses.length)),
  );
}

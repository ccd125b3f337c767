/**
 * Corpus BLEU (Papineni et al., 2002) computed the way sacrebleu 2.5.1 computes it, so that our numbers
 * can be compared with published sacrebleu scores: same tokenizers, same n-gram clipping against multiple
 * references, same "closest reference length" rule, same smoothing methods and same output format.
 *
 * This module also holds the two formatting helpers shared with chrF (`formatFixed`, `formatSignature`).
 */
import { type BleuTokenizerName, tokenizeForBleu } from './tokenizers.js';
import { referenceCountLabel, segmentReferences } from './references.js';

/**
 * The `version` field of our signatures. sacrebleu writes its own version there; we write ours, so a
 * signature never claims to come from sacrebleu. Every other signature field mirrors sacrebleu's.
 * Keep in step with package.json (a test checks it).
 */
export const METRICS_VERSION = 'nmt-0.1.0';

/**
 * Python's `f"{value:.{digits}f}"`. JavaScript's `toFixed` differs on exact ties: it rounds half away
 * from zero where Python rounds half to even (0.125 -> "0.13" vs "0.12"). To be exact we expand the
 * double into mantissa * 2^exponent and round the scaled value with integer arithmetic.
 */
export function formatFixed(value: number, digits: number): string {
  if (!Number.isInteger(digits) || digits < 0 || digits > 100) {
    throw new RangeError(`formatFixed: digits must be an integer in [0, 100], got ${digits}`);
  }
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';

  const negative = value < 0 || Object.is(value, -0);
  const { mantissa, exponent } = decomposeDouble(Math.abs(value));
  const scale = 10n ** BigInt(digits);
  let scaled: bigint;
  if (exponent >= 0) {
    scaled = (mantissa << BigInt(exponent)) * scale;
  } else {
    const numerator = mantissa * scale;
    const denominator = 1n << BigInt(-exponent);
    scaled = numerator / denominator;
    const twiceRemainder = (numerator % denominator) * 2n;
    if (twiceRemainder > denominator || (twiceRemainder === denominator && scaled % 2n === 1n)) scaled += 1n;
  }
  const text = scaled.toString().padStart(digits + 1, '0');
  const integerPart = text.slice(0, text.length - digits);
  const fraction = digits > 0 ? `.${text.slice(text.length - digits)}` : '';
  return `${negative ? '-' : ''}${integerPart}${fraction}`;
}

/** Splits a finite non-negative double into integers with value === mantissa * 2 ** exponent, exactly. */
function decomposeDouble(value: number): { mantissa: bigint; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  const biasedExponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  // Subnormals have no implicit leading 1 and the smallest exponent.
  if (biasedExponent === 0) return { mantissa: fraction, exponent: -1074 };
  return { mantissa: fraction | (1n << 52n), exponent: biasedExponent - 1075 };
}

/** sacrebleu's signature layout: `key:value` pairs joined by `|`, with `version` always last. */
export function formatSignature(
  fields: ReadonlyArray<readonly [key: string, value: string | number]>,
): string {
  return [...fields, ['version', METRICS_VERSION] as const]
    .map(([key, value]) => `${key}:${value}`)
    .join('|');
}

export const SMOOTH_METHODS = ['exp', 'floor', 'add-k', 'none'] as const;
export type SmoothMethod = (typeof SMOOTH_METHODS)[number];

/** Default smoothing values from Chen & Cherry (2014), as in sacrebleu's `BLEU.SMOOTH_DEFAULTS`. */
const SMOOTH_DEFAULT_VALUES: Readonly<Record<SmoothMethod, number | undefined>> = {
  exp: undefined,
  floor: 0.1,
  'add-k': 1,
  none: undefined,
};

export interface BleuOptions {
  /** Default '13a', sacrebleu's default for languages other than zh/ja/ko. */
  tokenize?: BleuTokenizerName;
  /** Lowercase hypotheses and references before tokenizing (sacrebleu `-lc`). Default false. */
  lowercase?: boolean;
  /** Default 'exp' (NIST/mteval-v13a smoothing), as in sacrebleu. */
  smoothMethod?: SmoothMethod;
  /** Only used by 'floor' (default 0.1) and 'add-k' (default 1). */
  smoothValue?: number;
  /** Default 4. */
  maxNgramOrder?: number;
  /** Drop n-gram orders the hypothesis cannot have; meant for sentence-level BLEU. Default false. */
  effectiveOrder?: boolean;
}

type ResolvedBleuOptions = Required<Omit<BleuOptions, 'smoothValue'>> & { smoothValue: number | undefined };

function resolveBleuOptions(options: BleuOptions): ResolvedBleuOptions {
  const resolved: ResolvedBleuOptions = {
    tokenize: options.tokenize ?? '13a',
    lowercase: options.lowercase ?? false,
    smoothMethod: options.smoothMethod ?? 'exp',
    smoothValue: options.smoothValue ?? SMOOTH_DEFAULT_VALUES[options.smoothMethod ?? 'exp'],
    maxNgramOrder: options.maxNgramOrder ?? 4,
    effectiveOrder: options.effectiveOrder ?? false,
  };
  if (!Number.isInteger(resolved.maxNgramOrder) || resolved.maxNgramOrder < 1) {
    throw new RangeError(`BLEU: maxNgramOrder must be a positive integer, got ${resolved.maxNgramOrder}`);
  }
  if (!SMOOTH_METHODS.includes(resolved.smoothMethod)) {
    throw new RangeError(`BLEU: unknown smoothMethod '${String(resolved.smoothMethod)}'`);
  }
  return resolved;
}

export interface ScoreFormatOptions {
  /** Decimals of the score (sacrebleu `-w`). Default 2. */
  width?: number;
  /** Prefix the metric name with the signature, as sacrebleu's text output does. Default false. */
  withSignature?: boolean;
}

/** The result of corpus BLEU; field meanings follow sacrebleu's `BLEUScore`. */
export class BleuScore {
  readonly name = 'BLEU';
  /** Hypothesis length over reference length (0 when the reference length is 0). */
  readonly ratio: number;

  constructor(
    /** BLEU in [0, 100]. */
    readonly score: number,
    /**
     * Clipped n-gram matches per order. As in sacrebleu, 'add-k' smoothing adds k to the counts and
     * totals of orders >= 2, so these then include k.
     */
    readonly counts: number[],
    /** Hypothesis n-grams per order (including k under 'add-k', as above). */
    readonly totals: number[],
    /** Per-order precisions in percent, after smoothing. */
    readonly precisions: number[],
    /** Brevity penalty. */
    readonly bp: number,
    readonly sysLen: number,
    readonly refLen: number,
    readonly signature: string,
  ) {
    this.ratio = refLen ? sysLen / refLen : 0;
  }

  /** The part after the score: `60.7/35.4/22.1/13.9 (BP = 0.962 ratio = 0.962 hyp_len = 2050 ref_len = 2130)`. */
  get details(): string {
    const precisions = this.precisions.map((p) => formatFixed(p, 1)).join('/');
    return (
      `${precisions} (BP = ${formatFixed(this.bp, 3)} ratio = ${formatFixed(this.ratio, 3)} ` +
      `hyp_len = ${this.sysLen} ref_len = ${this.refLen})`
    );
  }

  /** sacrebleu's text line, e.g. `BLEU|nrefs:1|...|version:nmt-0.1.0 = 27.43 60.7/35.4/22.1/13.9 (BP = ...)`. */
  format(options: ScoreFormatOptions = {}): string {
    const label = options.withSignature ? `${this.name}|${this.signature}` : this.name;
    return `${label} = ${formatFixed(this.score, options.width ?? 2)} ${this.details}`;
  }

  /** `BLEU = 27.43 60.7/35.4/22.1/13.9 (BP = 0.962 ratio = 0.962 hyp_len = 2050 ref_len = 2130)`. */
  toString(width = 2): string {
    return this.format({ width });
  }
}

/** Counts of every n-gram of orders 1..maxOrder; index 0 holds unigrams. Keys are tokens joined by a space. */
function countNgrams(tokens: readonly string[], maxOrder: number): Map<string, number>[] {
  const counts: Map<string, number>[] = [];
  for (let n = 1; n <= maxOrder; n++) {
    const ofOrder = new Map<string, number>();
    for (let i = 0; i + n <= tokens.length; i++) {
      const ngram = tokens.slice(i, i + n).join(' ');
      ofOrder.set(ngram, (ofOrder.get(ngram) ?? 0) + 1);
    }
    counts.push(ofOrder);
  }
  return counts;
}

/** Among the reference lengths, the one closest to the hypothesis length; ties go to the shorter one. */
function closestReferenceLength(hypLength: number, refLengths: readonly number[]): number {
  let best = refLengths[0];
  for (const length of refLengths) {
    const diff = Math.abs(hypLength - length);
    const bestDiff = Math.abs(hypLength - best);
    if (diff < bestDiff || (diff === bestDiff && length < best)) best = length;
  }
  return best;
}

/** Sufficient statistics of one segment: lengths, clipped matches and totals per n-gram order. */
interface BleuSegmentStats {
  sysLen: number;
  refLen: number;
  correct: number[];
  total: number[];
}

function bleuSegmentStats(
  hypTokens: readonly string[],
  refTokenLists: readonly (readonly string[])[],
  maxOrder: number,
): BleuSegmentStats {
  // A hypothesis n-gram may be credited as many times as it occurs in the reference that has it most.
  const maxRefCounts = new Map<string, number>();
  for (const refTokens of refTokenLists) {
    for (const ofOrder of countNgrams(refTokens, maxOrder)) {
      for (const [ngram, count] of ofOrder) {
        maxRefCounts.set(ngram, Math.max(maxRefCounts.get(ngram) ?? 0, count));
      }
    }
  }
  const correct = new Array<number>(maxOrder).fill(0);
  const total = new Array<number>(maxOrder).fill(0);
  countNgrams(hypTokens, maxOrder).forEach((ofOrder, index) => {
    for (const [ngram, count] of ofOrder) {
      total[index] += count;
      correct[index] += Math.min(count, maxRefCounts.get(ngram) ?? 0);
    }
  });
  const refLen = closestReferenceLength(
    hypTokens.length,
    refTokenLists.map((tokens) => tokens.length),
  );
  return { sysLen: hypTokens.length, refLen, correct, total };
}

/** sacrebleu's `my_log`: log, but a huge negative number instead of -Infinity for 0. */
function flooredLog(value: number): number {
  return value === 0 ? -9999999999 : Math.log(value);
}

/** BLEU from corpus-level sufficient statistics; a line-by-line port of sacrebleu's `BLEU.compute_bleu`. */
function bleuFromStats(stats: BleuSegmentStats, options: ResolvedBleuOptions, signature: string): BleuScore {
  const { sysLen, refLen } = stats;
  const correct = [...stats.correct];
  const total = [...stats.total];
  const maxOrder = options.maxNgramOrder;
  const smoothValue = options.smoothValue ?? 0;

  let bp = 1.0;
  if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0.0;

  const precisions = new Array<number>(maxOrder).fill(0);
  // No match at any order: BLEU is 0 whatever the smoothing (sacrebleu issue #141).
  if (correct.every((c) => c === 0)) {
    return new BleuScore(0, correct, total, precisions, bp, sysLen, refLen, signature);
  }

  let mtevalSmoothing = 1;
  let effectiveOrder = maxOrder;
  for (let n = 1; n <= maxOrder; n++) {
    if (options.smoothMethod === 'add-k' && n > 1) {
      correct[n - 1] += smoothValue;
      total[n - 1] += smoothValue;
    }
    // The hypothesis has no n-grams of this order (all segments too short): later precisions stay 0.
    if (total[n - 1] === 0) break;
    if (options.effectiveOrder) effectiveOrder = n;

    if (correct[n - 1] === 0) {
      if (options.smoothMethod === 'exp') {
        // Each successive zero-match order gets half the pseudo-count of the previous one.
        mtevalSmoothing *= 2;
        precisions[n - 1] = 100 / (mtevalSmoothing * total[n - 1]);
      } else if (options.smoothMethod === 'floor') {
        precisions[n - 1] = (100 * smoothValue) / total[n - 1];
      }
    } else {
      precisions[n - 1] = (100 * correct[n - 1]) / total[n - 1];
    }
  }

  let logSum = 0;
  for (const p of precisions.slice(0, effectiveOrder)) logSum += flooredLog(p);
  const score = bp * Math.exp(logSum / effectiveOrder);
  return new BleuScore(score, correct, total, precisions, bp, sysLen, refLen, signature);
}

function bleuSignature(options: ResolvedBleuOptions, referenceCount: number | 'var'): string {
  let smooth: string = options.smoothMethod;
  // Like sacrebleu, the value is shown only for the methods that take one.
  if (SMOOTH_DEFAULT_VALUES[options.smoothMethod] !== undefined) {
    smooth += `[${formatFixed(options.smoothValue ?? 0, 2)}]`;
  }
  return formatSignature([
    ['nrefs', referenceCount],
    ['case', options.lowercase ? 'lc' : 'mixed'],
    ['eff', options.effectiveOrder ? 'yes' : 'no'],
    ['tok', options.tokenize],
    ['smooth', smooth],
  ]);
}

/**
 * Corpus BLEU of `hypotheses` against one or more reference streams. Each stream holds one reference
 * per hypothesis (sacrebleu's layout: `referenceStreams[k][i]` is the k-th reference of segment i);
 * an empty reference means "this segment has fewer references" (see references.ts).
 * Lengths are assumed to be validated by the caller (see `corpusBleu` in index.ts).
 */
export function scoreBleu(
  hypotheses: readonly string[],
  referenceStreams: readonly (readonly string[])[],
  options: BleuOptions = {},
): BleuScore {
  const resolved = resolveBleuOptions(options);
  const corpus: BleuSegmentStats = {
    sysLen: 0,
    refLen: 0,
    correct: new Array<number>(resolved.maxNgramOrder).fill(0),
    total: new Array<number>(resolved.maxNgramOrder).fill(0),
  };
  const prepare = (sentence: string): string[] =>
    tokenizeForBleu(sentence, resolved.tokenize, resolved.lowercase);
  hypotheses.forEach((hypothesis, i) => {
    const segment = bleuSegmentStats(
      prepare(hypothesis),
      segmentReferences('BLEU', referenceStreams, i).map(prepare),
      resolved.maxNgramOrder,
    );
    corpus.sysLen += segment.sysLen;
    corpus.refLen += segment.refLen;
    for (let k = 0; k < resolved.maxNgramOrder; k++) {
      corpus.correct[k] += segment.correct[k];
      corpus.total[k] += segment.total[k];
    }
  });
  return bleuFromStats(
    corpus,
    resolved,
    bleuSignature(resolved, referenceCountLabel(referenceStreams, hypotheses.length)),
  );
}

/**
 * Train/valid/test splitting that keeps every source sentence in exactly one split.
 *
 * Tatoeba lists one English sentence with several translations. Splitting pairs independently would put
 * "I'm hungry." → "Tengo hambre." in train and "I'm hungry." → "Estoy hambriento." in test, and the test score
 * would partly measure memorisation. So pairs are grouped by source sentence and whole groups are assigned.
 */
import { Rng } from '../util/rng.js';
import type { CorpusSplits, SentencePair } from './types.js';

export interface SplitOptions {
  /** Seed for the shuffle; the same seed and input always give the same splits. */
  seed: number;
  /**
   * Target number of validation pairs (reached approximately: whole groups are added until it is met).
   * Absent: `defaultHeldOutSize` of the corpus.
   */
  validSize?: number;
  /** Target number of test pairs (same rule as `validSize`). */
  testSize?: number;
}

/**
 * The default held-out share: 5 % of the corpus for each of valid and test, at least 100 pairs (never more
 * than 10 % of the corpus, so a tiny corpus still keeps 80 % for training) and at most 2,000.
 *
 * The ceiling keeps validation fast on big corpora, and it is what made the Tatoeba eng-spa split (118k pairs)
 * 2,000 / 2,000 before sizes depended on the corpus: every corpus from 40,000 pairs up is split exactly as
 * with the old fixed sizes, so the shipped model's test split is unchanged. The floor keeps BLEU on the
 * validation split from being noise on corpora of a few thousand pairs.
 */
export const HELD_OUT = { share: 0.05, floor: 100, floorShare: 0.1, ceiling: 2000 } as const;

/** The held-out size (valid or test) used when none is given, for a corpus of `pairs` pairs. */
export function defaultHeldOutSize(pairs: number): number {
  // One pair at least once there are three (one each for train, valid and test): validation needs one.
  const floor = Math.max(
    pairs >= 3 ? 1 : 0,
    Math.min(HELD_OUT.floor, Math.floor(pairs * HELD_OUT.floorShare)),
  );
  return Math.min(HELD_OUT.ceiling, Math.max(floor, Math.round(pairs * HELD_OUT.share)));
}

/** The sizes `splitCorpus` aims for: the given ones, the others by `defaultHeldOutSize`. */
export function heldOutSizes(
  pairs: number,
  opts: Pick<SplitOptions, 'validSize' | 'testSize'>,
): { validSize: number; testSize: number } {
  return {
    validSize: opts.validSize ?? defaultHeldOutSize(pairs),
    testSize: opts.testSize ?? defaultHeldOutSize(pairs),
  };
}

/**
 * Shuffles the source-sentence groups with `new Rng(seed)` and fills test, then valid, then train.
 * Sizes not given are `defaultHeldOutSize(pairs.length)`.
 *
 * Test and valid may exceed their size by at most one group minus one pair. Within a split, pairs of one group stay
 * together in input order; shuffle per epoch when training. Sources are compared exactly, so callers should
 * normalise text first (the readers already do).
 */
export function splitCorpus(pairs: readonly SentencePair[], opts: SplitOptions): CorpusSplits {
  const { seed } = opts;
  const { validSize, testSize } = heldOutSizes(pairs.length, opts);
  for (const [name, size] of [
    ['validSize', validSize],
    ['testSize', testSize],
  ] as const) {
    if (!Number.isInteger(size) || size < 0) {
      throw new RangeError(`splitCorpus: ${name} must be a non-negative integer, got ${size}`);
    }
  }

  const groups = groupBySource(pairs);
  new Rng(seed).shuffle(groups);

  const splits: CorpusSplits = { train: [], valid: [], test: [] };
  let next = 0;
  for (const [split, size] of [
    [splits.test, testSize],
    [splits.valid, validSize],
  ] as const) {
    while (split.length < size && next < groups.length) appendAll(split, groups[next++]);
  }
  while (next < groups.length) appendAll(splits.train, groups[next++]);

  if (splits.train.length === 0 && pairs.length > 0) {
    throw new RangeError(
      `${pairs.length} pairs (${groups.length} distinct sources) leave no training pairs after ` +
        `${splits.test.length} test and ${splits.valid.length} validation pairs: ` +
        `hold out fewer with --test-size and --valid-size (e.g. --test-size 0 --valid-size ` +
        `${Math.max(1, Math.floor(groups.length / 10))}), or train on a larger corpus`,
    );
  }
  return splits;
}

/** Groups in order of each source's first appearance, so the result depends only on the input order. */
function groupBySource(pairs: readonly SentencePair[]): SentencePair[][] {
  const bySource = new Map<string, SentencePair[]>();
  for (const pair of pairs) {
    const group = bySource.get(pair.src);
    if (group) group.push(pair);
    else bySource.set(pair.src, [pair]);
  }
  return [...bySource.values()];
}

/** `push(...items)` without the argument-count limit, in case one source has a huge number of translations. */
function appendAll<T>(target: T[], items: readonly T[]): void {
  for (const item of items) target.push(item);
}

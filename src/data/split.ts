/**
 * Train/valid/test splitting that keeps every source sentence in exactly one split.
 *
 * Tatoeba lists one English sentence with several translations. Splitting pairs independently would put
 * "I'm hungry." → "Tengo hambre." in train and "I'm hungry." → "Estoy hambriento." in test, and the test score
 * would partly measure memorisation. So pairs are grouped by source sentence and whole groups are assigned.
 */
import { Rng } from './rng.js';
import type { CorpusSplits, SentencePair } from './types.js';

export interface SplitOptions {
  /** Seed for the shuffle; the same seed and input always give the same splits. */
  seed: number;
  /** Target number of validation pairs (reached approximately: whole groups are added until it is met). */
  validSize: number;
  /** Target number of test pairs (same rule as `validSize`). */
  testSize: number;
}

/**
 * Shuffles the source-sentence groups with `new Rng(seed)` and fills test, then valid, then train.
 *
 * Test and valid may exceed their size by at most one group minus one pair. Within a split, pairs of one group stay
 * together in input order; shuffle per epoch when training. Sources are compared exactly, so callers should
 * normalise text first (the readers already do).
 */
export function splitCorpus(pairs: readonly SentencePair[], opts: SplitOptions): CorpusSplits {
  const { seed, validSize, testSize } = opts;
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
      `splitCorpus: ${pairs.length} pairs (${groups.length} distinct sources) leave no training pairs ` +
        `after test ${testSize} and valid ${validSize}`,
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

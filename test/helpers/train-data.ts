/**
 * Training fixtures shared by train.test.ts and reliability.test.ts: configs for small test runs, and sentence
 * pairs prepared for the Trainer with BPE tokenizers trained on the spot.
 */
import path from 'node:path';
import type { SentencePair } from '../../src/data/types.js';
import { SubwordTokenizer } from '../../src/tokenizer/subword.js';
import { TrainConfigSchema, type TrainConfig } from '../../src/train/config.js';
import { encodePairs, type PreparedData, preparedFromExamples } from '../../src/train/prepare.js';
import { trainTokenizerPair } from './tiny-model.js';

/** The smallest model dimensions the training tests use (fast steps, still every part of the model). */
export const TINY_DIMS: Partial<TrainConfig> = {
  embeddingSize: 16,
  hiddenSize: 32,
  attentionSize: 32,
  outputSize: 32,
};

/**
 * A training config writing to `out`: eng→spa, learning rate 1e-2, one worker, then `settings` in order (later
 * ones win). The corpus is a placeholder: tests hand the Trainer its data directly.
 */
export function trainConfig(out: string, ...settings: Partial<TrainConfig>[]): TrainConfig {
  return TrainConfigSchema.parse(
    Object.assign(
      { corpus: 'unused.tsv', out, srcLang: 'eng', tgtLang: 'spa', learningRate: 1e-2, workers: 1 },
      ...settings,
    ),
  );
}

/**
 * `pairs` as training data, with tokenizers of `vocabSize` trained on them and written into `dir`
 * (eng.tokenizer.json, spa.tokenizer.json). Validation uses the first `validPairs` pairs (default: all).
 */
export function preparedData(
  dir: string,
  pairs: SentencePair[],
  { vocabSize, validPairs }: { vocabSize: number; validPairs?: number },
): PreparedData {
  const srcTokenizerFile = path.join(dir, 'eng.tokenizer.json');
  const tgtTokenizerFile = path.join(dir, 'spa.tokenizer.json');
  trainTokenizerPair(pairs, srcTokenizerFile, tgtTokenizerFile, vocabSize);
  const srcTokenizer = SubwordTokenizer.load(srcTokenizerFile);
  const tgtTokenizer = SubwordTokenizer.load(tgtTokenizerFile);
  const train = encodePairs(pairs, srcTokenizer, tgtTokenizer);
  const firstValid = <T>(xs: T[]) => (validPairs === undefined ? xs : xs.slice(0, validPairs));
  return preparedFromExamples({
    train,
    trainPairs: pairs,
    valid: firstValid(train),
    validPairs: firstValid(pairs),
    srcTokenizer,
    tgtTokenizer,
  });
}

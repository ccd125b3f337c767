/**
 * From a corpus spec to tokenized train/valid/test examples: read, normalise, filter, split by source
 * sentence (seeded), train or load the tokenizers, encode.
 */
import path from 'node:path';
import fs from 'node:fs';
import { loadCorpus } from '../data/corpus.js';
import { filterPairs } from '../data/clean.js';
import { splitCorpus } from '../data/split.js';
import type { CorpusSplits, SentencePair } from '../data/types.js';
import type { Example } from '../data/batching.js';
import { trainTokenizerFile } from '../tokenizer/train.js';
import { SubwordTokenizer } from '../tokenizer/subword.js';
import type { TrainConfig } from './config.js';
import type { Logger } from '../util/log.js';

export interface PreparedData {
  splits: CorpusSplits;
  train: Example[];
  valid: Example[];
  srcTokenizer: SubwordTokenizer;
  tgtTokenizer: SubwordTokenizer;
  srcTokenizerFile: string;
  tgtTokenizerFile: string;
}

/** The deterministic splits of a corpus for a config (also used by `evaluate --split test`). */
export function corpusSplits(
  cfg: Pick<TrainConfig, 'corpus' | 'reverse' | 'maxChars' | 'maxRatio' | 'seed' | 'validSize' | 'testSize'>,
  log?: Logger,
): CorpusSplits {
  const pairs = loadCorpus(cfg.corpus, { reverse: cfg.reverse });
  const { kept, dropped } = filterPairs(pairs, {
    maxChars: cfg.maxChars,
    maxRatio: cfg.maxRatio,
    dedupe: true,
  });
  log?.info(
    `corpus ${cfg.corpus}: ${pairs.length} pairs, kept ${kept.length} (dropped ${dropped.tooLong} too long, ${dropped.badRatio} bad length ratio, ${dropped.duplicate} duplicates)`,
  );
  return splitCorpus(kept, { seed: cfg.seed, validSize: cfg.validSize, testSize: cfg.testSize });
}

export function encodePairs(pairs: SentencePair[], src: SubwordTokenizer, tgt: SubwordTokenizer): Example[] {
  return pairs.map((p) => ({ src: src.encode(p.src), tgt: tgt.encode(p.tgt) }));
}

export function prepareData(
  cfg: TrainConfig,
  log: Logger,
  existingTokenizers?: { src: string; tgt: string },
): PreparedData {
  const splits = corpusSplits(cfg, log);
  log.info(
    `split: ${splits.train.length} train, ${splits.valid.length} valid, ${splits.test.length} test pairs (seed ${cfg.seed})`,
  );
  const vocabDir = cfg.vocabDir ?? path.join(cfg.out, 'vocab');
  const srcTokenizerFile =
    existingTokenizers?.src ?? cfg.srcTokenizer ?? path.join(vocabDir, `${cfg.srcLang}.tokenizer.json`);
  const tgtTokenizerFile =
    existingTokenizers?.tgt ?? cfg.tgtTokenizer ?? path.join(vocabDir, `${cfg.tgtLang}.tokenizer.json`);
  if (!existingTokenizers && !cfg.srcTokenizer) {
    trainTokenizerFile(dedupe(splits.train.map((p) => p.src)), srcTokenizerFile, {
      vocabSize: cfg.srcVocabSize,
    });
    log.info(`trained source BPE tokenizer (${cfg.srcVocabSize} tokens) → ${srcTokenizerFile}`);
  }
  if (!existingTokenizers && !cfg.tgtTokenizer) {
    trainTokenizerFile(dedupe(splits.train.map((p) => p.tgt)), tgtTokenizerFile, {
      vocabSize: cfg.tgtVocabSize,
    });
    log.info(`trained target BPE tokenizer (${cfg.tgtVocabSize} tokens) → ${tgtTokenizerFile}`);
  }
  for (const f of [srcTokenizerFile, tgtTokenizerFile])
    if (!fs.existsSync(f)) throw new Error(`tokenizer file not found: ${f}`);
  const srcTokenizer = SubwordTokenizer.load(srcTokenizerFile);
  const tgtTokenizer = SubwordTokenizer.load(tgtTokenizerFile);
  const t0 = Date.now();
  const train = encodePairs(splits.train, srcTokenizer, tgtTokenizer);
  const valid = encodePairs(splits.valid, srcTokenizer, tgtTokenizer);
  const srcTok = train.reduce((n, e) => n + e.src.length, 0);
  const tgtTok = train.reduce((n, e) => n + e.tgt.length, 0);
  log.info(
    `encoded in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${srcTok} source and ${tgtTok} target subword tokens in the training split`,
  );
  return { splits, train, valid, srcTokenizer, tgtTokenizer, srcTokenizerFile, tgtTokenizerFile };
}

/** Each distinct sentence once: repeated sources (one per translation) would skew the BPE counts. */
function dedupe(xs: string[]): string[] {
  return [...new Set(xs)];
}

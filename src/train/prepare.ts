/**
 * From corpus specs to tokenized training data: read, normalise, filter, split the first corpus by source
 * sentence (seeded), read the validation and test files, keep their sentences out of training, train or
 * load the tokenizers (one shared BPE when both languages use the same script), encode. Each epoch's
 * training examples are drawn here too (`epochExamples`): corpus weights, case and punctuation noise and
 * BPE-dropout, all a pure function of (seed, epoch) so that resuming is exact.
 */
import path from 'node:path';
import fs from 'node:fs';
import { loadCorpus } from '../data/corpus.js';
import { filterPairs, keepsSourceNumbers } from '../data/clean.js';
import { splitCorpus } from '../data/split.js';
import { Rng } from '../util/rng.js';
import type { CorpusSplits, SentencePair } from '../data/types.js';
import type { Example } from '../data/batching.js';
import { splitsPunctuation, trainTokenizerFile, withPunctuationSplit } from '../tokenizer/train.js';
import { SubwordTokenizer } from '../tokenizer/subword.js';
import { BpeDropoutEncoder } from '../tokenizer/bpe-dropout.js';
import { sameScript } from '../tokenizer/script.js';
import type { TrainConfig } from './config.js';
import { augmentPair, weightedEpochPairs } from './augment.js';
import { type ChunkLinks, lexicalChunkLinks, subwordGuide } from './guided-alignment.js';
import { Lexicon } from '../lexalign/lexicon.js';
import type { Logger } from '../util/log.js';
import { NameSwapper } from './name-swap.js';
import { writeFileAtomic } from '../util/atomic.js';

/** A named set of pairs (a validation or test file, or the held-out split). */
export interface NamedPairs {
  name: string;
  /** The file it was read from, or the corpus spec it was split from. */
  source: string;
  pairs: SentencePair[];
}

export interface EncodedSet extends NamedPairs {
  examples: Example[];
}

export interface TrainingCorpus {
  name: string;
  spec: string;
  weight: number;
  /** Pairs used for training (for the first corpus: its training split). */
  pairs: SentencePair[];
}

export interface PreparedData {
  /** The splits of the first corpus. */
  splits: CorpusSplits;
  trainCorpora: TrainingCorpus[];
  /** Every training pair once, encoded without noise. */
  train: Example[];
  /** The training examples of an epoch (weights, noise, BPE-dropout applied); `train` when there are none. */
  epochExamples(epoch: number): Example[];
  /** Validation sets: the --valid files, then the held-out split (when it has pairs). */
  validSets: EncodedSet[];
  /** Test sets: the --test files (the held-out test split is `splits.test`). */
  testSets: NamedPairs[];
  /** The held-out validation split, encoded (kept for callers that know only one set). */
  valid: Example[];
  srcTokenizer: SubwordTokenizer;
  tgtTokenizer: SubwordTokenizer;
  srcTokenizerFile: string;
  tgtTokenizerFile: string;
  /** The statistical word aligner of the training pairs, when guided alignment trained it. */
  lexicon?: Lexicon;
}

/** `file@3` → { spec: 'file', weight: 3 }; no suffix → weight 1. */
export function parseCorpusSpec(spec: string): { spec: string; weight: number } {
  const m = /^(.*)@(\d+(?:\.\d+)?)$/.exec(spec);
  if (!m) return { spec, weight: 1 };
  const weight = Number(m[2]);
  if (!(weight > 0)) throw new Error(`--corpus ${spec}: the weight after @ must be a number above 0`);
  return { spec: m[1], weight };
}

/** A short name for reports: the file name without its extension (`news.dev.tsv` → `news.dev`). */
export function setName(spec: string): string {
  const first = spec.split(',')[0];
  return path.basename(first).replace(/\.(tsv|txt)$/i, '');
}

type SplitConfig = Pick<
  TrainConfig,
  'reverse' | 'maxChars' | 'maxRatio' | 'seed' | 'validSize' | 'testSize'
> & { corpus: string | string[] };

/** The deterministic splits of the first corpus of a config (also used by `evaluate --split test`). */
export function corpusSplits(cfg: SplitConfig, log?: Logger): CorpusSplits {
  const spec = parseCorpusSpec(typeof cfg.corpus === 'string' ? cfg.corpus : cfg.corpus[0]).spec;
  const kept = readFiltered(spec, cfg, log);
  return splitCorpus(kept, { seed: cfg.seed, validSize: cfg.validSize, testSize: cfg.testSize });
}

function readFiltered(
  spec: string,
  cfg: Pick<TrainConfig, 'reverse' | 'maxChars' | 'maxRatio'>,
  log?: Logger,
) {
  const pairs = loadCorpus(spec, { reverse: cfg.reverse });
  const { kept, dropped } = filterPairs(pairs, {
    maxChars: cfg.maxChars,
    maxRatio: cfg.maxRatio,
    dedupe: true,
  });
  log?.info(
    `corpus ${spec}: ${pairs.length} pairs, kept ${kept.length} (dropped ${dropped.tooLong} too long, ${dropped.badRatio} bad length ratio, ${dropped.duplicate} duplicates)`,
  );
  return kept;
}

export function encodePairs(pairs: SentencePair[], src: SubwordTokenizer, tgt: SubwordTokenizer): Example[] {
  // The project's own tokenizers are encoded by BpeDropoutEncoder at p = 0: the same ids as
  // transformers.js (test/tokenizer.test.ts), ~5× faster (99 s → ~20 s for the eng-spa training data).
  const fast = (t: SubwordTokenizer) => {
    const e = BpeDropoutEncoder.forOwnFormat(t.file);
    const rng = new Rng(0);
    return e ? (s: string) => e.encode(s, 0, rng) : (s: string) => t.encode(s);
  };
  const encSrc = fast(src);
  const encTgt = tgt.file === src.file ? encSrc : fast(tgt);
  return pairs.map((p) => ({ src: encSrc(p.src), tgt: encTgt(p.tgt) }));
}

/** Validation and test files: every pair kept (scores are over the whole file), read as the corpus is. */
function readHeldOutFiles(files: string[], reverse: boolean): NamedPairs[] {
  const sets = files.map((file) => ({
    name: setName(file),
    source: file,
    pairs: loadCorpus(file, { reverse }),
  }));
  const seen = new Set<string>();
  for (const s of sets) {
    if (seen.has(s.name)) throw new Error(`two held-out files are both named "${s.name}": ${s.source}`);
    seen.add(s.name);
  }
  return sets;
}

export function prepareData(
  cfg: TrainConfig,
  log: Logger,
  existingTokenizers?: { src: string; tgt: string },
): PreparedData {
  const splits = corpusSplits(cfg, log);
  log.info(
    `split of ${cfg.corpus[0]}: ${splits.train.length} train, ${splits.valid.length} valid, ${splits.test.length} test pairs (seed ${cfg.seed})`,
  );
  const validFiles = readHeldOutFiles(cfg.valid, cfg.reverse);
  const testFiles = readHeldOutFiles(cfg.test, cfg.reverse);
  // Sentences of any validation or test set never enter training, whichever corpus holds them.
  const heldOut = new Set(
    [...validFiles, ...testFiles, { pairs: [...splits.valid, ...splits.test] }].flatMap((s) =>
      s.pairs.map((p) => p.src),
    ),
  );
  const trainCorpora: TrainingCorpus[] = cfg.corpus.map((raw, i) => {
    const { spec, weight } = parseCorpusSpec(raw);
    const all = i === 0 ? splits.train : readFiltered(spec, cfg, log);
    const unseen = all.filter((p) => !heldOut.has(p.src));
    if (unseen.length < all.length)
      log.info(
        `${spec}: left out ${all.length - unseen.length} pairs whose source is in a validation or test set`,
      );
    const pairs = cfg.dropChangedNumbers ? unseen.filter(keepsSourceNumbers) : unseen;
    if (pairs.length < unseen.length)
      log.info(
        `${spec}: left out ${unseen.length - pairs.length} pairs whose target does not write every number of the source (--drop-changed-numbers)`,
      );
    return { name: setName(spec), spec, weight, pairs };
  });
  const trainPairs = trainCorpora.flatMap((c) => c.pairs);
  if (trainPairs.length === 0)
    throw new Error(
      `no training pairs left: every source sentence of ${cfg.corpus.join(', ')} is in a --valid/--test file or the held-out split`,
    );

  const tok = tokenizerFiles(cfg, trainPairs, log, existingTokenizers);
  const srcTokenizer = SubwordTokenizer.load(tok.src);
  const tgtTokenizer = SubwordTokenizer.load(tok.tgt);
  const t0 = Date.now();
  const train = encodePairs(trainPairs, srcTokenizer, tgtTokenizer);
  const lexicon = cfg.guidedAlignment > 0 ? trainLexicon(cfg, trainCorpora, log) : undefined;
  const guide = lexicon
    ? guideFor(lexicalChunkLinks(lexicon, trainPairs), srcTokenizer, tgtTokenizer)
    : undefined;
  if (guide) {
    trainPairs.forEach((p, k) => guide(p, p, train[k]));
    const without = train.filter((e) => !e.guide).length;
    log.info(
      `guided alignment: ${without} of ${train.length} training pairs have no guide (subwords that do not spell their chunks)`,
    );
  }
  const encodeSet = (s: NamedPairs): EncodedSet => ({
    ...s,
    examples: encodePairs(s.pairs, srcTokenizer, tgtTokenizer),
  });
  const validSets = validFiles.map(encodeSet);
  const splitValid = encodeSet({ name: 'split', source: cfg.corpus[0], pairs: splits.valid });
  if (splitValid.pairs.length > 0) validSets.push(splitValid);
  const srcTok = train.reduce((n, e) => n + e.src.length, 0);
  const tgtTok = train.reduce((n, e) => n + e.tgt.length, 0);
  log.info(
    `encoded in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${srcTok} source and ${tgtTok} target subword tokens in ${train.length} training pairs`,
  );
  return {
    splits,
    trainCorpora,
    train,
    epochExamples: epochExamplesFor(cfg, trainCorpora, train, tok, guide),
    validSets,
    testSets: testFiles,
    valid: splitValid.examples,
    srcTokenizer,
    tgtTokenizer,
    srcTokenizerFile: tok.src,
    tgtTokenizerFile: tok.tgt,
    lexicon,
  };
}

/** Train (or reuse) the tokenizers; returns their files. */
function tokenizerFiles(
  cfg: TrainConfig,
  trainPairs: SentencePair[],
  log: Logger,
  existing?: { src: string; tgt: string },
): { src: string; tgt: string } {
  // One file for both sides is the shared vocabulary (the trainer compares the two paths).
  if (existing) return existing;
  const vocabDir = cfg.vocabDir ?? path.join(cfg.out, 'vocab');
  const options = {
    splitDigits: cfg.splitDigits,
    splitPunctuation: cfg.splitPunctuation,
    byteFallback: cfg.byteFallback,
  };
  const shared =
    !cfg.srcTokenizer &&
    !cfg.tgtTokenizer &&
    (cfg.sharedVocab === 'yes' ||
      (cfg.sharedVocab === 'auto' &&
        sameScript(
          trainPairs.map((p) => p.src),
          trainPairs.map((p) => p.tgt),
        )));
  const report = (side: string, file: string) =>
    log.info(`trained ${side} BPE tokenizer: ${SubwordTokenizer.load(file).vocabSize} tokens → ${file}`);
  if (shared) {
    const file = path.join(vocabDir, `${cfg.srcLang}-${cfg.tgtLang}.tokenizer.json`);
    const sentences = dedupe([...trainPairs.map((p) => p.src), ...trainPairs.map((p) => p.tgt)]);
    trainTokenizerFile(sentences, file, { vocabSize: cfg.vocabSize, ...options });
    report('shared (source and target)', file);
    return { src: file, tgt: file };
  }
  const src = cfg.srcTokenizer
    ? punctuationSplitOf(cfg, cfg.srcTokenizer, vocabDir, log)
    : path.join(vocabDir, `${cfg.srcLang}.tokenizer.json`);
  const tgt = cfg.tgtTokenizer
    ? cfg.tgtTokenizer === cfg.srcTokenizer
      ? src
      : punctuationSplitOf(cfg, cfg.tgtTokenizer, vocabDir, log)
    : path.join(vocabDir, `${cfg.tgtLang}.tokenizer.json`);
  if (!cfg.srcTokenizer) {
    trainTokenizerFile(dedupe(trainPairs.map((p) => p.src)), src, {
      vocabSize: cfg.srcVocabSize,
      ...options,
    });
    report('source', src);
  }
  if (!cfg.tgtTokenizer) {
    trainTokenizerFile(dedupe(trainPairs.map((p) => p.tgt)), tgt, {
      vocabSize: cfg.tgtVocabSize,
      ...options,
    });
    report('target', tgt);
  }
  for (const f of [src, tgt]) if (!fs.existsSync(f)) throw new Error(`tokenizer file not found: ${f}`);
  return { src, tgt };
}

/**
 * A given tokenizer (--src-tokenizer, or --init-from's), or with --split-punctuation a copy of it with the
 * marks split off words, written once into the vocabulary folder (same ids: withPunctuationSplit).
 */
function punctuationSplitOf(cfg: TrainConfig, file: string, vocabDir: string, log: Logger): string {
  if (!cfg.splitPunctuation) return file;
  if (!fs.existsSync(file)) throw new Error(`tokenizer file not found: ${file}`);
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as Parameters<typeof splitsPunctuation>[0];
  if (splitsPunctuation(json)) return file;
  const out = path.join(vocabDir, `${path.basename(file, '.json')}.split-punctuation.json`);
  fs.mkdirSync(vocabDir, { recursive: true });
  writeFileAtomic(out, JSON.stringify(withPunctuationSplit(json, file)) + '\n');
  log.info(`--split-punctuation: ${file} with . , ! ? ; : split off words (same ids) → ${out}`);
  return out;
}

function epochExamplesFor(
  cfg: TrainConfig,
  corpora: TrainingCorpus[],
  train: Example[],
  tok: { src: string; tgt: string },
  guide?: GuideExample,
): (epoch: number) => Example[] {
  const noisy =
    cfg.bpeDropout > 0 ||
    cfg.upperCaseShare > 0 ||
    cfg.lowerCaseShare > 0 ||
    cfg.dropPunctuationShare > 0 ||
    cfg.swapNamesShare > 0 ||
    corpora.some((c) => c.weight !== 1);
  if (!noisy) return () => train;
  const srcEncoder = BpeDropoutEncoder.load(tok.src);
  const tgtEncoder = tok.tgt === tok.src ? srcEncoder : BpeDropoutEncoder.load(tok.tgt);
  const swapper = cfg.swapNamesShare > 0 ? NameSwapper.fromPairs(corpora.flatMap((c) => c.pairs)) : undefined;
  let cached: { epoch: number; examples: Example[] } | undefined;
  return (epoch: number) => {
    if (cached?.epoch === epoch) return cached.examples;
    const rng = new Rng((cfg.seed * 1_000_033 + epoch * 7919 + 17) >>> 0);
    // Its own generator: turning copy practice on leaves every other draw of the epoch as it was.
    const swapRng = new Rng((cfg.seed * 1_000_037 + epoch * 7927 + 29) >>> 0);
    const examples = weightedEpochPairs(corpora, rng).map((pair) => {
      const swapped = swapper && swapRng.next() < cfg.swapNamesShare ? swapper.swap(pair, swapRng) : pair;
      // A swapped pair's words are no longer the aligner's: matchWords fails and it trains without a guide.
      const p = augmentPair(swapped, cfg, rng);
      const example: Example = {
        src: srcEncoder.encode(p.src, cfg.bpeDropout, rng),
        tgt: tgtEncoder.encode(p.tgt, cfg.bpeDropout, rng),
      };
      guide?.(pair, p, example);
      return example;
    });
    cached = { epoch, examples };
    return examples;
  };
}

/** Sets `example.guide` for the encoding of `shown`, a (possibly noised) copy of training pair `original`. */
type GuideExample = (original: SentencePair, shown: SentencePair, example: Example) => void;

/** Learns the chunk links of the training pairs (guided alignment) and returns what attaches them. */
function guideFor(
  links: ChunkLinks,
  srcTokenizer: SubwordTokenizer,
  tgtTokenizer: SubwordTokenizer,
): GuideExample {
  return (original, shown, example) => {
    const pairLinks = links.get(original);
    if (!pairLinks) return;
    example.guide = subwordGuide(
      original,
      shown,
      pairLinks,
      srcTokenizer.tokens(example.src),
      tgtTokenizer.tokens(example.tgt),
    );
  };
}

/** The statistical aligner of the training pairs (saved with the model; the guide of guided alignment). */
function trainLexicon(cfg: TrainConfig, corpora: TrainingCorpus[], log: Logger): Lexicon {
  const t0 = Date.now();
  const pairs = corpora.flatMap((c) => c.pairs);
  const lexicon = Lexicon.train(pairs, {
    srcLang: cfg.srcLang,
    tgtLang: cfg.tgtLang,
    symmetrization: cfg.guidedAlignmentLinks,
    corpora: corpora.map((c) => c.spec),
  });
  log.info(
    `statistical word aligner (IBM 2, both directions, ${cfg.guidedAlignmentLinks}) trained on ${pairs.length} ` +
      `training pairs in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  return lexicon;
}

/** Each distinct sentence once: repeated sources (one per translation) would skew the BPE counts. */
function dedupe(xs: string[]): string[] {
  return [...new Set(xs)];
}

/**
 * PreparedData for examples already encoded (benchmarks, tests): one training corpus, no noise, the
 * validation pairs (if any) as the one validation set.
 */
export function preparedFromExamples(opts: {
  train: Example[];
  trainPairs?: SentencePair[];
  valid?: Example[];
  validPairs?: SentencePair[];
  srcTokenizer: SubwordTokenizer;
  tgtTokenizer: SubwordTokenizer;
}): PreparedData {
  const valid = opts.valid ?? [];
  const validPairs = opts.validPairs ?? [];
  const trainPairs = opts.trainPairs ?? [];
  return {
    splits: { train: trainPairs, valid: validPairs, test: [] },
    trainCorpora: [{ name: 'train', spec: 'train', weight: 1, pairs: trainPairs }],
    train: opts.train,
    epochExamples: () => opts.train,
    validSets:
      valid.length > 0 ? [{ name: 'split', source: 'train', pairs: validPairs, examples: valid }] : [],
    testSets: [],
    valid,
    srcTokenizer: opts.srcTokenizer,
    tgtTokenizer: opts.tgtTokenizer,
    srcTokenizerFile: opts.srcTokenizer.file,
    tgtTokenizerFile: opts.tgtTokenizer.file,
  };
}

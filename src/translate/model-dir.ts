/**
 * A model directory: everything needed to translate, nothing needed only for training.
 *   config.json        format, languages, ModelConfig, tokenizer paths (relative), weights manifest, metrics
 *   weights.bin        parameters (float32 or float16), see src/model/weights-io.ts
 *   src.tokenizer.json, tgt.tokenizer.json   the tokenizers (one tokenizer.json when both sides share it)
 *   test.tsv           the held-out test pairs of the training corpus, when training held some out
 *   lexicon.json       a statistical word aligner of the training pairs (src/lexalign/lexicon.ts), when one
 *                      was trained (guided alignment, or `lexical-align --save-lexicon`): the page's links
 *
 * `saveModelDir` copies the tokenizers in, so a folder it wrote can be copied, zipped or served from
 * anywhere. `loadModelDir` still follows whatever relative paths config.json holds (folders written before
 * the copy pointed outside themselves, e.g. into the top-level vocab/).
 * Writes are atomic and config.json is written last: it carries the checksum of weights.bin, so a
 * directory caught half-updated is refused at load time rather than loaded with mismatched parts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ModelConfigSchema } from '../model/config.js';
import { Seq2Seq } from '../model/seq2seq.js';
import {
  assignWeights,
  encodeWeights,
  readBytes,
  readParams,
  type WeightDtype,
} from '../model/weights-io.js';
import { writeFileAtomic } from '../util/atomic.js';
import { SubwordTokenizer } from '../tokenizer/subword.js';
import { readTsv } from '../data/readers.js';
import type { SentencePair } from '../data/types.js';
import { Lexicon } from '../lexalign/lexicon.js';

export const MODEL_FORMAT = 'nmt-model/1';

const ManifestSchema = z.object({
  file: z.string(),
  dtype: z.enum(['float32', 'float16']),
  byteLength: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  tensors: z.array(
    z.object({
      name: z.string(),
      shape: z.array(z.number().int().nonnegative()),
      offset: z.number().int().nonnegative(),
    }),
  ),
});

export const ModelDirConfigSchema = z.object({
  format: z.literal(MODEL_FORMAT),
  srcLang: z.string(),
  tgtLang: z.string(),
  model: ModelConfigSchema,
  tokenizers: z.object({ src: z.string(), tgt: z.string() }),
  weights: ManifestSchema,
  /** The held-out test pairs kept beside the model (a TSV file, relative to the folder), if any. */
  testSet: z.string().optional(),
  /** The word aligner saved beside the model (src/lexalign/lexicon.ts), relative to the folder, if any. */
  lexicon: z.string().optional(),
  /** Free-form facts for the model card and the page: corpus, command, wall time, scores. */
  info: z.record(z.string(), z.unknown()).default({}),
});

export type ModelDirConfig = z.infer<typeof ModelDirConfigSchema>;

export interface LoadedModel {
  dir: string;
  config: ModelDirConfig;
  model: Seq2Seq;
  srcTokenizer: SubwordTokenizer;
  tgtTokenizer: SubwordTokenizer;
  /** The folder's word aligner, when it has one: links are drawn from it rather than from attention. */
  lexicon?: Lexicon;
}

export interface SaveModelOptions {
  srcLang: string;
  tgtLang: string;
  srcTokenizerFile: string;
  tgtTokenizerFile: string;
  dtype?: WeightDtype;
  info?: Record<string, unknown>;
  /**
   * Held-out test pairs to keep in the folder as test.tsv, so `evaluate --split test` needs no corpus.
   * Only a split of the training corpus belongs here: a separate test file stays where it is.
   */
  testPairs?: readonly SentencePair[];
  /** A word aligner of the training pairs, saved as lexicon.json. */
  lexicon?: Lexicon;
}

/** File names inside a model folder. */
export const MODEL_FILES = {
  config: 'config.json',
  weights: 'weights.bin',
  srcTokenizer: 'src.tokenizer.json',
  tgtTokenizer: 'tgt.tokenizer.json',
  /** Both sides, when source and target share one vocabulary. */
  sharedTokenizer: 'tokenizer.json',
  testSet: 'test.tsv',
  lexicon: 'lexicon.json',
} as const;

export function saveModelDir(dir: string, model: Seq2Seq, opts: SaveModelOptions): ModelDirConfig {
  fs.mkdirSync(dir, { recursive: true });
  const tokenizers = copyTokenizers(dir, opts.srcTokenizerFile, opts.tgtTokenizerFile);
  const { manifest, bytes } = encodeWeights(readParams(model.params), opts.dtype ?? 'float32');
  writeFileAtomic(path.join(dir, MODEL_FILES.weights), bytes);
  const testSet = opts.testPairs && opts.testPairs.length > 0 ? MODEL_FILES.testSet : undefined;
  if (testSet) writeFileAtomic(path.join(dir, testSet), pairsToTsv(opts.testPairs ?? [], testSet));
  const lexicon = opts.lexicon ? MODEL_FILES.lexicon : undefined;
  if (lexicon) opts.lexicon?.save(path.join(dir, lexicon));
  const config: ModelDirConfig = {
    format: MODEL_FORMAT,
    srcLang: opts.srcLang,
    tgtLang: opts.tgtLang,
    model: model.config,
    tokenizers,
    weights: { file: MODEL_FILES.weights, ...manifest },
    ...(testSet && { testSet }),
    ...(lexicon && { lexicon }),
    info: opts.info ?? {},
  };
  writeModelConfig(dir, config);
  return config;
}

/**
 * Copies the tokenizers into `dir` (one file when both sides have the same content: a shared vocabulary)
 * and returns their paths relative to `dir`, as config.json records them.
 */
function copyTokenizers(dir: string, srcFile: string, tgtFile: string): ModelDirConfig['tokenizers'] {
  const read = (file: string, side: string): Buffer => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new Error(`cannot copy the ${side} tokenizer ${file} into ${dir}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  };
  const src = read(srcFile, 'source');
  const tgt = path.resolve(srcFile) === path.resolve(tgtFile) ? src : read(tgtFile, 'target');
  if (src.equals(tgt)) {
    writeFileAtomic(path.join(dir, MODEL_FILES.sharedTokenizer), src);
    return { src: MODEL_FILES.sharedTokenizer, tgt: MODEL_FILES.sharedTokenizer };
  }
  writeFileAtomic(path.join(dir, MODEL_FILES.srcTokenizer), src);
  writeFileAtomic(path.join(dir, MODEL_FILES.tgtTokenizer), tgt);
  return { src: MODEL_FILES.srcTokenizer, tgt: MODEL_FILES.tgtTokenizer };
}

/** Pairs as TSV lines; a tab or line break inside a sentence would shift the columns, so it is refused. */
function pairsToTsv(pairs: readonly SentencePair[], name: string): string {
  return pairs
    .map((p, i) => {
      if (/[\t\r\n]/.test(p.src + p.tgt) || p.src === '' || p.tgt === '') {
        throw new Error(
          `${name}: test pair ${i + 1} has an empty side, a tab or a line break: ${JSON.stringify(p)}`,
        );
      }
      return `${p.src}\t${p.tgt}\n`;
    })
    .join('');
}

/**
 * The test pairs kept in a model folder (config.json `testSet`), or undefined when it keeps none.
 * Read with the corpus reader, so a damaged file is refused with its line number.
 */
export function readModelTestSet(
  dir: string,
  config: ModelDirConfig = readModelConfig(dir),
): SentencePair[] | undefined {
  if (!config.testSet) return undefined;
  return readTsv(path.resolve(dir, config.testSet));
}

/** Read and validate config.json; errors name the file and the field. */
export function readModelConfig(dir: string): ModelDirConfig {
  const file = path.join(dir, 'config.json');
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read model config ${file}: ${(err as Error).message}`, { cause: err });
  }
  const parsed = ModelDirConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file}: invalid field "${issue.path.join('.')}": ${issue.message}`);
  }
  return parsed.data;
}

/** config.json, atomically: written last when a folder is saved, so it vouches for the files before it. */
function writeModelConfig(dir: string, config: ModelDirConfig): void {
  writeFileAtomic(path.join(dir, MODEL_FILES.config), JSON.stringify(config, null, 2) + '\n');
}

/** A lexicon aligns the model's own language pair, in the model's direction. */
function checkLexiconLanguages(config: ModelDirConfig, lexicon: Lexicon, where: string): void {
  if (lexicon.srcLang !== config.srcLang || lexicon.tgtLang !== config.tgtLang)
    throw new Error(
      `${where}: the lexicon aligns ${lexicon.srcLang}→${lexicon.tgtLang} but the model translates ` +
        `${config.srcLang}→${config.tgtLang}`,
    );
}

/** Save `lexicon` into the model folder `dir` as lexicon.json and record it in config.json (written last). */
export function attachLexicon(dir: string, lexicon: Lexicon): void {
  const config = readModelConfig(dir);
  checkLexiconLanguages(config, lexicon, dir);
  lexicon.save(path.join(dir, MODEL_FILES.lexicon));
  config.lexicon = MODEL_FILES.lexicon;
  writeModelConfig(dir, config);
}

/** Merge `fields` into config.json's `info` (e.g. test scores measured after export), atomically. */
export function updateModelInfo(dir: string, fields: Record<string, unknown>): void {
  const config = readModelConfig(dir);
  config.info = { ...config.info, ...fields };
  writeModelConfig(dir, config);
}

/** Load a model directory, checking every file. Requires an initialised TensorFlow.js backend. */
export function loadModelDir(dir: string): LoadedModel {
  const config = readModelConfig(dir);
  const cfgFile = path.join(dir, 'config.json');
  for (const side of ['src', 'tgt'] as const) {
    const file = path.resolve(dir, config.tokenizers[side]);
    if (!fs.existsSync(file)) {
      // Folders written before tokenizers were copied in point outside themselves and break when moved.
      throw new Error(
        `${cfgFile}: tokenizers.${side} "${config.tokenizers[side]}" → ${file} not found` +
          (config.tokenizers[side].startsWith('..')
            ? '; this model folder refers to a tokenizer outside itself (written before model folders were ' +
              'self-contained): run `npm run export-model -- --from <folder where it works> --to <new folder>` ' +
              'to make a copy that carries its tokenizers'
            : ''),
      );
    }
  }
  const srcTokenizer = SubwordTokenizer.load(path.resolve(dir, config.tokenizers.src));
  const tgtTokenizer = SubwordTokenizer.load(path.resolve(dir, config.tokenizers.tgt));
  if (srcTokenizer.vocabSize !== config.model.srcVocabSize) {
    throw new Error(
      `${srcTokenizer.file} has ${srcTokenizer.vocabSize} tokens but ${cfgFile} says srcVocabSize ${config.model.srcVocabSize}`,
    );
  }
  if (tgtTokenizer.vocabSize !== config.model.tgtVocabSize) {
    throw new Error(
      `${tgtTokenizer.file} has ${tgtTokenizer.vocabSize} tokens but ${cfgFile} says tgtVocabSize ${config.model.tgtVocabSize}`,
    );
  }
  const model = new Seq2Seq(config.model);
  const weightsFile = path.join(dir, config.weights.file);
  try {
    assignWeights(model.params, config.weights, readBytes(weightsFile), weightsFile);
  } catch (err) {
    model.dispose();
    throw err;
  }
  let lexicon: Lexicon | undefined;
  try {
    lexicon = config.lexicon ? Lexicon.load(path.resolve(dir, config.lexicon)) : undefined;
    if (lexicon) checkLexiconLanguages(config, lexicon, 'lexicon');
  } catch (err) {
    model.dispose();
    throw new Error(`${cfgFile}: lexicon "${config.lexicon}": ${(err as Error).message}`, { cause: err });
  }
  return { dir, config, model, srcTokenizer, tgtTokenizer, ...(lexicon && { lexicon }) };
}

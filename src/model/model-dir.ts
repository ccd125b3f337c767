/**
 * A model directory: everything needed to translate, nothing needed only for training.
 *   config.json   format, languages, ModelConfig, tokenizer paths (relative), weights manifest, metrics
 *   weights.bin   parameters (float32 or float16), see weights-io.ts
 * Tokenizers live wherever config.json points (the shipped model points into vocab/).
 * Writes are atomic and config.json is written last: it carries the checksum of weights.bin, so a
 * directory caught half-updated is refused at load time rather than loaded with mismatched parts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ModelConfigSchema } from './config.js';
import { Seq2Seq } from './seq2seq.js';
import { assignWeights, encodeWeights, readBytes, readParams, type WeightDtype } from './weights-io.js';
import { writeFileAtomic } from '../util/atomic.js';
import { SubwordTokenizer } from '../tokenizer/subword.js';

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
}

export interface SaveModelOptions {
  srcLang: string;
  tgtLang: string;
  srcTokenizerFile: string;
  tgtTokenizerFile: string;
  dtype?: WeightDtype;
  info?: Record<string, unknown>;
}

export function saveModelDir(dir: string, model: Seq2Seq, opts: SaveModelOptions): ModelDirConfig {
  fs.mkdirSync(dir, { recursive: true });
  const { manifest, bytes } = encodeWeights(readParams(model.params), opts.dtype ?? 'float32');
  writeFileAtomic(path.join(dir, 'weights.bin'), bytes);
  const config: ModelDirConfig = {
    format: MODEL_FORMAT,
    srcLang: opts.srcLang,
    tgtLang: opts.tgtLang,
    model: model.config,
    tokenizers: {
      src: path.relative(dir, path.resolve(opts.srcTokenizerFile)),
      tgt: path.relative(dir, path.resolve(opts.tgtTokenizerFile)),
    },
    weights: { file: 'weights.bin', ...manifest },
    info: opts.info ?? {},
  };
  writeFileAtomic(path.join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  return config;
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

/** Load a model directory, checking every file. Requires an initialised TensorFlow.js backend. */
export function loadModelDir(dir: string): LoadedModel {
  const config = readModelConfig(dir);
  const srcTokenizer = SubwordTokenizer.load(path.resolve(dir, config.tokenizers.src));
  const tgtTokenizer = SubwordTokenizer.load(path.resolve(dir, config.tokenizers.tgt));
  const cfgFile = path.join(dir, 'config.json');
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
  return { dir, config, model, srcTokenizer, tgtTokenizer };
}

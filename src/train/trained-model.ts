/**
 * The trained model's side of a training config: the model it describes, and what its model directory
 * records about the training (`info` in config.json: corpora, validation scores, split, step).
 */
import fs from 'node:fs';
import { ModelConfigSchema, type ModelConfig } from '../model/config.js';
import { saveModelDir } from '../translate/model-dir.js';
import type { Seq2Seq } from '../model/seq2seq.js';
import type { TrainState } from './checkpoint.js';
import type { TrainConfig } from './config.js';
import type { PreparedData } from './prepare.js';
import { heldOutTestPairs } from './run-folder.js';
import { type SetScores, selectionName } from './selection.js';

/**
 * The model of a training config. A shared vocabulary (both tokenizers one file) allows copying and tying
 * all embeddings; with tied embeddings the deep output has the embedding's size (O = E).
 */
export function modelConfigFor(
  cfg: TrainConfig,
  srcVocab: number,
  tgtVocab: number,
  sharedVocab = false,
): ModelConfig {
  const tie = cfg.tieEmbeddings === 'auto' ? (sharedVocab ? 'all' : 'target') : cfg.tieEmbeddings;
  if (tie === 'all' && !sharedVocab)
    throw new Error(`--tie-embeddings all needs one shared vocabulary (--shared-vocab yes)`);
  return ModelConfigSchema.parse({
    srcVocabSize: srcVocab,
    tgtVocabSize: tgtVocab,
    embeddingSize: cfg.embeddingSize,
    encoderHiddenSize: cfg.hiddenSize,
    encoderLayers: cfg.encoderLayers,
    decoderHiddenSize: cfg.hiddenSize,
    attentionSize: cfg.attentionSize,
    outputSize: tie === 'none' ? cfg.outputSize : cfg.embeddingSize,
    dropout: cfg.dropout,
    tiedEmbeddings: tie,
    // Copying needs source and target ids in one vocabulary; without one it is off.
    copyAttention: cfg.copyAttention && sharedVocab,
  });
}

/** What a model directory records about its training (`info` in config.json; `--split` reads it back). */
export function trainedModelInfo(
  cfg: TrainConfig,
  state: TrainState,
  parameters: number,
  data?: PreparedData,
  validScores?: SetScores,
): Record<string, unknown> {
  return {
    // One corpus stays a string, as older model folders (and `evaluate --split`) have it.
    corpus: cfg.corpus.length === 1 ? cfg.corpus[0] : cfg.corpus,
    /** Every corpus the model saw or was measured on; licences are added by hand in the model card. */
    corpora: data && corporaInfo(data),
    validation: validScores && {
      step: state.bestStep,
      selectOn: selectionName(cfg, data),
      sets: validScores,
    },
    reverse: cfg.reverse,
    /** Present when attention was trained toward statistical word links (src/train/guided-alignment.ts). */
    guidedAlignment:
      cfg.guidedAlignment > 0 ? { weight: cfg.guidedAlignment, links: cfg.guidedAlignmentLinks } : undefined,
    split: {
      seed: cfg.seed,
      validSize: cfg.validSize,
      testSize: cfg.testSize,
      maxChars: cfg.maxChars,
      maxRatio: cfg.maxRatio,
    },
    step: state.step,
    validBleu: state.bestBleu,
    elapsedSeconds: state.elapsedSeconds,
    parameters,
  };
}

/**
 * Writes `model` as the run's model directory `dir`: weights, tokenizers, what it records about the training
 * (`bestValid`: the scores of every validation set at the best step) and the held-out test pairs.
 */
export function exportTrainedModel(
  dir: string,
  model: Seq2Seq,
  cfg: TrainConfig,
  state: TrainState,
  data: PreparedData,
  bestValid?: SetScores,
): void {
  saveModelDir(dir, model, {
    srcLang: cfg.srcLang,
    tgtLang: cfg.tgtLang,
    srcTokenizerFile: data.srcTokenizerFile,
    tgtTokenizerFile: data.tgtTokenizerFile,
    dtype: cfg.saveDtype,
    info: trainedModelInfo(cfg, state, model.parameterCount(), data, bestValid),
    testPairs: heldOutTestPairs(cfg, data.splits, [...data.validSets, ...data.testSets]),
    lexicon: data.lexicon,
  });
}

/**
 * What `<corpus>.about.json` beside a corpus file says of it (licence, source, attribution), for the model
 * card and the page: training cannot know a licence otherwise. Absent or unreadable: nothing.
 */
export function corpusAbout(file: string | undefined): Record<string, string> {
  if (!file) return {};
  const about = file.split(',')[0].replace(/\.(tsv|txt)$/i, '') + '.about.json';
  try {
    const json = JSON.parse(fs.readFileSync(about, 'utf8')) as Record<string, unknown>;
    return Object.fromEntries(
      ['licence', 'source', 'attribution']
        .filter((k) => typeof json[k] === 'string')
        .map((k) => [k, json[k] as string]),
    );
  } catch {
    return {};
  }
}

function corporaInfo(data: PreparedData): Record<string, unknown>[] {
  return corporaEntries(data).map((c) => ({ ...c, ...corpusAbout(c.file as string | undefined) }));
}

function corporaEntries(data: PreparedData): Record<string, unknown>[] {
  return [
    ...data.trainCorpora.map((c) => ({
      name: c.name,
      file: c.spec,
      role: 'train',
      pairs: c.pairs.length,
      weight: c.weight,
    })),
    ...data.validSets.map((v) => ({ name: v.name, file: v.source, role: 'valid', pairs: v.pairs.length })),
    ...data.testSets.map((t) => ({ name: t.name, file: t.source, role: 'test', pairs: t.pairs.length })),
    ...(data.splits.test.length > 0
      ? [{ name: 'split', file: data.trainCorpora[0]?.spec, role: 'test', pairs: data.splits.test.length }]
      : []),
  ];
}

/**
 * `train --init-from DIR`: start training from a model folder's weights instead of random ones (a warm
 * start: fine-tuning a shipped model on one's own sentence pairs, or continuing a model on a machine where
 * its run folder is gone). The new run keeps the folder's tokenizers and architecture; the optimizer state,
 * learning rate and data order start afresh (a model folder does not hold them; `--resume` does that).
 */
import path from 'node:path';
import { ARCHITECTURE_FIELDS } from '../model/config.js';
import type { Seq2Seq } from '../model/seq2seq.js';
import { assignWeights, decodeWeights, readBytes } from '../model/weights-io.js';
import { readModelConfig } from '../translate/model-dir.js';
import type { TrainConfig } from './config.js';
import { assignWidened, describeWidening } from './widen.js';

/** The training options a warm start from `dir` implies: its tokenizers and its sizes. */
export function initFromOptions(dir: string): Partial<TrainConfig> {
  const { model: m, tokenizers } = readModelConfig(dir);
  if (m.encoderHiddenSize !== m.decoderHiddenSize)
    throw new Error(
      `--init-from ${dir}: encoder and decoder hidden sizes differ (${m.encoderHiddenSize}, ${m.decoderHiddenSize}); ` +
        'training builds models with one hidden size',
    );
  return {
    srcTokenizer: path.resolve(dir, tokenizers.src),
    tgtTokenizer: path.resolve(dir, tokenizers.tgt),
    embeddingSize: m.embeddingSize,
    hiddenSize: m.encoderHiddenSize,
    encoderLayers: m.encoderLayers,
    attentionSize: m.attentionSize,
    outputSize: m.outputSize,
    tieEmbeddings: m.tiedEmbeddings,
    copyAttention: m.copyAttention,
  };
}

/**
 * Copies the weights of the model folder `dir` into `model`. Throws, naming each field, when `model` was
 * built differently (e.g. a --hidden-size given beside --init-from), unless `widen` is set and only the
 * hidden and attention sizes grew: then the folder's model is widened into it (src/train/widen.ts).
 * Returns what was done, for the log.
 */
export function loadInitWeights(model: Seq2Seq, dir: string, widen = false): string {
  const saved = readModelConfig(dir);
  const file = path.join(dir, saved.weights.file);
  const where = `--init-from ${dir}`;
  if (widen) {
    const grows = describeWidening(saved.model, model.config, where);
    const weights = new Map(
      decodeWeights(saved.weights, readBytes(file), file).map((w) => [w.name, w.values]),
    );
    assignWidened(model, saved.model, weights, where);
    return `weights of ${dir} widened (${grows}; new units start with zero outgoing weights), its tokenizers`;
  }
  const differ = ARCHITECTURE_FIELDS.filter((k) => model.config[k] !== saved.model[k]).map(
    (k) => `${k} ${String(model.config[k])} (the folder's: ${String(saved.model[k])})`,
  );
  if (differ.length > 0)
    throw new Error(
      `${where}: this run's model differs from the folder's: ${differ.join(', ')}; ` +
        'a warm start keeps the architecture: drop the size flags that change it, or add --widen to grow ' +
        'the hidden and attention sizes',
    );
  assignWeights(model.params, saved.weights, readBytes(file), file);
  return `weights, tokenizers and sizes of ${dir}`;
}

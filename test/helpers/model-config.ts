/** A tiny ModelConfig for unit tests: every size 8, no dropout, V tokens on both sides; overrides win. */
import { type ModelConfig, ModelConfigSchema } from '../../src/model/config.js';

export function tinyModelConfig(vocab: number, overrides: Partial<ModelConfig> = {}): ModelConfig {
  return ModelConfigSchema.parse({
    srcVocabSize: vocab,
    tgtVocabSize: vocab,
    embeddingSize: 8,
    encoderHiddenSize: 8,
    decoderHiddenSize: 8,
    attentionSize: 8,
    outputSize: 8,
    dropout: 0,
    ...overrides,
  });
}

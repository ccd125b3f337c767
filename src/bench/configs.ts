/**
 * The model configurations `npm run bench` times (`--configs`): fixed ones, kept so that figures compare
 * across sessions, and `shipped`, the sizes of models/eng-spa read from its config.json.
 */
import path from 'node:path';
import { REPO_ROOT } from '../util/repo-paths.js';
import { readModelConfig } from '../translate/model-dir.js';

export interface BenchConfig {
  embeddingSize: number;
  hiddenSize: number;
  attentionSize: number;
  outputSize: number;
  /** Target tokens per training batch, as the configuration's training run uses. */
  tokenBudget: number;
  /** One BPE for both sides, all embeddings tied to the output layer, copying through attention. */
  sharedTiedCopy?: boolean;
}
export type ConfigName = 'default' | 'large' | 'shared-copy' | 'shipped';
const CONFIGS: Record<Exclude<ConfigName, 'shipped'>, BenchConfig> = {
  default: { embeddingSize: 128, hiddenSize: 256, attentionSize: 256, outputSize: 256, tokenBudget: 1500 },
  large: { embeddingSize: 256, hiddenSize: 512, attentionSize: 512, outputSize: 512, tokenBudget: 1500 },
  // The configuration of the first eng-spa models of issue 12 (E = H = A = 256, shared vocabulary, copying).
  'shared-copy': {
    embeddingSize: 256,
    hiddenSize: 256,
    attentionSize: 256,
    outputSize: 256,
    tokenBudget: 3000,
    sharedTiedCopy: true,
  },
};

/**
 * The sizes of the shipped model, read from models/eng-spa/config.json, so that `--configs shipped` times
 * whatever ships (random weights of those sizes; the README command's token budget of 2,000).
 */
export function shippedConfig(): BenchConfig {
  const dir = path.join(REPO_ROOT, 'models', 'eng-spa');
  const m = readModelConfig(dir).model;
  if (m.encoderHiddenSize !== m.decoderHiddenSize || m.encoderLayers !== 1)
    throw new Error(`${dir}: the bench builds one-layer models with one hidden size`);
  return {
    embeddingSize: m.embeddingSize,
    hiddenSize: m.encoderHiddenSize,
    attentionSize: m.attentionSize,
    outputSize: m.outputSize,
    tokenBudget: 2000,
    sharedTiedCopy: m.tiedEmbeddings === 'all' && m.copyAttention,
  };
}

export function benchConfig(name: string): BenchConfig {
  if (name === 'shipped') return shippedConfig();
  const dims = CONFIGS[name as keyof typeof CONFIGS];
  if (!dims)
    throw new Error(`unknown config "${name}": expected ${[...Object.keys(CONFIGS), 'shipped'].join(', ')}`);
  return dims;
}

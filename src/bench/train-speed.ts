/** Training throughput (target tokens/s of full steps) for a model configuration and engine. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Example, makeBatches, targetTokens } from '../data/batching.js';
import { Rng } from '../util/rng.js';
import { TrainConfigSchema } from '../train/config.js';
import { Trainer } from '../train/trainer.js';
import { type PreparedData, preparedFromExamples } from '../train/prepare.js';
import type { SubwordTokenizer } from '../tokenizer/subword.js';
import { createLogger } from '../util/log.js';

export interface TrainSpeed {
  workers: number;
  steps: number;
  targetTokensPerSec: number;
  msPerStep: number;
  meanTargetTokensPerBatch: number;
}

/**
 * Run `steps` training steps (after `warmup`) on batches cut from `examples` with the trainer's own
 * bucketing, and report target tokens per second of wall time.
 */
export async function measureTrainSpeed(opts: {
  examples: Example[];
  srcTokenizer: SubwordTokenizer;
  tgtTokenizer: SubwordTokenizer;
  dims: { embeddingSize: number; hiddenSize: number; attentionSize: number; outputSize: number };
  /** Tied embeddings and copying (need one shared tokenizer object for both sides); default: neither. */
  sharing?: { tieEmbeddings: 'all' | 'target'; copyAttention: boolean };
  tokenBudget: number;
  workers: number;
  steps: number;
  warmup?: number;
}): Promise<TrainSpeed> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-bench-'));
  const cfg = TrainConfigSchema.parse({
    corpus: 'bench',
    out,
    // Unless a configuration asks for them, no tying and no copying, whatever the training defaults
    // are, so that the classic configurations' figures stay comparable across sessions.
    tieEmbeddings: opts.sharing?.tieEmbeddings ?? 'none',
    copyAttention: opts.sharing?.copyAttention ?? false,
    ...opts.dims,
    tokenBudget: opts.tokenBudget,
    workers: opts.workers,
    dropout: 0.2,
    labelSmoothing: 0.1,
  });
  const data: PreparedData = preparedFromExamples({
    train: opts.examples,
    srcTokenizer: opts.srcTokenizer,
    tgtTokenizer: opts.tgtTokenizer,
  });
  const trainer = new Trainer(cfg, data, createLogger('bench', 'warn'));
  const batches = makeBatches(
    opts.examples,
    { tokenBudget: opts.tokenBudget, maxSentences: cfg.maxSentences },
    new Rng(5),
  );
  const warmup = opts.warmup ?? 2;
  try {
    for (let i = 0; i < warmup; i++) await trainer.trainStep(batches[i].map((k) => opts.examples[k]));
    let tokens = 0;
    const t0 = performance.now();
    for (let i = warmup; i < warmup + opts.steps; i++) {
      const b = batches[i % batches.length];
      const exs = b.map((k) => opts.examples[k]);
      tokens += targetTokens(exs);
      await trainer.trainStep(exs);
    }
    const seconds = (performance.now() - t0) / 1000;
    return {
      workers: opts.workers,
      steps: opts.steps,
      targetTokensPerSec: tokens / seconds,
      msPerStep: (seconds * 1000) / opts.steps,
      meanTargetTokensPerBatch: tokens / opts.steps,
    };
  } finally {
    await trainer.stopEngine();
    trainer.model.dispose();
    fs.rmSync(out, { recursive: true, force: true });
  }
}

/** Training options: one typed object, validated where it enters (CLI flags or a JSON config file). */
import { z } from 'zod';

export const TrainConfigSchema = z
  .object({
    corpus: z.string().min(1),
    reverse: z.boolean().default(false),
    srcLang: z.string().default('src'),
    tgtLang: z.string().default('tgt'),
    out: z.string().min(1),
    /** Existing tokenizer.json files; when absent, BPE tokenizers are trained on the training split. */
    srcTokenizer: z.string().optional(),
    tgtTokenizer: z.string().optional(),
    /** Where trained tokenizers are written (default: <out>/vocab). */
    vocabDir: z.string().optional(),
    srcVocabSize: z.number().int().min(64).default(8000),
    tgtVocabSize: z.number().int().min(64).default(8000),
    embeddingSize: z.number().int().min(1).default(128),
    hiddenSize: z.number().int().min(1).default(256),
    encoderLayers: z.number().int().min(1).max(8).default(1),
    attentionSize: z.number().int().min(1).default(256),
    outputSize: z.number().int().min(1).default(256),
    dropout: z.number().min(0).max(0.9).default(0.2),
    labelSmoothing: z.number().min(0).max(0.5).default(0.1),
    tokenBudget: z.number().int().min(16).default(1500),
    maxSentences: z.number().int().min(1).default(128),
    learningRate: z.number().positive().default(2e-3),
    clipNorm: z.number().positive().default(1),
    /** Multiply the learning rate by this after `lrPatience` validations without improvement. */
    lrDecay: z.number().positive().max(1).default(0.5),
    lrPatience: z.number().int().min(1).default(2),
    minLearningRate: z.number().nonnegative().default(1e-5),
    /** Stop after this many validations without a better validation BLEU. */
    earlyStopPatience: z.number().int().min(1).default(6),
    validEvery: z.number().int().min(1).default(500),
    checkpointEvery: z.number().int().min(1).default(100),
    /**
     * Stop with an error after this many consecutive batches with a non-finite loss or gradient: one such
     * batch is skipped (noise, a bad pair), a run of them means the parameters themselves diverged.
     */
    maxSkippedBatches: z.number().int().min(1).default(10),
    /** Keep the checkpoints of the last N validations as step-<N>.ckpt, for checkpoint averaging. */
    keepCheckpoints: z.number().int().min(0).default(0),
    /** Held-out pairs; absent: a share of the corpus, 100 to 2,000 (`defaultHeldOutSize` in src/data/split.ts). */
    validSize: z.number().int().min(1).optional(),
    testSize: z.number().int().min(0).optional(),
    /** Validation BLEU is computed with greedy search on the first N validation pairs. */
    bleuSentences: z.number().int().min(1).default(500),
    maxChars: z.number().int().min(1).default(200),
    maxRatio: z.number().min(1).default(4),
    maxSteps: z.number().int().min(1).optional(),
    maxEpochs: z.number().int().min(1).default(100),
    maxMinutes: z.number().positive().optional(),
    seed: z.number().int().default(1),
    /** Data-parallel worker threads; 0 = automatic (one per core on wasm/cpu, else 1). */
    workers: z.number().int().min(0).max(16).default(0),
    saveDtype: z.enum(['float32', 'float16']).default('float32'),
  })
  .strict();

export type TrainConfig = z.infer<typeof TrainConfigSchema>;

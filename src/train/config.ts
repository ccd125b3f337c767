/** Training options: one typed object, validated where it enters (CLI flags or a JSON config file). */
import { z } from 'zod';

import { ModelSizeFields } from '../model/config.js';
import { SYMMETRIZATIONS } from '../lexalign/symmetrize.js';

export const TrainConfigSchema = z
  .object({
    /**
     * Training corpora: the first is also split into train/valid/test; the others are training data only.
     * Each a spec for loadCorpus, optionally with `@weight` (an oversampling factor: `news.tsv@3` gives
     * each of its pairs three times per epoch, `@0.5` half of them, drawn anew each epoch).
     */
    corpus: z.preprocess(
      (v) => (typeof v === 'string' ? [v] : v),
      z.array(z.string().min(1)).min(1, '--corpus is required: at least one corpus'),
    ),
    /** Validation files (TSV or Moses pair), reported by name; never trained on. */
    valid: z.array(z.string().min(1)).default([]),
    /** Test files, scored by name when training ends (beam search as `evaluate`); never trained on. */
    test: z.array(z.string().min(1)).default([]),
    /**
     * Which validation set chooses the best checkpoint and early stopping: a --valid file's name, `split`
     * (the held-out split of the first corpus), several names joined by commas (their mean BLEU) or `mean`
     * (mean BLEU over all validation sets).
     * Default: the first --valid file, else the split.
     */
    selectOn: z.string().optional(),
    reverse: z.boolean().default(false),
    srcLang: z.string().default('src'),
    tgtLang: z.string().default('tgt'),
    out: z.string().min(1),
    /**
     * A model folder to start from (its weights, tokenizers and sizes; src/train/init-from.ts) instead of
     * random weights.
     */
    initFrom: z.string().optional(),
    /** With initFrom: grow its hidden and attention sizes to this run's (src/train/widen.ts). */
    widen: z.boolean().default(false),
    /** Existing tokenizer.json files; when absent, BPE tokenizers are trained on the training split. */
    srcTokenizer: z.string().optional(),
    tgtTokenizer: z.string().optional(),
    /** Where trained tokenizers are written (default: <out>/vocab). */
    vocabDir: z.string().optional(),
    srcVocabSize: z.number().int().min(64).default(8000),
    tgtVocabSize: z.number().int().min(64).default(8000),
    /**
     * One BPE vocabulary for both languages (needed for copying and for tying the source embedding):
     * `auto` shares it when both sides are written in the same script.
     */
    sharedVocab: z.enum(['auto', 'yes', 'no']).default('auto'),
    /** Size of the shared vocabulary. */
    vocabSize: z.number().int().min(300).default(8000),
    /** Digits one per subword, so numbers are spelled with ten pieces (see src/tokenizer/train.ts). */
    splitDigits: z.boolean().default(true),
    /**
     * The marks . , ! ? ; : split off the word before them (src/tokenizer/train.ts, PUNCTUATION_SPLIT); with
     * a given tokenizer (--init-from, --src-tokenizer) a copy of it with the split, same ids.
     */
    splitPunctuation: z.boolean().default(false),
    /** Byte pieces for characters outside the vocabulary: no <unk> in any input. */
    byteFallback: z.boolean().default(true),
    /** Tie embeddings: 'auto' = 'all' with a shared vocabulary, else 'target'. */
    tieEmbeddings: z.enum(['auto', 'none', 'target', 'all']).default('auto'),
    /** Pointer-generator copying through attention (needs a shared vocabulary). */
    copyAttention: z.boolean().default(true),
    /**
     * Probability of skipping each BPE merge while encoding training sentences (BPE-dropout); 0 = off.
     * Off by default: at the budgets a CPU affords it cost more than any other choice (docs/ABLATION.md:
     * 0.1 alone, 2,000 steps, 5.8 → 3.6 BLEU on tatoeba2021.dev); worth trying on long runs.
     */
    bpeDropout: z.number().min(0).max(0.5).default(0),
    /** Share of training pairs per epoch whose source is upper-cased (ALL CAPS robustness). */
    upperCaseShare: z.number().min(0).max(1).default(0.05),
    /** Share of training pairs per epoch whose source is lower-cased. */
    lowerCaseShare: z.number().min(0).max(1).default(0.05),
    /** Share of training pairs per epoch with their sentence-final punctuation dropped (both sides). */
    dropPunctuationShare: z.number().min(0).max(1).default(0.1),
    /**
     * Share of the training pairs that write a name or number the same on both sides whose names and
     * numbers are replaced by made-up ones per epoch (copy practice, src/train/name-swap.ts); 0 = off.
     */
    swapNamesShare: z.number().min(0).max(1).default(0),
    /**
     * Leave out the training pairs whose target does not write every number (run of digits) of the source
     * (src/data/clean.ts keepsSourceNumbers), so that numbers are always copied; validation and test pairs
     * are all kept.
     */
    dropChangedNumbers: z.boolean().default(false),
    embeddingSize: z.number().int().min(1).default(256),
    ...ModelSizeFields,
    labelSmoothing: z.number().min(0).max(0.5).default(0.1),
    /**
     * λ of guided alignment (src/train/guided-alignment.ts): attention trained toward the word links of a
     * statistical aligner learnt from the training pairs; 0 = off.
     */
    guidedAlignment: z.number().min(0).max(10).default(0),
    /** How the aligner's two directions are combined into the guide (src/translate/symmetrize.ts). */
    guidedAlignmentLinks: z.enum(SYMMETRIZATIONS).default('intersection'),
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

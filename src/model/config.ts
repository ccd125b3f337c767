/**
 * The model's hyper-parameters: one typed object, validated where it enters (file or flags).
 * Names follow the equations in src/model/*.ts: E = embedding size, H = hidden size of each encoder
 * direction and of the decoder, A = attention size, O = deep-output size.
 */
import { z } from 'zod';

/**
 * The sizes training sets from its flags (src/train/config.ts takes these fields as they are), so each
 * range and default is written once. H is one number there: the encoder's (per direction) and the
 * decoder's hidden size.
 */
export const ModelSizeFields = {
  hiddenSize: z.number().int().min(1).default(256),
  encoderLayers: z.number().int().min(1).max(8).default(1),
  attentionSize: z.number().int().min(1).default(256),
  outputSize: z.number().int().min(1).default(256),
  dropout: z.number().min(0).max(0.9).default(0.2),
};

export const ModelConfigSchema = z
  .object({
    srcVocabSize: z.number().int().min(5),
    tgtVocabSize: z.number().int().min(5),
    // Not a shared field: training's default became 256 when it began tying embeddings (tied, O = E);
    // a model config without the field keeps meaning the first default.
    embeddingSize: z.number().int().min(1).default(128),
    encoderHiddenSize: ModelSizeFields.hiddenSize,
    encoderLayers: ModelSizeFields.encoderLayers,
    decoderHiddenSize: ModelSizeFields.hiddenSize,
    attentionSize: ModelSizeFields.attentionSize,
    outputSize: ModelSizeFields.outputSize,
    dropout: ModelSizeFields.dropout,
    /**
     * Nonlinearity of the deep output layer. ReLU by default: tanh saturated there and slowed early
     * learning (see decoder.ts). tanh is smooth, which finite-difference gradient checks need.
     */
    outputActivation: z.enum(['relu', 'tanh']).default('relu'),
    /**
     * Weight tying (Press & Wolf, 2017): 'target' uses the target embedding as the output projection,
     * 'all' also uses it as the source embedding (one shared vocabulary). Needs outputSize = embeddingSize.
     */
    tiedEmbeddings: z.enum(['none', 'target', 'all']).default('none'),
    /**
     * Copying through attention (pointer-generator, See et al. 2017): p(y) mixes the vocabulary
     * distribution with the attention weights over the source tokens. Needs one vocabulary for both sides.
     */
    copyAttention: z.boolean().default(false),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.tiedEmbeddings !== 'none' && c.outputSize !== c.embeddingSize)
      ctx.addIssue({
        code: 'custom',
        path: ['outputSize'],
        message: `tied embeddings need outputSize = embeddingSize (${c.outputSize} ≠ ${c.embeddingSize})`,
      });
    if ((c.tiedEmbeddings === 'all' || c.copyAttention) && c.srcVocabSize !== c.tgtVocabSize)
      ctx.addIssue({
        code: 'custom',
        path: ['tgtVocabSize'],
        message: `${c.copyAttention ? 'copyAttention' : "tiedEmbeddings 'all'"} needs one vocabulary for both sides (source ${c.srcVocabSize}, target ${c.tgtVocabSize} tokens)`,
      });
  });

export type ModelConfig = z.infer<typeof ModelConfigSchema>;

/**
 * The fields that decide what a model's weights mean: a warm start needs them equal, widening lets the
 * hidden and attention sizes grow. Dropout only changes training.
 */
export const ARCHITECTURE_FIELDS = (Object.keys(ModelConfigSchema.shape) as (keyof ModelConfig)[]).filter(
  (k) => k !== 'dropout',
);

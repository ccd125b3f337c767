/** Validation: teacher-forced loss and greedy BLEU/chrF, with the same metric code as `npm run evaluate`. */
import * as tf from '@tensorflow/tfjs-core';
import type { Seq2Seq } from '../model/seq2seq.js';
import { type Example, makeBatches, toTensorBatch, disposeBatch, targetTokens } from '../data/batching.js';
import { Rng } from '../util/rng.js';
import { greedySearch } from '../search/greedy.js';
import { DEFAULT_COVERAGE_PENALTY, DEFAULT_LENGTH_PENALTY, beamSearch } from '../search/beam.js';
import { EOS_ID } from '../tokenizer/special-ids.js';
import type { SubwordTokenizer } from '../tokenizer/subword.js';
import { corpusBleu, corpusChrf } from '../metrics/index.js';

/** Mean per-token cross-entropy (no label smoothing) over examples. */
export function validationLoss(model: Seq2Seq, examples: Example[], tokenBudget: number): number {
  const batches = makeBatches(examples, { tokenBudget }, new Rng(0));
  let total = 0;
  let tokens = 0;
  for (const idx of batches) {
    const exs = idx.map((i) => examples[i]);
    const batch = toTensorBatch(exs, model.config.copyAttention);
    const n = targetTokens(exs);
    const loss = tf.tidy(() => model.loss(batch, false, () => 0, 0));
    total += loss.dataSync()[0] * n;
    tokens += n;
    loss.dispose();
    disposeBatch(batch);
  }
  return total / Math.max(1, tokens);
}

/**
 * Translate source id sequences in length-sorted batches (greedy, or beam search with the GNMT length
 * penalty 0.6 as `evaluate` uses), blocking stutters as the translator does when `blockStutter`;
 * returns detokenized strings.
 */
export function greedyTranslateIds(
  model: Seq2Seq,
  srcIds: number[][],
  tgt: SubwordTokenizer,
  opts: { batchSize?: number; beam?: number; blockStutter: boolean },
): string[] {
  const { batchSize = 64, beam = 1, blockStutter } = opts;
  const order = [...srcIds.keys()].sort((a, b) => srcIds[a].length - srcIds[b].length);
  const out = new Array<string>(srcIds.length);
  const size = beam > 1 ? Math.max(1, Math.floor(batchSize / beam)) : batchSize;
  for (let i = 0; i < order.length; i += size) {
    const chunk = order.slice(i, i + size);
    const src = chunk.map((k) => [...srcIds[k], EOS_ID]);
    const tokens =
      beam > 1
        ? beamSearch(model, src, {
            beamSize: beam,
            lengthPenalty: DEFAULT_LENGTH_PENALTY,
            coveragePenalty: DEFAULT_COVERAGE_PENALTY,
            blockStutter,
          }).map((h) => h[0].tokens)
        : greedySearch(model, src, { blockStutter }).map((h) => h.tokens);
    chunk.forEach((k, j) => (out[k] = tgt.decode(tokens[j])));
  }
  return out;
}

export interface ValidationResult {
  loss: number;
  bleu: number;
  chrf: number;
  samples: { src: string; ref: string; hyp: string }[];
}

export function validate(
  model: Seq2Seq,
  valid: Example[],
  validPairs: { src: string; tgt: string }[],
  tgtTokenizer: SubwordTokenizer,
  opts: { tokenBudget: number; bleuSentences: number; blockStutter: boolean },
): ValidationResult {
  const loss = validationLoss(model, valid, opts.tokenBudget);
  const n = Math.min(opts.bleuSentences, valid.length);
  const hyps = greedyTranslateIds(
    model,
    valid.slice(0, n).map((e) => e.src),
    tgtTokenizer,
    { blockStutter: opts.blockStutter },
  );
  const refs = validPairs.slice(0, n).map((p) => p.tgt);
  return {
    loss,
    bleu: corpusBleu(hyps, refs).score,
    chrf: corpusChrf(hyps, refs).score,
    samples: [0, 1, 2]
      .filter((i) => i < n)
      .map((i) => ({ src: validPairs[i].src, ref: refs[i], hyp: hyps[i] })),
  };
}

/** Translation latency and throughput for a model, with outputs of a fixed length (as the PyTorch reference). */
import { EOS_ID } from '../tokenizer/special-ids.js';
import type { Seq2Seq } from '../model/seq2seq.js';
import { greedySearch, type SearchOptions } from '../search/greedy.js';
import { DEFAULT_COVERAGE_PENALTY, DEFAULT_LENGTH_PENALTY, beamSearch } from '../search/beam.js';
import { Rng } from '../util/rng.js';
import { type Timing, timeRuns } from './measure.js';

export interface TranslateSpeed {
  greedy: Timing;
  beam5: Timing;
  batchSentencesPerSec: number;
  outputTokens: number;
}

/** Random source sentences of `length` subwords (the last one </s>). */
export function randomSources(n: number, length: number, vocab: number, seed = 11): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => [
    ...Array.from({ length: length - 1 }, () => 4 + rng.int(vocab - 4)),
    EOS_ID,
  ]);
}

/** Greedy decoding of `sources` in batches of 64 (the batch figure, in one thread or in a bench worker). */
export function greedyInBatches(model: Seq2Seq, sources: number[][], search: SearchOptions): void {
  for (let i = 0; i < sources.length; i += 64) greedySearch(model, sources.slice(i, i + 64), search);
}

/**
 * @param model an untrained model is fine: decoding is capped at `outputTokens` steps (maxLenRatio 0),
 *   which is what the PyTorch reference does (20 steps, no end-of-sentence check).
 */
export function measureTranslateSpeed(
  model: Seq2Seq,
  opts: { runs: number; outputTokens?: number; batchSentences?: number },
): TranslateSpeed {
  const outputTokens = opts.outputTokens ?? 20;
  // As the translator decodes: stutters blocked when one vocabulary serves both sides, which a copying
  // model has (its config requires it); the banned token rides along in the greedy pick's kernel.
  const search = { maxLenRatio: 0, maxLenExtra: outputTokens, blockStutter: model.config.copyAttention };
  const [one] = randomSources(1, 15, model.config.srcVocabSize);
  const greedy = timeRuns(() => greedySearch(model, [one], search), opts.runs);
  // Beam search with the translator's penalties: the coverage penalty reads every beam's attention each step.
  const beam = {
    ...search,
    beamSize: 5,
    lengthPenalty: DEFAULT_LENGTH_PENALTY,
    coveragePenalty: DEFAULT_COVERAGE_PENALTY,
  };
  const beam5 = timeRuns(() => beamSearch(model, [one], beam), opts.runs);
  const n = opts.batchSentences ?? 256;
  const batch = randomSources(n, 15, model.config.srcVocabSize, 12);
  const t0 = performance.now();
  greedyInBatches(model, batch, search);
  const batchSentencesPerSec = n / ((performance.now() - t0) / 1000);
  return { greedy, beam5, batchSentencesPerSec, outputTokens };
}

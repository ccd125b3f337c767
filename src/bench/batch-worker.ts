/**
 * A bench worker: builds the same seeded model as the bench's main thread, decodes its share of the batch
 * with greedy search (chunks of 64, fixed output length) and reports when done. See batch-parallel.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../backend/select.js';
import type { ModelConfig } from '../model/config.js';
import { Seq2Seq } from '../model/seq2seq.js';
import { type WeightDtype, roundParamsTo } from '../model/weights-io.js';
import { greedyInBatches } from './translate-speed.js';

const data = workerData as {
  backend: string;
  config: ModelConfig;
  seed: number;
  weights: WeightDtype;
  outputTokens: number;
};
await initBackend(data.backend);
const model = new Seq2Seq(data.config, data.seed);
roundParamsTo(model.params, data.weights);
const search = { maxLenRatio: 0, maxLenExtra: data.outputTokens };
parentPort!.on('message', (sources: number[][]) => {
  greedyInBatches(model, sources, search);
  parentPort!.postMessage('done');
});
parentPort!.postMessage('ready');

/**
 * Batch throughput on every core: the wasm backend is single-threaded in Node, so a batch is split
 * between worker threads, each with its own copy of the model (as the server's worker pool and
 * `npm run evaluate -- --workers N` do). Returns sentences per second over the whole batch.
 */
import type { Worker } from 'node:worker_threads';
import type { ModelConfig } from '../model/config.js';
import type { WeightDtype } from '../model/weights-io.js';
import { startTsWorker } from '../util/ts-worker.js';

function next(worker: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

export async function measureParallelBatch(opts: {
  backend: string;
  config: ModelConfig;
  seed: number;
  /** Precision the weights are rounded to (as the main thread's model). */
  weights: WeightDtype;
  sources: number[][];
  workers: number;
  outputTokens: number;
}): Promise<number> {
  const workers = Array.from({ length: opts.workers }, () =>
    startTsWorker(new URL('./batch-worker.ts', import.meta.url), {
      backend: opts.backend,
      config: opts.config,
      seed: opts.seed,
      weights: opts.weights,
      outputTokens: opts.outputTokens,
    }),
  );
  try {
    await Promise.all(workers.map(next)); // ready
    const share = Math.ceil(opts.sources.length / opts.workers);
    const run = () =>
      Promise.all(
        workers.map((w, i) => {
          const done = next(w);
          w.postMessage(opts.sources.slice(i * share, (i + 1) * share));
          return done;
        }),
      );
    await run(); // warm-up: compiles kernels, grows the heaps
    const t0 = performance.now();
    await run();
    return opts.sources.length / ((performance.now() - t0) / 1000);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** Start a worker thread whose entry is a TypeScript module (see ts-worker-bootstrap.mjs for why). */
import { Worker } from 'node:worker_threads';

export function startTsWorker(entry: URL, workerData: Record<string, unknown> = {}): Worker {
  if (entry.pathname.endsWith('.js')) return new Worker(entry, { workerData });
  return new Worker(new URL('./ts-worker-bootstrap.mjs', import.meta.url), {
    workerData: { ...workerData, __entry: entry.href },
  });
}

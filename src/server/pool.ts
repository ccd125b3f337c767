/**
 * `WorkerPool`: the production TranslationService. It runs N worker threads (worker.ts, started by
 * spawn.ts), each with its own TensorFlow.js backend and its own copy of the model; the main thread only
 * moves plain data (strings, numbers, arrays) and never creates a tensor. Requests are micro-batched by
 * batcher.ts and each ready batch goes to the next idle worker as one `translate` call. A worker that dies
 * is replaced; close() finishes queued and in-flight requests before stopping the workers.
 *
 * The service interface and `InProcessService` (translation on the calling thread) are in service.ts.
 */
import type { Worker } from 'node:worker_threads';
import type { AlignOptions, AlignPair, ForcedAlignment } from '../translate/force-align.js';
import type { Translation, TranslateOptions } from '../translate/translator.js';
import { Batcher, batchItems, rejectBatch, resolveBatch, type Batch } from './batcher.js';
import type { FromWorker, ToWorker } from './protocol.js';
import {
  ServiceClosedError,
  type ServiceInfo,
  type ServiceStats,
  type TranslationService,
} from './service.js';
import { spawn, stopWorker, type Spawned } from './spawn.js';

export interface WorkerPoolOptions {
  modelDir: string;
  /** Worker threads (default 1). Each holds a copy of the model. */
  workers?: number;
  /** Backend name passed to initBackend in each worker (default: automatic / NMT_BACKEND). */
  backend?: string;
  /** Most texts in one translate call (default 32). A single larger request is sent on its own. */
  maxBatch?: number;
  /** How long a new batch waits for more requests (default 5 ms). */
  batchWindowMs?: number;
  /** Called with a message when a worker dies and is replaced. */
  onWorkerError?: (message: string) => void;
}

interface Slot {
  worker: Worker;
  busy?: { id: number; batch: Batch };
  tensors: number;
}

export class WorkerPool implements TranslationService {
  private readonly slots: Slot[] = [];
  private readonly batcher: Batcher;
  private nextId = 1;
  private closing = false;
  private closed?: Promise<void>;
  private drained?: () => void;
  private batches = 0;
  private textCount = 0;

  private constructor(
    private readonly opts: WorkerPoolOptions,
    readonly info: ServiceInfo,
  ) {
    this.batcher = new Batcher(Math.max(1, opts.maxBatch ?? 32), Math.max(0, opts.batchWindowMs ?? 5), () =>
      this.pump(),
    );
  }

  /** Start the workers and wait until every one has loaded the model; rejects with the loader's error. */
  static async start(opts: WorkerPoolOptions): Promise<WorkerPool> {
    const n = Math.max(1, Math.floor(opts.workers ?? 1));
    const started = await Promise.allSettled(Array.from({ length: n }, () => spawn(opts)));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      await Promise.all(
        started.map((s) => (s.status === 'fulfilled' ? s.value.worker.terminate() : undefined)),
      );
      throw (failed as PromiseRejectedResult).reason;
    }
    const ok = started.map((s) => (s as PromiseFulfilledResult<Spawned>).value);
    const first = ok[0].ready;
    const pool = new WorkerPool(opts, {
      dir: opts.modelDir,
      backend: first.backend,
      matmul: first.matmul,
      parameters: first.parameters,
      config: first.config,
    });
    for (const s of ok) pool.adopt(s);
    return pool;
  }

  translate(texts: readonly string[], opts: TranslateOptions = {}): Promise<Translation[]> {
    if (this.closing) return Promise.reject(new ServiceClosedError());
    if (texts.length === 0) return Promise.resolve([]);
    return this.batcher.add(texts, opts);
  }

  align(pairs: readonly AlignPair[], opts: AlignOptions = {}): Promise<ForcedAlignment[]> {
    if (this.closing) return Promise.reject(new ServiceClosedError());
    if (pairs.length === 0) return Promise.resolve([]);
    return this.batcher.addAlign(pairs, opts);
  }

  stats(): ServiceStats {
    return {
      tensors: this.slots.reduce((a, s) => a + s.tensors, 0),
      workers: this.slots.length,
      queued: this.batcher.waiting,
      batches: this.batches,
      texts: this.textCount,
    };
  }

  /** Stop accepting requests, finish queued and in-flight ones, then stop the workers. */
  close(): Promise<void> {
    if (this.closed) return this.closed;
    this.closing = true;
    this.batcher.flush();
    this.pump();
    this.closed = new Promise<void>((resolve) => {
      this.drained = resolve;
      this.checkDrained();
    }).then(async () => {
      await Promise.all(this.slots.map((s) => stopWorker(s.worker)));
    });
    return this.closed;
  }

  private checkDrained(): void {
    if (this.drained && this.batcher.length === 0 && this.slots.every((s) => !s.busy)) this.drained();
  }

  private adopt(s: Spawned): void {
    const slot: Slot = { worker: s.worker, tensors: s.ready.tensors };
    this.slots.push(slot);
    s.worker.on('message', (msg: FromWorker) => this.onMessage(slot, msg));
    s.worker.on('error', (err) => this.onWorkerDeath(slot, err.message));
    s.worker.on('exit', (code) => {
      if (!this.closing || slot.busy) this.onWorkerDeath(slot, `worker exited with code ${code}`);
    });
  }

  private onMessage(slot: Slot, msg: FromWorker): void {
    if (msg.type !== 'result' && msg.type !== 'aligned' && msg.type !== 'error') return;
    slot.tensors = msg.tensors;
    const job = slot.busy;
    if (!job || job.id !== msg.id) return;
    slot.busy = undefined;
    if (msg.type === 'result') resolveBatch(job.batch, msg.translations);
    else if (msg.type === 'aligned') resolveBatch(job.batch, msg.alignments);
    else rejectBatch(job.batch, msg.message);
    this.pump();
    this.checkDrained();
  }

  private onWorkerDeath(slot: Slot, message: string): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    slot.worker.removeAllListeners();
    void slot.worker.terminate();
    if (slot.busy) rejectBatch(slot.busy.batch, `translation worker failed: ${message}`);
    slot.busy = undefined;
    this.opts.onWorkerError?.(message);
    if (this.closing) {
      this.checkDrained();
      return;
    }
    spawn(this.opts).then(
      (s) => {
        if (this.closing) {
          void s.worker.terminate();
          return;
        }
        this.adopt(s);
        this.pump();
      },
      (err: Error) => this.opts.onWorkerError?.(`could not replace worker: ${err.message}`),
    );
    // Nothing left to run the queue until the replacement is up; fail fast rather than hang.
    if (this.slots.length === 0) this.batcher.failAll(`translation worker failed: ${message}`);
  }

  /** Send ready batches to idle workers, oldest first. */
  private pump(): void {
    for (const slot of this.slots) {
      if (slot.busy) continue;
      const batch = this.batcher.take();
      if (!batch) return;
      const id = this.nextId++;
      slot.busy = { id, batch };
      const input = batchItems(batch);
      this.batches++;
      this.textCount += input.items.length;
      const message: ToWorker =
        input.kind === 'align'
          ? { type: 'align', id, pairs: input.items, opts: input.opts }
          : { type: 'translate', id, texts: input.items, opts: input.opts };
      slot.worker.postMessage(message);
    }
  }
}

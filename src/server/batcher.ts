/**
 * Request micro-batching for the WorkerPool. A request joins the oldest queued batch with the same options
 * (beam, nbest, length penalty, length ratio, attention) that has room, or opens a new one. A batch becomes
 * ready when its window (`windowMs`) elapses or it holds `maxBatch` texts; until a worker takes it, it
 * keeps absorbing compatible requests, so batches grow with the load. A single request larger than
 * `maxBatch` is a batch of its own.
 */
import type { Translation, TranslateOptions } from '../translate/translator.js';

interface Waiter {
  texts: string[];
  resolve: (t: Translation[]) => void;
  reject: (e: Error) => void;
}

/** Requests with the same options, to be sent to a worker as one translate call. */
export interface Batch {
  readonly key: string;
  readonly opts: TranslateOptions;
  readonly waiters: Waiter[];
  /** Texts over all waiters. */
  size: number;
  /** The batch window has elapsed or the batch is full: it may be sent to the next idle worker. */
  ready: boolean;
  timer?: NodeJS.Timeout;
}

function optionsKey(o: TranslateOptions): string {
  return JSON.stringify([
    o.beam ?? 1,
    o.nbest ?? 1,
    o.lengthPenalty ?? null,
    o.maxLenRatio ?? null,
    !!o.withAttention,
  ]);
}

/** Every text of a batch, in request order. */
export function batchTexts(batch: Batch): string[] {
  return batch.waiters.flatMap((w) => w.texts);
}

/** Hand each request its slice of the batch's translations. */
export function resolveBatch(batch: Batch, translations: Translation[]): void {
  let k = 0;
  for (const w of batch.waiters) {
    w.resolve(translations.slice(k, k + w.texts.length));
    k += w.texts.length;
  }
}

/** Fail every request of a batch (each with its own Error). */
export function rejectBatch(batch: Batch, message: string): void {
  for (const w of batch.waiters) w.reject(new Error(message));
}

export class Batcher {
  /** Batches waiting for a worker, oldest first. */
  private readonly queue: Batch[] = [];

  /** `wake` is called after every add and whenever a batch window elapses. */
  constructor(
    private readonly maxBatch: number,
    private readonly windowMs: number,
    private readonly wake: () => void,
  ) {}

  /** Queue a request; the promise settles when its batch is resolved or rejected. */
  add(texts: readonly string[], opts: TranslateOptions): Promise<Translation[]> {
    return new Promise<Translation[]>((resolve, reject) => {
      const waiter: Waiter = { texts: [...texts], resolve, reject };
      const key = optionsKey(opts);
      // Join a queued batch with the same options if it has room.
      let batch = this.queue.find((b) => b.key === key && b.size + texts.length <= this.maxBatch);
      if (!batch) {
        batch = { key, opts: { ...opts }, waiters: [], size: 0, ready: false };
        this.queue.push(batch);
        const b = batch;
        b.timer = setTimeout(() => {
          b.ready = true;
          this.wake();
        }, this.windowMs);
      }
      batch.waiters.push(waiter);
      batch.size += texts.length;
      if (batch.size >= this.maxBatch) {
        clearTimeout(batch.timer);
        batch.ready = true;
      }
      this.wake();
    });
  }

  /** Remove and return the oldest ready batch, if any. */
  take(): Batch | undefined {
    const i = this.queue.findIndex((b) => b.ready);
    return i < 0 ? undefined : this.queue.splice(i, 1)[0];
  }

  /** Make every queued batch ready now (on close: no more requests will join them). */
  flush(): void {
    for (const b of this.queue) {
      clearTimeout(b.timer);
      b.ready = true;
    }
  }

  /** Reject and drop every queued batch. */
  failAll(message: string): void {
    for (const b of this.queue.splice(0)) {
      clearTimeout(b.timer);
      rejectBatch(b, message);
    }
  }

  /** Queued batches. */
  get length(): number {
    return this.queue.length;
  }

  /** Queued requests. */
  get waiting(): number {
    return this.queue.reduce((a, b) => a + b.waiters.length, 0);
  }
}

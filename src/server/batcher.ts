/**
 * Request micro-batching for the WorkerPool. A request joins the oldest queued batch of the same task
 * (translation, or forced alignment of given pairs) with the same options (beam, nbest, length penalty,
 * length ratio, attention; pre-tokenized, link method) that has room, or opens a new one. A batch becomes
 * ready when its window (`windowMs`) elapses or it holds `maxBatch` texts; until a worker takes it, it
 * keeps absorbing compatible requests, so batches grow with the load. A single request larger than
 * `maxBatch` is a batch of its own.
 */
import type { AlignOptions, AlignPair, ForcedAlignment } from '../translate/force-align.js';
import type { Translation, TranslateOptions } from '../translate/translator.js';

/** What a batch asks a worker to do: translate texts, or force-align given pairs. */
export type Task = { kind: 'translate'; opts: TranslateOptions } | { kind: 'align'; opts: AlignOptions };

/** A batch's inputs with its task's options. */
export type Items =
  | { kind: 'translate'; items: string[]; opts: TranslateOptions }
  | { kind: 'align'; items: AlignPair[]; opts: AlignOptions };
type Results = Translation[] | ForcedAlignment[];

interface Waiter {
  items: string[] | AlignPair[];
  resolve: (r: Results) => void;
  reject: (e: Error) => void;
}

/** Requests of one task with the same options, to be sent to a worker as one call. */
export interface Batch {
  readonly key: string;
  readonly task: Task;
  readonly waiters: Waiter[];
  /** Texts over all waiters. */
  size: number;
  /** The batch window has elapsed or the batch is full: it may be sent to the next idle worker. */
  ready: boolean;
  timer?: NodeJS.Timeout;
}

function taskKey(t: Task): string {
  if (t.kind === 'align') {
    const m = t.opts.method ?? {};
    return JSON.stringify([
      'align',
      !!t.opts.pretokenized,
      m.step ?? null,
      m.sourcePieces ?? null,
      m.targetPieces ?? null,
    ]);
  }
  const o = t.opts;
  return JSON.stringify([
    'translate',
    o.beam ?? 1,
    o.nbest ?? 1,
    o.lengthPenalty ?? null,
    o.coveragePenalty ?? null,
    o.blockStutter ?? null,
    o.maxLenRatio ?? null,
    !!o.withAttention,
  ]);
}

/** Every input of a batch, in request order: texts to translate, or pairs to align. */
export function batchItems(batch: Batch): Items {
  const t = batch.task;
  // A waiter's items are of its batch's kind (enqueue keys batches by task).
  return t.kind === 'align'
    ? { kind: 'align', items: batch.waiters.flatMap((w) => w.items as AlignPair[]), opts: t.opts }
    : { kind: 'translate', items: batch.waiters.flatMap((w) => w.items as string[]), opts: t.opts };
}

/** Hand each request its slice of the batch's results. */
export function resolveBatch(batch: Batch, results: Results): void {
  let k = 0;
  for (const w of batch.waiters) {
    w.resolve(results.slice(k, k + w.items.length) as Results);
    k += w.items.length;
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

  /** Queue texts to translate; the promise settles when its batch is resolved or rejected. */
  add(texts: readonly string[], opts: TranslateOptions): Promise<Translation[]> {
    return this.enqueue({ kind: 'translate', opts: { ...opts } }, [...texts]) as Promise<Translation[]>;
  }

  /** Queue pairs to force-align. */
  addAlign(pairs: readonly AlignPair[], opts: AlignOptions): Promise<ForcedAlignment[]> {
    const task: Task = { kind: 'align', opts: { ...opts } };
    return this.enqueue(
      task,
      pairs.map((p) => ({ ...p })),
    ) as Promise<ForcedAlignment[]>;
  }

  private enqueue(task: Task, items: string[] | AlignPair[]): Promise<Results> {
    return new Promise<Results>((resolve, reject) => {
      const waiter: Waiter = { items, resolve, reject };
      const key = taskKey(task);
      // Join a queued batch with the same task and options if it has room.
      let batch = this.queue.find((b) => b.key === key && b.size + items.length <= this.maxBatch);
      if (!batch) {
        batch = { key, task, waiters: [], size: 0, ready: false };
        this.queue.push(batch);
        const b = batch;
        b.timer = setTimeout(() => {
          b.ready = true;
          this.wake();
        }, this.windowMs);
      }
      batch.waiters.push(waiter);
      batch.size += items.length;
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

/**
 * Translation services for the server.
 *
 * `WorkerPool` runs N worker threads (src/server/worker.ts), each with its own TensorFlow.js backend and
 * its own copy of the model; the main thread only moves plain data (strings, numbers, arrays) and never
 * creates a tensor. Requests are micro-batched: a request waits up to `batchWindowMs` (a few ms) for
 * others with the same options (beam, nbest, length penalty, attention) to arrive, and they are sent to a
 * worker as one `translate` call of up to `maxBatch` texts. While every worker is busy, queued batches stay
 * open and keep absorbing compatible requests, so batches grow with the load.
 *
 * `InProcessService` translates on the calling thread with a Translator: simpler, for tests and tools.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ModelDirConfig } from '../model/model-dir.js';
import type { Translation, TranslateOptions } from '../translate/translator.js';

/** What a service knows about the model it serves (plain data, read by the worker that loaded it). */
export interface ServiceInfo {
  /** Model directory, as given. */
  dir: string;
  /** TensorFlow.js backend in use (in the workers for a WorkerPool). */
  backend: string;
  parameters: number;
  config: ModelDirConfig;
}

export interface ServiceStats {
  /** Live tensors, summed over workers, as of each worker's last reply. */
  tensors: number;
  workers: number;
  /** Requests waiting for a worker or for their batch window. */
  queued: number;
  /** translate() calls sent to the backend, and the texts they held (texts/batches = mean batch size). */
  batches: number;
  texts: number;
}

export interface TranslationService {
  translate(texts: readonly string[], opts?: TranslateOptions): Promise<Translation[]>;
  close(): Promise<void>;
  readonly info: ServiceInfo;
  stats?(): ServiceStats;
}

export class ServiceClosedError extends Error {
  constructor() {
    super('the translation service is shutting down');
  }
}

// ---------------------------------------------------------------------------------------------------------
// Messages between the main thread and a worker (structured-clone-able plain objects).

export interface WorkerData {
  modelDir: string;
  backend?: string;
}

export type ToWorker =
  { type: 'translate'; id: number; texts: string[]; opts: TranslateOptions } | { type: 'close' };

export type FromWorker =
  | { type: 'ready'; backend: string; parameters: number; config: ModelDirConfig; tensors: number }
  | { type: 'fatal'; message: string }
  | { type: 'result'; id: number; translations: Translation[]; tensors: number }
  | { type: 'error'; id: number; message: string; tensors: number };

// ---------------------------------------------------------------------------------------------------------

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

interface Waiter {
  texts: string[];
  resolve: (t: Translation[]) => void;
  reject: (e: Error) => void;
}

interface Group {
  key: string;
  opts: TranslateOptions;
  waiters: Waiter[];
  size: number;
  /** The batch window has elapsed or the group is full: it may be sent to the next idle worker. */
  ready: boolean;
  timer?: NodeJS.Timeout;
}

interface Slot {
  worker: Worker;
  busy?: { id: number; group: Group };
  tensors: number;
}

/** URL of worker.ts (under tsx) or worker.js (compiled), next to this file. */
function workerUrl(): URL {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./worker${ext}`, import.meta.url);
}

/**
 * file: URL of tsx's ESM API (`tsx/esm/api`, import condition). Found through tsx's package.json rather
 * than import.meta.resolve, because this module may itself run compiled to CommonJS by tsx (under mocha),
 * where import.meta.resolve does not exist; and tsx's CommonJS build of that API cannot register hooks.
 */
function tsxEsmApi(): string {
  const pkgFile = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as {
    exports: Record<string, { import?: { default?: string } } | string>;
  };
  const entry = pkg.exports['./esm/api'];
  const rel = typeof entry === 'string' ? entry : entry?.import?.default;
  if (!rel) throw new Error(`cannot find tsx/esm/api in ${pkgFile}`);
  return pathToFileURL(path.join(path.dirname(pkgFile), rel)).href;
}

/**
 * Module stubs for worker threads. transformers.js (used only for its tokenizers here) imports two native
 * addons at load time, `onnxruntime-node` and `sharp`, that are not safe in worker threads: a second
 * thread that loads onnxruntime-node fails with "Module did not self-register", and unloading it when a
 * worker exits can abort the process. Workers never run ONNX models or process images, so they get stubs.
 */
const WORKER_STUBS: Record<string, string> = {
  'onnxruntime-node': 'export default { env: {} };',
  sharp:
    'export default function sharp() { throw new Error("image processing is not available in translation workers"); }',
};

const STUB_HOOKS = `
const STUBS = ${JSON.stringify(WORKER_STUBS)};
export async function resolve(specifier, context, next) {
  if (Object.prototype.hasOwnProperty.call(STUBS, specifier)) {
    return { url: 'data:text/javascript,' + encodeURIComponent(STUBS[specifier]), shortCircuit: true };
  }
  return next(specifier, context);
}`;

/**
 * Start a worker thread running worker.ts/js through a small JavaScript bootstrap that first registers
 * the stub hooks above and, for worker.ts, tsx: Node 20 does not apply the parent's `--import tsx`
 * module hooks inside worker threads.
 */
function newWorker(workerData: WorkerData): Worker {
  const url = workerUrl();
  const hooks = 'data:text/javascript,' + encodeURIComponent(STUB_HOOKS);
  const bootstrap =
    `require('node:module').register(${JSON.stringify(hooks)});` +
    (url.pathname.endsWith('.ts')
      ? `import(${JSON.stringify(tsxEsmApi())}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`
      : `import(${JSON.stringify(url.href)})`) +
    `.catch((err) => { throw err; });`;
  return new Worker(bootstrap, { eval: true, workerData });
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

export class WorkerPool implements TranslationService {
  private readonly slots: Slot[] = [];
  /** Batches waiting for a worker, oldest first. */
  private readonly queue: Group[] = [];
  private nextId = 1;
  private closing = false;
  private closed?: Promise<void>;
  private drained?: () => void;
  private batches = 0;
  private textCount = 0;
  private readonly maxBatch: number;
  private readonly windowMs: number;

  private constructor(
    private readonly opts: WorkerPoolOptions,
    readonly info: ServiceInfo,
  ) {
    this.maxBatch = Math.max(1, opts.maxBatch ?? 32);
    this.windowMs = Math.max(0, opts.batchWindowMs ?? 5);
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
      parameters: first.parameters,
      config: first.config,
    });
    for (const s of ok) pool.adopt(s);
    return pool;
  }

  translate(texts: readonly string[], opts: TranslateOptions = {}): Promise<Translation[]> {
    if (this.closing) return Promise.reject(new ServiceClosedError());
    if (texts.length === 0) return Promise.resolve([]);
    return new Promise<Translation[]>((resolve, reject) => {
      const waiter: Waiter = { texts: [...texts], resolve, reject };
      const key = optionsKey(opts);
      // Join a queued batch with the same options if it has room.
      let group = this.queue.find((g) => g.key === key && g.size + texts.length <= this.maxBatch);
      if (!group) {
        group = { key, opts: { ...opts }, waiters: [], size: 0, ready: false };
        this.queue.push(group);
        const g = group;
        g.timer = setTimeout(() => {
          g.ready = true;
          this.pump();
        }, this.windowMs);
      }
      group.waiters.push(waiter);
      group.size += texts.length;
      if (group.size >= this.maxBatch) {
        clearTimeout(group.timer);
        group.ready = true;
      }
      this.pump();
    });
  }

  stats(): ServiceStats {
    return {
      tensors: this.slots.reduce((a, s) => a + s.tensors, 0),
      workers: this.slots.length,
      queued: this.queue.reduce((a, g) => a + g.waiters.length, 0),
      batches: this.batches,
      texts: this.textCount,
    };
  }

  /** Stop accepting requests, finish queued and in-flight ones, then stop the workers. */
  close(): Promise<void> {
    if (this.closed) return this.closed;
    this.closing = true;
    for (const g of this.queue) {
      clearTimeout(g.timer);
      g.ready = true;
    }
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
    if (this.drained && this.queue.length === 0 && this.slots.every((s) => !s.busy)) this.drained();
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
    if (msg.type !== 'result' && msg.type !== 'error') return;
    slot.tensors = msg.tensors;
    const job = slot.busy;
    if (!job || job.id !== msg.id) return;
    slot.busy = undefined;
    if (msg.type === 'result') {
      let k = 0;
      for (const w of job.group.waiters) {
        w.resolve(msg.translations.slice(k, k + w.texts.length));
        k += w.texts.length;
      }
    } else {
      for (const w of job.group.waiters) w.reject(new Error(msg.message));
    }
    this.pump();
    this.checkDrained();
  }

  private onWorkerDeath(slot: Slot, message: string): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    slot.worker.removeAllListeners();
    void slot.worker.terminate();
    if (slot.busy)
      for (const w of slot.busy.group.waiters) w.reject(new Error(`translation worker failed: ${message}`));
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
    if (this.slots.length === 0) {
      // Nothing left to run the queue until the replacement is up; fail fast rather than hang.
      for (const g of this.queue.splice(0)) {
        clearTimeout(g.timer);
        for (const w of g.waiters) w.reject(new Error(`translation worker failed: ${message}`));
      }
    }
  }

  /** Send ready batches to idle workers, oldest first. */
  private pump(): void {
    for (const slot of this.slots) {
      if (slot.busy) continue;
      const gi = this.queue.findIndex((g) => g.ready);
      if (gi < 0) return;
      const [group] = this.queue.splice(gi, 1);
      const id = this.nextId++;
      slot.busy = { id, group };
      const texts = group.waiters.flatMap((w) => w.texts);
      this.batches++;
      this.textCount += texts.length;
      slot.worker.postMessage({ type: 'translate', id, texts, opts: group.opts } satisfies ToWorker);
    }
  }
}

/** Ask a worker to dispose its model and exit; terminate it if it has not exited after `graceMs`. */
function stopWorker(worker: Worker, graceMs = 5000): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => void worker.terminate(), graceMs);
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    worker.postMessage({ type: 'close' } satisfies ToWorker);
  });
}

interface Spawned {
  worker: Worker;
  ready: Extract<FromWorker, { type: 'ready' }>;
}

function spawn(opts: WorkerPoolOptions): Promise<Spawned> {
  return new Promise<Spawned>((resolve, reject) => {
    const workerData: WorkerData = { modelDir: path.resolve(opts.modelDir), backend: opts.backend };
    const worker = newWorker(workerData);
    const fail = (message: string) => {
      cleanup();
      void worker.terminate();
      reject(new Error(message));
    };
    const onMessage = (msg: FromWorker) => {
      if (msg.type === 'ready') {
        cleanup();
        resolve({ worker, ready: msg });
      } else if (msg.type === 'fatal') {
        fail(msg.message);
      }
    };
    const onError = (err: Error) => fail(err.message);
    const onExit = (code: number) =>
      fail(`translation worker exited with code ${code} before loading the model`);
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

// ---------------------------------------------------------------------------------------------------------

/** Translates on the calling thread (tests, small tools). Loads TensorFlow.js lazily. */
export class InProcessService implements TranslationService {
  private queue: Promise<unknown> = Promise.resolve();
  private closing = false;
  private batches = 0;
  private textCount = 0;

  private constructor(
    private readonly translator: import('../translate/translator.js').Translator,
    private readonly liveTensors: () => number,
    readonly info: ServiceInfo,
  ) {}

  static async load(modelDir: string, backend?: string): Promise<InProcessService> {
    const { initBackend } = await import('../backend/select.js');
    const { Translator } = await import('../translate/translator.js');
    const choice = await initBackend(backend);
    const translator = Translator.load(modelDir);
    return new InProcessService(translator, () => Translator.liveTensors(), {
      dir: modelDir,
      backend: choice.name,
      parameters: translator.parameterCount(),
      config: translator.config,
    });
  }

  translate(texts: readonly string[], opts: TranslateOptions = {}): Promise<Translation[]> {
    if (this.closing) return Promise.reject(new ServiceClosedError());
    const run = this.queue.then(() => {
      this.batches++;
      this.textCount += texts.length;
      return this.translator.translate(texts, opts);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  stats(): ServiceStats {
    return {
      tensors: this.liveTensors(),
      workers: 0,
      queued: 0,
      batches: this.batches,
      texts: this.textCount,
    };
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.queue;
    this.translator.dispose();
  }
}

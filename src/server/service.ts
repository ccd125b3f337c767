/**
 * What the app needs from a translator: the `TranslationService` interface, its info and stats, the error
 * for requests made after close(), and `InProcessService`, which translates on the calling thread with a
 * Translator (simpler than the WorkerPool in pool.ts; for tests and small tools).
 */
import type { ModelDirConfig } from '../translate/model-dir.js';
import type { AlignOptions, AlignPair, ForcedAlignment } from '../translate/force-align.js';
import type { Translation, TranslateOptions } from '../translate/translator.js';

/** What a service knows about the model it serves (plain data, read by the worker that loaded it). */
export interface ServiceInfo {
  /** Model directory, as given. */
  dir: string;
  /** TensorFlow.js backend in use (in the workers for a WorkerPool). */
  backend: string;
  /** On wasm: which matmul runs (OpenBLAS addon or XNNPACK, and why). */
  matmul?: string;
  parameters: number;
  config: ModelDirConfig;
}

export interface ServiceStats {
  /** Live tensors, summed over workers, as of each worker's last reply. */
  tensors: number;
  workers: number;
  /** Requests waiting for a worker or for their batch window. */
  queued: number;
  /** translate() and align() calls sent to the backend, and the texts or pairs they held (texts/batches = mean batch size). */
  batches: number;
  texts: number;
}

export interface TranslationService {
  translate(texts: readonly string[], opts?: TranslateOptions): Promise<Translation[]>;
  /** Forced alignment of given translations (Translator.align). */
  align(pairs: readonly AlignPair[], opts?: AlignOptions): Promise<ForcedAlignment[]>;
  close(): Promise<void>;
  readonly info: ServiceInfo;
  stats?(): ServiceStats;
}

export class ServiceClosedError extends Error {
  constructor() {
    super('the translation service is shutting down');
  }
}

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

  align(pairs: readonly AlignPair[], opts: AlignOptions = {}): Promise<ForcedAlignment[]> {
    if (this.closing) return Promise.reject(new ServiceClosedError());
    const run = this.queue.then(() => {
      this.batches++;
      this.textCount += pairs.length;
      return this.translator.align(pairs, opts);
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

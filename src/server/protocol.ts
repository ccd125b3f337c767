/**
 * Messages between the main thread (pool.ts, spawn.ts) and a translation worker (worker.ts):
 * structured-clone-able plain objects, no tensors.
 */
import type { ModelDirConfig } from '../translate/model-dir.js';
import type { AlignOptions, AlignPair, ForcedAlignment } from '../translate/force-align.js';
import type { Translation, TranslateOptions } from '../translate/translator.js';

/** The worker's `workerData`. */
export interface WorkerData {
  modelDir: string;
  backend?: string;
}

export type ToWorker =
  | { type: 'translate'; id: number; texts: string[]; opts: TranslateOptions }
  | { type: 'align'; id: number; pairs: AlignPair[]; opts: AlignOptions }
  | { type: 'close' };

export type FromWorker =
  | {
      type: 'ready';
      backend: string;
      /** wasm only: which matmul runs (src/backend/select.ts) */
      matmul?: string;
      parameters: number;
      config: ModelDirConfig;
      tensors: number;
    }
  | { type: 'fatal'; message: string }
  | { type: 'result'; id: number; translations: Translation[]; tensors: number }
  | { type: 'aligned'; id: number; alignments: ForcedAlignment[]; tensors: number }
  | { type: 'error'; id: number; message: string; tensors: number };

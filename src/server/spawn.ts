/**
 * Starting and stopping translation worker threads: a JavaScript bootstrap that stubs native addons
 * unsafe in workers and, when running from TypeScript sources, registers tsx inside the worker; waiting
 * for the worker's `ready` (or its load error); asking it to exit.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FromWorker, ToWorker, WorkerData } from './protocol.js';

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

/** Ask a worker to dispose its model and exit; terminate it if it has not exited after `graceMs`. */
export function stopWorker(worker: Worker, graceMs = 5000): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => void worker.terminate(), graceMs);
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    worker.postMessage({ type: 'close' } satisfies ToWorker);
  });
}

/** A worker that has loaded the model, with its `ready` message. */
export interface Spawned {
  worker: Worker;
  ready: Extract<FromWorker, { type: 'ready' }>;
}

/** Start a worker and wait until it has loaded the model; rejects with the loader's error. */
export function spawn(opts: WorkerData): Promise<Spawned> {
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

/**
 * Pick the fastest TensorFlow.js backend that loads on this machine:
 * `tfjs-node-gpu` (CUDA) → `tfjs-node` (native TensorFlow) → `wasm` (XNNPACK, SIMD) → `cpu` (pure JS).
 *
 * The native packages are optional dependencies: their install step downloads a prebuilt TensorFlow
 * library, which fails on machines without access to it, so each is tried with a dynamic import and
 * skipped with a logged reason when it does not load. The choice can be forced with `--backend NAME`
 * (passed here as `requested`) or the environment variable `NMT_BACKEND`. On wasm, this project's kernels
 * are installed (install.ts); a TensorFlow.js version other than the tested one is warned about.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core's Node build registers no gradients; the umbrella package's Node build registers them all
// (into the global registry that every copy of tfjs-core shares). Training needs them.
import '@tensorflow/tfjs';
import { installKernels } from './install.js';
import { BACKENDS, type BackendName, parseBackendName } from './names.js';
import { tfjsVersionWarnings } from './tfjs-version.js';

/** How each candidate is loaded; the native packages register the backend named 'tensorflow'. */
const LOADERS: Record<BackendName, { pkg: string; tfName: string }> = {
  'tensorflow-gpu': { pkg: '@tensorflow/tfjs-node-gpu', tfName: 'tensorflow' },
  tensorflow: { pkg: '@tensorflow/tfjs-node', tfName: 'tensorflow' },
  wasm: { pkg: '@tensorflow/tfjs-backend-wasm', tfName: 'wasm' },
  cpu: { pkg: '@tensorflow/tfjs-backend-cpu', tfName: 'cpu' },
};

export interface BackendChoice {
  name: BackendName;
  /** Why each faster candidate was skipped, for the log. */
  skipped: { name: BackendName; reason: string }[];
  /** wasm only: what multiplies matrices (the native OpenBLAS addon, or XNNPACK and why). */
  matmul?: string;
}

export type Logger = (message: string) => void;

let chosen: BackendChoice | undefined;

/** Loads `name`; for wasm also installs this project's kernels and returns which matmul runs. */
async function tryLoad(name: BackendName): Promise<string | undefined> {
  const { pkg, tfName } = LOADERS[name];
  await keepingProcessHandlers(async () => {
    if (name !== 'cpu') await import(pkg);
    const ok = await tf.setBackend(tfName);
    if (!ok) throw new Error(`tf.setBackend('${tfName}') returned false`);
    await tf.ready();
  });
  let matmul: string | undefined;
  if (name === 'wasm') matmul = installKernels().matmul;
  if (name === 'tensorflow-gpu') {
    // tfjs-node-gpu falls back to the CPU build silently when CUDA is missing; check a GPU is visible.
    const gpu = (tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice;
    if (gpu === false) throw new Error('tfjs-node-gpu loaded but no CUDA device is in use');
  }
  return matmul;
}

/**
 * Warn (once per thread, with the backend) when the installed tfjs-core, or tfjs-backend-wasm when it is
 * the backend, is not the version the kernels were tested with (tfjs-version.ts says why that matters).
 */
async function checkTfjsVersion(name: BackendName, warn: Logger): Promise<void> {
  const found = {
    '@tensorflow/tfjs-core': tf.version_core,
    // Imported already by tryLoad when it is the backend; not imported (nor initialised) otherwise.
    '@tensorflow/tfjs-backend-wasm':
      name === 'wasm' ? (await import('@tensorflow/tfjs-backend-wasm')).version_wasm : undefined,
  };
  for (const warning of tfjsVersionWarnings(found)) warn(warning);
}

/** Node's warning channel (stderr, "(node:pid) Warning: …"), which every process and worker shows. */
const emitWarning: Logger = (message) => process.emitWarning(message, 'TfjsVersionWarning');

/**
 * Initialise TensorFlow.js once per process. `requested` (from a flag) wins over NMT_BACKEND, which wins
 * over automatic selection. A requested backend that fails to load is an error, not a silent fallback.
 * `warn` receives the version warning of checkTfjsVersion, if any.
 */
export async function initBackend(
  requested?: string,
  log: Logger = () => {},
  warn: Logger = emitWarning,
): Promise<BackendChoice> {
  if (chosen) return chosen;
  const forced = requested ?? process.env.NMT_BACKEND;
  if (forced) {
    const name = parseBackendName(forced);
    let matmul: string | undefined;
    try {
      matmul = await tryLoad(name);
    } catch (err) {
      throw new Error(`Backend "${name}" was requested but failed to load: ${(err as Error).message}`, {
        cause: err,
      });
    }
    chosen = { name, skipped: [], ...(matmul && { matmul }) };
    log(`backend: ${name} (requested)`);
    if (chosen.matmul) log(`matmul: ${chosen.matmul}`);
    await checkTfjsVersion(name, warn);
    return chosen;
  }
  const skipped: BackendChoice['skipped'] = [];
  for (const name of BACKENDS) {
    try {
      const matmul = await tryLoad(name);
      chosen = { name, skipped, ...(matmul && { matmul }) };
      const why = skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
      log(`backend: ${name}${why ? ` (skipped ${why})` : ''}`);
      if (chosen.matmul) log(`matmul: ${chosen.matmul}`);
      await checkTfjsVersion(name, warn);
      return chosen;
    } catch (err) {
      skipped.push({ name, reason: firstLine((err as Error).message) });
    }
  }
  throw new Error(
    `No TensorFlow.js backend loaded: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`,
  );
}

/**
 * The Emscripten glue of tfjs-backend-wasm installs process-wide `uncaughtException` and
 * `unhandledRejection` handlers that rethrow, which makes Node print the whole minified glue file
 * instead of the error. Remove whatever handlers loading a backend adds so errors stay readable.
 */
async function keepingProcessHandlers(load: () => Promise<void>): Promise<void> {
  const uncaught = new Set(process.listeners('uncaughtException'));
  const unhandled = new Set(process.listeners('unhandledRejection'));
  try {
    await load();
  } finally {
    for (const l of process.listeners('uncaughtException')) {
      if (!uncaught.has(l)) process.removeListener('uncaughtException', l);
    }
    for (const l of process.listeners('unhandledRejection')) {
      if (!unhandled.has(l)) process.removeListener('unhandledRejection', l);
    }
  }
}

function firstLine(s: string): string {
  const line = s.split('\n')[0];
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

/** The backend chosen by initBackend, if any. */
export function currentBackend(): BackendChoice | undefined {
  return chosen;
}

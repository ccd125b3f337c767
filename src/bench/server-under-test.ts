/**
 * The server that the loopback benchmarks (src/cli/bench-load.ts, bench-soak.ts) drive: a worker pool and
 * the app in this process, on an ephemeral 127.0.0.1 port with the rate limit off. Without a model at
 * `model` it falls back to a tiny untrained model built in a temporary folder (with a notice), which
 * measures serving overhead rather than real translation cost.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createApp } from '../server/app.js';
import { loadModelInfo } from '../server/model-info.js';
import { WorkerPool, type WorkerPoolOptions } from '../server/pool.js';

export interface ServerUnderTestOptions {
  /** Model directory (config.json + weights.bin), as given on the command line. */
  model: string;
  /** Prefix of the fallback model's temporary folder, e.g. `nmt-bench-`. */
  tmpPrefix: string;
  /** Where notices go (stderr, prefixed with the command's name). */
  note: (message: string) => void;
  /** Worker pool options besides the model directory. */
  pool?: Omit<WorkerPoolOptions, 'modelDir'>;
}

export interface ServerUnderTest {
  /** `http://127.0.0.1:PORT`. */
  base: string;
  pool: WorkerPool;
  /** What reports call the model: `model` as given, or the fallback. */
  modelLabel: string;
  /** Stops the server and the workers and removes the fallback model. */
  close(): Promise<void>;
}

/** What GET /api/health reports that the benchmarks read. */
export interface Health {
  /** Live tensors, summed over workers (absent on backends that do not count them). */
  tensors?: number;
  rssBytes: number;
}

export async function startServerUnderTest(o: ServerUnderTestOptions): Promise<ServerUnderTest> {
  let modelDir = path.resolve(o.model);
  let tmp: string | undefined;
  if (!fs.existsSync(path.join(modelDir, 'config.json'))) {
    o.note(
      `no model at ${o.model}; using a tiny untrained model instead (numbers measure serving overhead only)`,
    );
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), o.tmpPrefix));
  }
  const removeTmp = () => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  };

  let pool: WorkerPool;
  try {
    if (tmp) modelDir = makeTinyModelQuietly(tmp);
    pool = await WorkerPool.start({ ...o.pool, modelDir });
  } catch (err) {
    removeTmp();
    throw err;
  }
  const app = createApp({
    pool,
    modelInfo: loadModelInfo(pool.info),
    limits: { rateLimit: { windowMs: 60_000, max: 0 } },
  });
  const server = app.listen(0, '127.0.0.1');
  const close = async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await pool.close();
    removeTmp();
  };
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
  } catch (err) {
    await close();
    throw err;
  }
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    pool,
    modelLabel: tmp !== undefined ? 'tiny untrained model (fallback)' : o.model,
    close,
  };
}

/** GET /api/health, given up on after `timeoutMs` if set. */
export async function health(base: string, timeoutMs?: number): Promise<Health> {
  const res = await fetch(
    `${base}/api/health`,
    timeoutMs === undefined ? undefined : { signal: AbortSignal.timeout(timeoutMs) },
  );
  if (!res.ok) throw new Error(`/api/health answered ${res.status}`);
  return (await res.json()) as Health;
}

/** `count` requests to POST /api/translate, one at a time (the first calls compile kernels); throws on a failure. */
export async function warmUp(base: string, count: number, body: (i: number) => string): Promise<void> {
  for (let i = 0; i < count; i++) {
    const r = await fetch(`${base}/api/translate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body(i),
    });
    if (!r.ok) throw new Error(`warm-up request failed: ${r.status} ${await r.text()}`);
  }
}

/**
 * test/helpers/tiny-model.ts, run in a child process with stdout discarded: the Rust tokenizer trainer
 * writes progress lines straight to file descriptor 1, which would corrupt `--json` output.
 */
function makeTinyModelQuietly(dir: string): string {
  const helper = new URL('../../test/helpers/tiny-model.ts', import.meta.url).href;
  const code = `const m = await import(${JSON.stringify(helper)}); await m.makeTinyModel(${JSON.stringify(dir)});`;
  const r = spawnSync(process.execPath, [...process.execArgv, '--input-type=module', '-e', code], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0)
    throw new Error(`could not build the tiny fallback model (exit ${r.status ?? r.signal})`);
  return dir;
}

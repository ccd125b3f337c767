/**
 * npm start -- [--model models/eng-spa] [--port 3000] [--host 0.0.0.0] [--workers 1] [--backend wasm]
 * Serves the translate page, the model page and the JSON API (src/server/app.ts). The model is loaded by
 * worker threads (src/server/pool.ts); the process refuses to start if the model directory is invalid.
 * SIGTERM / SIGINT: stop accepting connections, finish in-flight requests, stop the workers, exit 0.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Command } from 'commander';
import { createApp } from '../server/app.js';
import { DEFAULT_LIMITS } from '../server/validation.js';
import { loadModelInfo } from '../server/model-info.js';
import { createHttpServer, DEFAULT_HTTP_TIMEOUTS } from '../server/http-server.js';
import { WorkerPool } from '../server/pool.js';
import { createLogger } from '../util/log.js';
import { backendOption, port, positiveInt } from './args.js';

const program = new Command()
  .name('serve')
  .description('Serve the translation web page and JSON API.')
  .option('--model <dir>', 'model directory (config.json + weights.bin)', 'models/eng-spa')
  .option(
    '--port <n>',
    'TCP port (env PORT)',
    port('--port'),
    process.env.PORT ? port('PORT')(process.env.PORT) : 3000,
  )
  .option(
    '--host <addr>',
    'address to listen on (env HOST; 0.0.0.0 to serve your network)',
    process.env.HOST ?? '127.0.0.1',
  )
  .option(
    '--workers <n>',
    'translation worker threads, each with a copy of the model',
    positiveInt('--workers'),
    1,
  )
  .addOption(backendOption())
  .option('--max-chars <n>', 'characters per text', positiveInt('--max-chars'), DEFAULT_LIMITS.maxChars)
  .option(
    '--rate-limit <n>',
    'translation requests per minute per client (0 = off)',
    Number,
    DEFAULT_LIMITS.rateLimit.max,
  )
  .option(
    '--request-timeout <s>',
    'seconds for a whole request to arrive (then 408)',
    positiveInt('--request-timeout'),
    DEFAULT_HTTP_TIMEOUTS.requestTimeoutMs / 1000,
  )
  .option('--trust-proxy', 'trust X-Forwarded-For (when behind a reverse proxy)')
  .showHelpAfterError();

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<{
    model: string;
    port: number;
    host: string;
    workers: number;
    backend?: string;
    maxChars: number;
    rateLimit: number;
    trustProxy?: boolean;
    requestTimeout: number;
  }>();
  const log = createLogger('serve');
  const modelDir = path.resolve(o.model);
  if (!fs.existsSync(path.join(modelDir, 'config.json'))) {
    fail(
      `no model in ${o.model}: ${path.join(o.model, 'config.json')} does not exist. ` +
        'Train one (npm run train) or pass --model <dir>.',
    );
  }

  log.info(`loading ${o.model} in ${o.workers} worker thread${o.workers === 1 ? '' : 's'}…`);
  let pool: WorkerPool;
  try {
    pool = await WorkerPool.start({
      modelDir,
      workers: o.workers,
      backend: o.backend,
      onWorkerError: (m) => log.error(`translation worker failed: ${m}`),
    });
  } catch (err) {
    return fail(`cannot load model ${o.model}: ${(err as Error).message}`);
  }
  if (pool.info.matmul) log.info(`matmul (in the workers): ${pool.info.matmul}`);
  const modelInfo = loadModelInfo({ ...pool.info, dir: modelDir });
  log.info(
    `model ${modelInfo.srcLang}→${modelInfo.tgtLang}, ${modelInfo.parameters.toLocaleString('en')} parameters, backend ${modelInfo.backend}`,
  );

  const app = createApp({
    pool,
    modelInfo,
    log,
    trustProxy: o.trustProxy ?? false,
    limits: {
      maxChars: o.maxChars,
      rateLimit: { ...DEFAULT_LIMITS.rateLimit, max: Math.max(0, o.rateLimit) },
    },
  });
  const server = createHttpServer(app, {
    ...DEFAULT_HTTP_TIMEOUTS,
    requestTimeoutMs: o.requestTimeout * 1000,
  }).listen(o.port, o.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  }).catch(async (err: Error) => {
    await pool.close();
    fail(`cannot listen on ${o.host}:${o.port}: ${err.message}`);
  });
  const addr = server.address() as AddressInfo;
  const shownHost = o.host === '0.0.0.0' || o.host === '::' ? 'localhost' : o.host;
  log.info(`listening on http://${shownHost}:${addr.port}/ (backend ${modelInfo.backend})`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      log.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log.info(`${signal}: no longer accepting connections; finishing in-flight requests`);
    // A stuck client must not keep the process alive forever.
    const timer = setTimeout(() => {
      log.warn('shutdown took over 15 s: closing remaining connections');
      server.closeAllConnections();
    }, 15_000);
    timer.unref();
    server.close(() => {
      pool.close().then(
        () => {
          log.info('stopped');
          process.exit(0);
        },
        (err: Error) => {
          log.error(`error while stopping workers: ${err.message}`);
          process.exit(1);
        },
      );
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

function fail(message: string): never {
  process.stderr.write(`serve: ${message}\n`);
  process.exit(1);
}

main().catch((err: Error) => fail(err.message));

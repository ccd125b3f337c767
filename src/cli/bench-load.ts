/**
 * npm run bench:load -- [--model models/eng-spa] [--connections 50] [--duration 30] [--workers 1] [--json]
 * A bounded HTTP load test: starts the server in this process (worker pool + app on a loopback port), drives
 * POST /api/translate with autocannon for a fixed time, and reports latency percentiles, throughput, errors,
 * live tensors (from /api/health, summed over workers) and the process RSS before and after. A tensor count
 * that grows between before and after is a leak. Without a model at --model it falls back to a tiny
 * untrained model (with a notice), which measures the serving overhead rather than real translation cost.
 */
import autocannon from 'autocannon';
import { Command } from 'commander';
import { backendOption, positiveInt } from './args.js';
import { health, startServerUnderTest, warmUp } from '../bench/server-under-test.js';

const program = new Command()
  .name('bench:load')
  .description('Load-test the translation API on loopback with autocannon.')
  .option('--model <dir>', 'model directory', 'models/eng-spa')
  .option('--connections <n>', 'concurrent connections', positiveInt('--connections'), 50)
  .option('--duration <s>', 'seconds of load', positiveInt('--duration'), 30)
  .option('--workers <n>', 'translation worker threads', positiveInt('--workers'), 1)
  .addOption(backendOption('TensorFlow.js backend for the workers'))
  .option('--beam <k>', 'beam size of each request', positiveInt('--beam'), 1)
  .option('--text <s>', 'sentence to translate', 'The guests are hungry after the trip.')
  .option('--max-batch <n>', 'most texts per translate call', positiveInt('--max-batch'), 32)
  .option('--batch-window <ms>', 'how long a batch waits for more requests', Number, 5)
  .option('--json', 'print one JSON object instead of a table')
  .showHelpAfterError();

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<{
    model: string;
    connections: number;
    duration: number;
    workers: number;
    backend?: string;
    beam: number;
    text: string;
    maxBatch: number;
    batchWindow: number;
    json?: boolean;
  }>();
  const note = (m: string) => process.stderr.write(`bench:load: ${m}\n`);

  const server = await startServerUnderTest({
    model: o.model,
    tmpPrefix: 'nmt-bench-',
    note,
    pool: { workers: o.workers, backend: o.backend, maxBatch: o.maxBatch, batchWindowMs: o.batchWindow },
  });
  const { base, pool } = server;
  const body = JSON.stringify({ text: o.text, beam: o.beam });

  try {
    // Warm up (first calls compile kernels), then measure the resting state.
    await warmUp(base, 3, () => body);
    const before = await health(base);
    const statsBefore = pool.stats();
    note(
      `${o.connections} connections for ${o.duration} s against ${base}/api/translate (${pool.info.backend}, ${o.workers} worker${o.workers === 1 ? '' : 's'})…`,
    );
    const result = await autocannon({
      url: `${base}/api/translate`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      connections: o.connections,
      duration: o.duration,
      timeout: 60,
    });
    // Let in-flight batches finish so the tensor count is read at rest.
    while (pool.stats().queued > 0) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 200));
    const after = await health(base);
    const statsAfter = pool.stats();
    const batches = statsAfter.batches - statsBefore.batches;
    const texts = statsAfter.texts - statsBefore.texts;
    const report = {
      model: server.modelLabel,
      backend: pool.info.backend,
      workers: o.workers,
      connections: o.connections,
      durationSeconds: o.duration,
      beam: o.beam,
      requests: result.requests.total,
      requestsPerSec: round(result.requests.average),
      latencyMs: {
        p50: result.latency.p50,
        p90: result.latency.p90,
        p99: result.latency.p99,
        max: result.latency.max,
      },
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      meanBatchSize: batches > 0 ? round(texts / batches) : 0,
      tensors: { before: before.tensors ?? null, after: after.tensors ?? null },
      rssMB: { before: round(before.rssBytes / 2 ** 20), after: round(after.rssBytes / 2 ** 20) },
    };
    if (o.json) {
      process.stdout.write(JSON.stringify(report) + '\n');
    } else {
      const rows: [string, string][] = [
        ['model', report.model],
        ['backend / workers', `${report.backend} / ${report.workers}`],
        ['connections / duration', `${report.connections} / ${report.durationSeconds} s`],
        ['requests (beam ' + report.beam + ')', String(report.requests)],
        ['requests/s', String(report.requestsPerSec)],
        [
          'latency p50 / p90 / p99',
          `${report.latencyMs.p50} / ${report.latencyMs.p90} / ${report.latencyMs.p99} ms`,
        ],
        ['latency max', `${report.latencyMs.max} ms`],
        ['errors / timeouts / non-2xx', `${report.errors} / ${report.timeouts} / ${report.non2xx}`],
        ['mean batch size', String(report.meanBatchSize)],
        ['tensors before → after', `${report.tensors.before} → ${report.tensors.after}`],
        ['RSS before → after', `${report.rssMB.before} → ${report.rssMB.after} MB`],
      ];
      const w = Math.max(...rows.map((r) => r[0].length));
      process.stdout.write(rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n') + '\n');
    }
  } finally {
    await server.close();
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

main().catch((err: Error) => {
  process.stderr.write(`bench:load: ${err.message}\n`);
  process.exit(1);
});

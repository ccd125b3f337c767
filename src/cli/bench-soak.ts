/**
 * npm run bench:soak -- [--model models/eng-spa] [--translations 20000] [--concurrency 8] [--samples 40]
 *   [--clients 50] [--seconds 60] [--workers 1] [--backend name] [--rss-tolerance-mb 16] [--json]
 *
 * A bounded soak test on loopback: starts the server in this process (worker pool + app on 127.0.0.1, rate
 * limit off), then
 *
 * 1. sends --translations requests to POST /api/translate, --concurrency at a time, cycling through the
 *    sentences of corpora/sample.eng-spa.tsv with a mix of options (beam 1 and 3, n-best, alignments), and
 *    samples live tensors (the `tensors` field of /api/health, summed over workers) and the process RSS
 *    (`rssBytes`) about --samples times. It prints the curve and whether both are flat after warm-up.
 *    Tensors are exact counts: the least-squares slope over the last half of the samples, times the
 *    requests that half spans, must stay within 1 tensor. RSS is not: it rises and falls with garbage
 *    collection (the V8 heaps of this thread and of every worker), so a line through ten points fits the GC
 *    phase rather than a leak. A leak raises the peaks, so the highest RSS of the last half of the samples
 *    (after the first fifth, the warm-up) must not exceed the highest of the half before it by more than
 *    --rss-tolerance-mb (or 5 % of the mean RSS, if larger).
 * 2. runs --clients concurrent clients for --seconds with autocannon and reports errors, timeouts, non-2xx
 *    answers and latency percentiles (p99 among them).
 *
 * RSS is the whole process: server, translation workers and the load generator. Without a model at --model
 * it falls back to a tiny untrained model (with a notice), which measures serving overhead, not real
 * translation cost. Exits 1 if any request failed or a curve is not flat; --json prints one object.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Command } from 'commander';
import { backendOption, positiveInt, positiveNumber } from './args.js';
import { readTsv } from '../data/readers.js';
import { type Trend, peakTrend, round, trend } from '../bench/trend.js';
import { health as healthWithin, startServerUnderTest, warmUp } from '../bench/server-under-test.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const program = new Command()
  .name('bench:soak')
  .description(
    'Soak-test the translation API on loopback: tensor and memory curves, then a burst of clients.',
  )
  .option('--model <dir>', 'model directory', 'models/eng-spa')
  .option('--translations <n>', 'requests in phase 1', positiveInt('--translations'), 20_000)
  .option('--concurrency <n>', 'requests in flight in phase 1', positiveInt('--concurrency'), 8)
  .option('--samples <n>', 'tensor/RSS samples over phase 1', positiveInt('--samples'), 40)
  .option('--warmup <n>', 'requests before the first sample', positiveInt('--warmup'), 50)
  .option('--clients <n>', 'concurrent clients in phase 2', positiveInt('--clients'), 50)
  .option('--seconds <s>', 'duration of phase 2 (0 skips it)', Number, 60)
  .option('--workers <n>', 'translation worker threads', positiveInt('--workers'), 1)
  .addOption(backendOption('TensorFlow.js backend for the workers'))
  .option(
    '--rss-tolerance-mb <mb>',
    'largest rise of the RSS peak (last half vs the half before) counted as flat',
    positiveNumber('--rss-tolerance-mb'),
    16,
  )
  .option('--json', 'print one JSON object instead of tables')
  .showHelpAfterError();

interface Options {
  model: string;
  translations: number;
  concurrency: number;
  samples: number;
  warmup: number;
  clients: number;
  seconds: number;
  workers: number;
  backend?: string;
  rssToleranceMb: number;
  json?: boolean;
}

interface Sample {
  requests: number;
  seconds: number;
  tensors: number | null;
  rssMB: number;
}

const note = (m: string) => process.stderr.write(`bench:soak: ${m}\n`);

const health = (base: string) => healthWithin(base, 30_000);

/** Sentences to translate: the sample corpus's source side, or a few fixed ones. */
function sentences(): string[] {
  try {
    return readTsv(path.join(ROOT, 'corpora/sample.eng-spa.tsv')).map((p) => p.src);
  } catch {
    return ['The cat sleeps.', 'Where is the station?', 'I would like a cup of coffee, please.'];
  }
}

/** Request i of phase 1: every 5th with beam 3 and a 2-best list, every 3rd with alignments. */
function body(i: number, texts: string[]): string {
  const text = texts[i % texts.length];
  const beam = i % 5 === 0 ? 3 : 1;
  return JSON.stringify({
    text,
    beam,
    ...(beam > 1 ? { nbest: 2 } : {}),
    ...(i % 3 === 0 ? { alignments: true } : {}),
  });
}

/** Phase 1: `total` requests, `concurrency` at a time, sampling health every `every` completed requests. */
async function phase1(base: string, o: Options, texts: string[]) {
  const every = Math.max(1, Math.ceil(o.translations / o.samples));
  const samples: Sample[] = [];
  const errors: string[] = [];
  const t0 = performance.now();
  const sample = async (requests: number) => {
    const h = await health(base);
    samples.push({
      requests,
      seconds: round((performance.now() - t0) / 1000, 1),
      tensors: h.tensors ?? null,
      rssMB: round(h.rssBytes / 2 ** 20, 1),
    });
  };
  await sample(0);
  let next = 0;
  let done = 0;
  let lastProgress = performance.now();
  const client = async () => {
    for (;;) {
      const i = next++;
      if (i >= o.translations) return;
      try {
        const res = await fetch(`${base}/api/translate`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: body(i, texts),
          signal: AbortSignal.timeout(60_000),
        });
        const json = (await res.json()) as { translations?: { translation?: unknown }[] };
        if (res.status !== 200)
          errors.push(`request ${i}: ${res.status} ${JSON.stringify(json).slice(0, 200)}`);
        else if (json.translations?.length !== 1 || typeof json.translations[0].translation !== 'string')
          errors.push(`request ${i}: malformed answer ${JSON.stringify(json).slice(0, 200)}`);
      } catch (err) {
        errors.push(`request ${i}: ${(err as Error).message}`);
      }
      done++;
      if (done % every === 0 || done === o.translations) await sample(done);
      if (!o.json && performance.now() - lastProgress > 5000) {
        lastProgress = performance.now();
        note(`${done} / ${o.translations} translations…`);
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, client));
  samples.sort((a, b) => a.requests - b.requests);
  const seconds = (performance.now() - t0) / 1000;
  const rssMean = samples.reduce((a, s) => a + s.rssMB, 0) / samples.length;
  const withTensors = samples.filter((s) => s.tensors !== null);
  const tensors = withTensors.length > 0 ? trend(withTensors, (s) => s.tensors ?? 0, 1) : null;
  const rss = peakTrend(samples, (s) => s.rssMB, Math.max(o.rssToleranceMb, 0.05 * rssMean));
  return {
    translations: o.translations,
    concurrency: o.concurrency,
    seconds: round(seconds, 1),
    translationsPerSec: round(o.translations / seconds, 1),
    errors: errors.length,
    firstErrors: errors.slice(0, 5),
    samples,
    tensors,
    rss,
  };
}

/** Phase 2: `clients` concurrent connections for `seconds`, with autocannon. */
async function phase2(base: string, o: Options, texts: string[]) {
  const before = await health(base);
  const result = await autocannon({
    url: `${base}/api/translate`,
    connections: o.clients,
    duration: o.seconds,
    timeout: 60,
    requests: Array.from({ length: 16 }, (_, i) => ({
      method: 'POST' as const,
      path: '/api/translate',
      headers: { 'content-type': 'application/json' },
      body: body(i * 7 + 1, texts),
    })),
  });
  await new Promise((r) => setTimeout(r, 200));
  const after = await health(base);
  return {
    clients: o.clients,
    seconds: o.seconds,
    requests: result.requests.total,
    requestsPerSec: round(result.requests.average, 1),
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    tensors: { before: before.tensors ?? null, after: after.tensors ?? null },
    rssMB: { before: round(before.rssBytes / 2 ** 20, 1), after: round(after.rssBytes / 2 ** 20, 1) },
  };
}

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<Options>();
  if (!(o.seconds >= 0)) throw new Error(`--seconds must be 0 or more, got ${o.seconds}`);

  const server = await startServerUnderTest({
    model: o.model,
    tmpPrefix: 'nmt-soak-',
    note,
    pool: { workers: o.workers, backend: o.backend },
  });
  const { base, pool } = server;
  try {
    const texts = sentences();

    // Warm up: the first calls compile kernels and grow the heaps.
    await warmUp(base, o.warmup, (i) => body(i, texts));

    if (!o.json)
      note(
        `phase 1: ${o.translations} translations, ${o.concurrency} at a time, against ${base} (${pool.info.backend}, ${o.workers} worker${o.workers === 1 ? '' : 's'})…`,
      );
    const p1 = await phase1(base, o, texts);
    let p2: Awaited<ReturnType<typeof phase2>> | null = null;
    if (o.seconds > 0) {
      if (!o.json) note(`phase 2: ${o.clients} clients for ${o.seconds} s…`);
      p2 = await phase2(base, o, texts);
    }
    const phase2Errors = p2 ? p2.errors + p2.timeouts + p2.non2xx : 0;
    const ok = p1.errors === 0 && (p1.tensors?.flat ?? true) && p1.rss.flat && phase2Errors === 0;
    const report = {
      model: server.modelLabel,
      backend: pool.info.backend,
      workers: o.workers,
      phase1: p1,
      phase2: p2,
      ok,
    };
    if (o.json) process.stdout.write(JSON.stringify(report) + '\n');
    else process.stdout.write(formatReport(report));
    if (!ok) process.exitCode = 1;
  } finally {
    await server.close();
  }
}

function formatReport(r: {
  model: string;
  backend: string;
  workers: number;
  phase1: Awaited<ReturnType<typeof phase1>>;
  phase2: Awaited<ReturnType<typeof phase2>> | null;
  ok: boolean;
}): string {
  const p1 = r.phase1;
  const lines: string[] = [];
  lines.push(`model ${r.model}, backend ${r.backend}, ${r.workers} worker${r.workers === 1 ? '' : 's'}`);
  lines.push('');
  lines.push(
    `phase 1: ${p1.translations} translations, ${p1.concurrency} at a time: ${p1.seconds} s, ${p1.translationsPerSec}/s, ${p1.errors} errors`,
  );
  for (const e of p1.firstErrors) lines.push(`  ${e}`);
  const header = ['requests', 'seconds', 'tensors', 'RSS MB'];
  const rows = p1.samples.map((s) => [
    String(s.requests),
    s.seconds.toFixed(1),
    String(s.tensors ?? '–'),
    s.rssMB.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const fmt = (row: string[]) => '  ' + row.map((c, i) => c.padStart(widths[i])).join('  ');
  lines.push(fmt(header));
  for (const row of rows) lines.push(fmt(row));
  const verdict = (t: Trend | null, unit: string) =>
    t === null
      ? 'not reported by /api/health'
      : `${t.flat ? 'flat' : 'GROWING'} (last half: ${t.slopePer1000 >= 0 ? '+' : ''}${t.slopePer1000} ${unit} per 1000 requests, drift ${t.drift >= 0 ? '+' : ''}${t.drift} ${unit}, tolerance ${t.tolerance})`;
  lines.push(`tensors  ${verdict(p1.tensors, 'tensors')}`);
  const rss = p1.rss;
  lines.push(
    `RSS      ${rss.flat ? 'flat' : 'GROWING'} (peak ${rss.firstPeakMB} MB in the first half after warm-up, ` +
      `${rss.lastPeakMB} MB in the last: ${rss.growth >= 0 ? '+' : ''}${rss.growth} MB, tolerance ${rss.tolerance}; ` +
      `last-half slope ${rss.slopePer1000 >= 0 ? '+' : ''}${rss.slopePer1000} MB per 1000 requests)`,
  );
  const p2 = r.phase2;
  if (p2) {
    lines.push('');
    lines.push(`phase 2: ${p2.clients} clients for ${p2.seconds} s`);
    lines.push(`  requests          ${p2.requests} (${p2.requestsPerSec}/s)`);
    lines.push(`  errors            ${p2.errors} errors, ${p2.timeouts} timeouts, ${p2.non2xx} non-2xx`);
    lines.push(
      `  latency           p50 ${p2.latencyMs.p50} / p90 ${p2.latencyMs.p90} / p99 ${p2.latencyMs.p99} / max ${p2.latencyMs.max} ms`,
    );
    lines.push(`  tensors           ${p2.tensors.before} → ${p2.tensors.after}`);
    lines.push(`  RSS               ${p2.rssMB.before} → ${p2.rssMB.after} MB`);
  }
  lines.push('');
  lines.push(r.ok ? 'OK: no errors, tensors and RSS flat' : 'FAILED: see errors or growing curves above');
  return lines.join('\n') + '\n';
}

main().catch((err: Error) => {
  process.stderr.write(`bench:soak: ${err.message}\n`);
  process.exit(1);
});

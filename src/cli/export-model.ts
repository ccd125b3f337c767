/**
 * npm run export-model -- --from runs/eng-spa/model --to models/eng-spa [--dtype float16]
 *   [--metrics runs/eng-spa/metrics.jsonl] [--scores test-greedy.json --scores test-beam5.json] [--set key=value]
 *
 * Makes a shippable model directory from a trained one: weights re-encoded (float16 halves the size),
 * the tokenizers and the held-out test pairs (test.tsv) copied in, so the new folder works on its own
 * wherever it is copied, the training metrics log copied (the model page draws its curves from it), and
 * evaluation results (`npm run -s evaluate -- ... --json` outputs) recorded in config.json `info`, so the
 * page and the model card show measured scores. Also turns a folder written before model folders were
 * self-contained (tokenizers outside it) into one that is.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { initBackend } from '../backend/select.js';
import { loadModelDir, readModelTestSet, saveModelDir } from '../translate/model-dir.js';
import type { WeightDtype } from '../model/weights-io.js';
import { scoreRecords } from '../evaluate/report.js';

const program = new Command()
  .name('export-model')
  .requiredOption('--from <dir>', 'trained model directory (e.g. <run>/model)')
  .requiredOption('--to <dir>', 'destination model directory')
  .option('--dtype <dtype>', 'float32 or float16', 'float16')
  .option('--metrics <file>', "the run's metrics.jsonl, copied for the model page's curves")
  .option('--scores <file...>', 'JSON outputs of `npm run -s evaluate -- --json`, recorded under info.scores')
  .option('--set <key=value...>', 'extra info fields (value parsed as JSON when it can be)');

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<{
    from: string;
    to: string;
    dtype: string;
    metrics?: string;
    scores?: string[];
    set?: string[];
  }>();
  if (o.dtype !== 'float32' && o.dtype !== 'float16')
    throw new Error(`--dtype must be float32 or float16, got ${o.dtype}`);
  await initBackend('cpu');
  const loaded = loadModelDir(o.from);
  const info: Record<string, unknown> = { ...loaded.config.info };
  const scores = (o.scores ?? []).flatMap((f) => scoreRecords(JSON.parse(fs.readFileSync(f, 'utf8')), f));
  if (scores.length > 0) info.scores = scores;
  for (const kv of o.set ?? []) {
    const eq = kv.indexOf('=');
    if (eq < 1) throw new Error(`--set expects key=value, got ${kv}`);
    const raw = kv.slice(eq + 1);
    try {
      info[kv.slice(0, eq)] = JSON.parse(raw);
    } catch {
      info[kv.slice(0, eq)] = raw;
    }
  }
  saveModelDir(o.to, loaded.model, {
    srcLang: loaded.config.srcLang,
    tgtLang: loaded.config.tgtLang,
    srcTokenizerFile: loaded.srcTokenizer.file,
    tgtTokenizerFile: loaded.tgtTokenizer.file,
    dtype: o.dtype as WeightDtype,
    info,
    testPairs: readModelTestSet(o.from, loaded.config),
  });
  if (o.metrics) fs.copyFileSync(o.metrics, path.join(o.to, 'metrics.jsonl'));
  const size = fs.statSync(path.join(o.to, 'weights.bin')).size;
  process.stderr.write(
    `exported ${o.to}: ${loaded.model.parameterCount().toLocaleString('en')} parameters, ${o.dtype}, ${(size / 2 ** 20).toFixed(1)} MiB\n`,
  );
  loaded.model.dispose();
}

main().catch((err: Error) => {
  process.stderr.write(`export-model: ${err.message}\n`);
  process.exit(1);
});

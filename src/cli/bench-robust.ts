/**
 * npm run -s bench:robust -- [--model models/eng-spa] [--beam 5] [--sentences 250] [--test FILE] [--no-recase] [--no-exonyms] [--misses N] [--json]
 *
 * How a model copes with what people actually type (see src/bench/robust-set.ts):
 * 1. Names and numbers: the share of the names and numbers of 250 template sentences that come through
 *    unchanged, for the sentences as written, without final punctuation, in lower case and in ALL CAPS.
 *    A place that the target language names its own way counts with either name ("Alemania" for
 *    "Germany"; PLACE_NAMES); --no-exonyms counts only the English one. Each share is also given per
 *    kind (names, numbers, times, phone numbers), and --misses N lists N misses of each variant.
 * 2. Casing: BLEU and chrF on a test set (--test, default the eng-spa-extra Tatoeba test file when
 *    ../shared is there, else the model folder's test.tsv) with the sources as written, lower-cased and
 *    upper-cased, against the same references.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { backendOption, intInRange, positiveInt } from './args.js';
import { corpusBleu, corpusChrf } from '../metrics/index.js';
import { readTsv } from '../data/readers.js';
import { WorkerPool } from '../server/pool.js';
import {
  KEEP_KINDS,
  type KeepKind,
  PLACE_NAMES,
  type Variant,
  VARIANTS,
  keepKind,
  keptCount,
  robustnessSet,
  variantText,
} from '../bench/robust-set.js';
import { readModelConfig } from '../translate/model-dir.js';

const DEFAULT_TEST = '../shared/corpora/eng-spa-extra/tatoeba2021.test.tsv';

interface Options {
  model: string;
  beam: number;
  sentences: number;
  test?: string;
  limit: number;
  workers: number;
  recase: boolean;
  exonyms: boolean;
  misses: number;
  backend?: string;
  json?: boolean;
}

const program = new Command()
  .name('bench:robust')
  .description('Names and numbers kept, and BLEU on lower/UPPER-case input, for a model.')
  .option('--model <dir>', 'model directory', 'models/eng-spa')
  .option('--beam <k>', 'beam size (1 = greedy)', positiveInt('--beam'), 5)
  .option('--sentences <n>', 'template sentences (≥ 200)', positiveInt('--sentences'), 250)
  .option('--test <file>', `test set for the casing BLEU (default ${DEFAULT_TEST}, else <model>/test.tsv)`)
  .option('--limit <n>', 'first N pairs of the test set', positiveInt('--limit'), 1000)
  .option('--no-recase', 'translate single-case input as written (to measure what re-casing gives)')
  .option(
    '--no-exonyms',
    'count a place name as kept only as written in English (not "Alemania" for "Germany")',
  )
  .option('--misses <n>', 'misses to list for each variant', intInRange('--misses', 0, 100_000), 5)
  .option('--workers <n>', 'translation worker threads', positiveInt('--workers'), 2)
  .addOption(backendOption('TensorFlow.js backend for the workers'))
  .option('--json', 'print one JSON object')
  .showHelpAfterError();

function testFile(o: Options): string | undefined {
  if (o.test) return o.test;
  if (fs.existsSync(DEFAULT_TEST)) return DEFAULT_TEST;
  const inModel = path.join(o.model, 'test.tsv');
  return fs.existsSync(inModel) ? inModel : undefined;
}

type Share = { kept: number; total: number; share: number };
type Outcome = { kind: KeepKind; kept: boolean };

/** How many of the names and numbers came through, of how many. */
function shareOf(outcomes: readonly Outcome[]): Share {
  const kept = outcomes.filter((x) => x.kept).length;
  return { kept, total: outcomes.length, share: kept / outcomes.length };
}

const percent = (s: Share) => `${(100 * s.share).toFixed(1).padStart(5)}%`;

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<Options>();
  const note = (m: string) => process.stderr.write(`bench:robust: ${m}\n`);
  const pool = await WorkerPool.start({
    modelDir: o.model,
    workers: o.workers,
    backend: o.backend,
    maxBatch: 32,
  });
  const translate = async (texts: string[]): Promise<string[]> => {
    const chunks: string[][] = [];
    for (let i = 0; i < texts.length; i += 32) chunks.push(texts.slice(i, i + 32));
    const out = await Promise.all(chunks.map((c) => pool.translate(c, { beam: o.beam, recase: o.recase })));
    return out.flat().map((t) => t.hypotheses[0]?.text ?? '');
  };
  try {
    const items = robustnessSet(o.sentences);
    const tgtLang = readModelConfig(o.model).tgtLang;
    const places = o.exonyms ? (PLACE_NAMES[tgtLang] ?? {}) : {};
    const keep: Record<string, Share & { byKind: Record<string, Share> }> = {};
    const failures: { variant: Variant; source: string; output: string; missing: string[] }[] = [];
    for (const variant of VARIANTS) {
      const sources = items.map((it) => variantText(it.text, variant));
      const outputs = await translate(sources);
      const outcomes: Outcome[] = [];
      let listed = 0;
      items.forEach((it, i) => {
        const missing = it.keep.filter((x) => keptCount(outputs[i], [x], variant, places) === 0);
        for (const x of it.keep) outcomes.push({ kind: keepKind(x), kept: !missing.includes(x) });
        if (missing.length > 0 && listed++ < o.misses)
          failures.push({ variant, source: sources[i], output: outputs[i], missing });
      });
      const byKind = Object.fromEntries(
        KEEP_KINDS.map((k) => [k, outcomes.filter((x) => x.kind === k)] as const)
          .filter(([, xs]) => xs.length > 0)
          .map(([k, xs]) => [k, shareOf(xs)]),
      );
      keep[variant] = { ...shareOf(outcomes), byKind };
      note(`${variant}: ${keep[variant].kept}/${keep[variant].total} names and numbers unchanged`);
    }

    const file = testFile(o);
    const casing: Record<string, { bleu: number; chrf: number }> = {};
    if (file) {
      const pairs = readTsv(file).slice(0, o.limit);
      const refs = pairs.map((p) => p.tgt);
      for (const [name, f] of [
        ['as written', (s: string) => s],
        ['lower case', (s: string) => s.toLowerCase()],
        ['UPPER CASE', (s: string) => s.toUpperCase()],
      ] as const) {
        const hyps = await translate(pairs.map((p) => f(p.src)));
        casing[name] = { bleu: corpusBleu(hyps, refs).score, chrf: corpusChrf(hyps, refs).score };
        note(`${name}: BLEU ${casing[name].bleu.toFixed(2)}`);
      }
    } else note(`no test set for the casing BLEU: give --test FILE (${DEFAULT_TEST} is not here)`);

    const report = {
      model: o.model,
      beam: o.beam,
      recase: o.recase,
      exonyms: o.exonyms,
      sentences: items.length,
      keep,
      casing,
      testSet: file,
      failures,
    };
    if (o.json) {
      process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      return;
    }
    const lines = [
      `Names and numbers kept unchanged (${items.length} template sentences, beam ${o.beam}, ${o.model}, ${o.recase ? 'single-case input re-cased' : 'no re-casing'}, ${o.exonyms && Object.keys(places).length > 0 ? `place names also as ${tgtLang} writes them` : 'place names as in English'}):`,
      ...VARIANTS.map(
        (v) =>
          `  ${v.padEnd(15)} ${percent(keep[v])}  (${keep[v].kept}/${keep[v].total})   ` +
          Object.entries(keep[v].byKind)
            .map(([k, s]) => `${k}s ${percent(s).trim()}`)
            .join(', '),
      ),
    ];
    if (file) {
      const base = casing['as written'].bleu;
      lines.push(`Casing, on the first ${Math.min(o.limit, readTsv(file).length)} pairs of ${file}:`);
      for (const [name, s] of Object.entries(casing))
        lines.push(
          `  ${name.padEnd(11)} BLEU ${s.bleu.toFixed(2).padStart(6)} (${(s.bleu - base >= 0 ? '+' : '') + (s.bleu - base).toFixed(2)})  chrF ${s.chrf.toFixed(2)}`,
        );
    }
    if (failures.length > 0)
      lines.push(
        `Misses (up to ${o.misses} of each variant):`,
        ...failures.map(
          (f) => `  [${f.variant}] ${f.source} → ${f.output}  (missing: ${f.missing.join(', ')})`,
        ),
      );
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    await pool.close();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench:robust: ${err.message}\n`);
  process.exit(1);
});

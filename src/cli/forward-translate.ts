/**
 * npm run forward-translate -- --model models/eng-spa --sources ../shared/corpora/tatoeba/eng-fra.tsv \
 *   --skip ../shared/corpora/tatoeba/eng-spa.tsv --skip <each validation and test file> --out runs/synth.tsv
 *
 * Translates source-language sentences that have no translation with a trained model and writes the pairs
 * it likely got right as a TSV training corpus (src/data/forward-translation.ts says which and why). Train
 * the next model on it beside the real pairs: `npm run train -- … --corpus runs/synth.tsv`.
 */
import path from 'node:path';
import fs from 'node:fs';
import { Command } from 'commander';
import { initBackend } from '../backend/select.js';
import { loadCorpus } from '../data/corpus.js';
import type { SentencePair } from '../data/types.js';
import { type DropReason, dropReason, readTextLines, selectSources } from '../data/forward-translation.js';
import { openBatchTranslator } from '../evaluate/model.js';
import { DEFAULT_COVERAGE_PENALTY, DEFAULT_LENGTH_PENALTY } from '../search/beam.js';
import { NameSwapper } from '../train/name-swap.js';
import { writeFileAtomic } from '../util/atomic.js';
import { createLogger } from '../util/log.js';
import {
  backendOption,
  collect,
  noBlockStutterOption,
  noSplitSentencesOption,
  positiveInt,
  translationWorkersOption,
} from './args.js';

const program = new Command()
  .name('forward-translate')
  .description('Translate untranslated source sentences with a model into a synthetic training corpus (TSV).')
  .requiredOption('--model <dir>', 'model directory (config.json + weights.bin)')
  .requiredOption(
    '--sources <spec>',
    'sentences to translate: the source side of a TSV or Moses pair, or a .txt file (one a line); repeatable',
    collect,
  )
  .option(
    '--skip <spec>',
    'pairs whose sources must not be translated: the training, validation and test files; repeatable',
    collect,
    [],
  )
  .requiredOption('--out <file>', 'the TSV to write (source<TAB>translation)')
  .option('--beam <k>', 'beam size (1 = greedy)', positiveInt('--beam'), 5)
  .option('--max-chars <n>', 'leave out sources longer than this', positiveInt('--max-chars'), 200)
  .option(
    '--limit <n>',
    'translate at most this many sources (a seeded random choice)',
    positiveInt('--limit'),
  )
  .option('--seed <n>', 'seed of the shuffle before --limit', positiveInt('--seed'), 1)
  .addOption(translationWorkersOption())
  .addOption(noBlockStutterOption())
  .addOption(noSplitSentencesOption())
  .addOption(backendOption())
  .showHelpAfterError();

/** A --sources spec's sentences: a .txt file line by line, else the source side of a pair corpus. */
function readSources(spec: string): string[] {
  return spec.endsWith('.txt') ? readTextLines(spec) : loadCorpus(spec).map((p) => p.src);
}

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<{
    model: string;
    sources: string[];
    skip: string[];
    out: string;
    beam: number;
    maxChars: number;
    limit?: number;
    seed: number;
    workers: number;
    blockStutter: boolean;
    splitSentences: boolean;
    backend?: string;
  }>();
  const log = createLogger('forward-translate');
  const skip: SentencePair[] = o.skip.flatMap((spec) => loadCorpus(spec));
  const selected = selectSources(o.sources.flatMap(readSources), skip, {
    maxChars: o.maxChars,
    limit: o.limit,
    seed: o.seed,
  });
  log.info(
    `${selected.read} sentences read: ${selected.duplicates} duplicates, ${selected.skipped} sources of --skip files, ` +
      `${selected.tooLong} longer than ${o.maxChars} characters left out; translating ${selected.sources.length}`,
  );
  if (selected.sources.length === 0) throw new Error('no sentence left to translate');
  // Names are learnt from every text at hand (capitalised words hardly ever written in lower case).
  const names = NameSwapper.fromPairs([...skip, ...selected.sources.map((src) => ({ src, tgt: '' }))]);
  await initBackend(o.backend, (m) => log.info(m));
  const translator = await openBatchTranslator(o.model, {
    beam: o.beam,
    lengthPenalty: DEFAULT_LENGTH_PENALTY,
    coveragePenalty: DEFAULT_COVERAGE_PENALTY,
    blockStutter: o.blockStutter,
    splitSentences: o.splitSentences,
    workers: o.workers,
    backend: o.backend,
  });
  let outputs: string[];
  const t0 = performance.now();
  try {
    let last = 0;
    outputs = await translator.translate(selected.sources, (n) => {
      if (n - last >= 5000 || n === selected.sources.length) {
        last = n;
        const perSec = n / ((performance.now() - t0) / 1000);
        log.info(`translated ${n}/${selected.sources.length} (${perSec.toFixed(1)} sentences/s)`);
      }
    });
  } finally {
    await translator.close();
  }
  const dropped = new Map<DropReason, number>();
  let text = '';
  selected.sources.forEach((src, i) => {
    const out = outputs[i].replace(/[\t\r\n]+/g, ' ');
    const why = dropReason(src, out, names);
    if (why) dropped.set(why, (dropped.get(why) ?? 0) + 1);
    else text += `${src}\t${out}\n`;
  });
  fs.mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
  writeFileAtomic(o.out, text);
  const kept = selected.sources.length - [...dropped.values()].reduce((a, b) => a + b, 0);
  log.info(
    `${o.out}: ${kept} pairs kept; dropped: ` +
      ([...dropped].map(([why, n]) => `${n} ${why}`).join(', ') || 'none'),
  );
}

main().catch((err: Error) => {
  process.stderr.write(`forward-translate: ${err.message}\n`);
  process.exit(1);
});

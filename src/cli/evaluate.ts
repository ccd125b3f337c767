/**
 * `npm run evaluate`: scores translations with sacrebleu-compatible BLEU and chrF, or word alignments with
 * AER. This file parses and checks the flags; the work is done in src/evaluate/ (files.ts, alignments.ts,
 * test-sets.ts, model.ts, report.ts).
 *
 * Files only (no model; no TensorFlow.js backend is initialised):
 *   npm run -s evaluate -- --hyp hyp.txt --ref ref.txt [--json] [--tokenize 13a|intl|none] [--lowercase]
 *   npm run -s evaluate -- --alignments hyp.align --gold gold.align [--one-based-gold] [--json]   (AER)
 *
 * A model on a test set:
 *   npm run -s evaluate -- --model DIR --test test.tsv            (any corpus spec: TSV, "a.en,a.es", synthetic:…)
 *   npm run -s evaluate -- --model DIR --src test.en --ref test.es
 *   npm run -s evaluate -- --model DIR --split test               (the model's own held-out split: test.tsv in
 *                                                                  the folder, else recomputed from config.json's
 *                                                                  info.corpus / info.split)
 *   options: --beam K (default 5; 1 = greedy), --length-penalty α, --limit N, --out hyp.txt, --json,
 *            --workers N (translation threads, default one per core),
 *            --multi-ref (translate each distinct source once, score it against all its references)
 *
 * Text mode prints sacrebleu's lines (signatures included) and the speed; --json prints exactly one JSON
 * object on stdout and nothing else. Logs go to stderr. Errors are one line on stderr, exit code 1.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, Option } from 'commander';

import { initBackend } from '../backend/select.js';
// Registers the synthetic: corpus source, so --test synthetic:dates:… and --split on such models work.
import '../data/synthetic.js';
import { alignmentReport } from '../evaluate/alignments.js';
import { scoreFilesReport } from '../evaluate/files.js';
import { evaluateModel } from '../evaluate/model.js';
import { modelReport } from '../evaluate/report.js';
import { readTestSet, type TestSetSource } from '../evaluate/test-sets.js';
import { BLEU_TOKENIZER_NAMES, type BleuTokenizerName } from '../metrics/index.js';
import { createLogger } from '../util/log.js';
import { intInRange, nonNegativeNumber, positiveInt, UsageError } from './args.js';

interface EvaluateOptions {
  hyp?: string;
  alignments?: string;
  gold?: string;
  oneBasedGold?: boolean;
  ref?: string;
  model?: string;
  /** Test sets (repeatable --test). */
  test?: string[];
  src?: string;
  split?: 'test' | 'valid';
  beam: number;
  lengthPenalty: number;
  coveragePenalty: number;
  limit?: number;
  multiRef?: boolean;
  workers: number;
  out?: string;
  json?: boolean;
  tokenize: BleuTokenizerName;
  lowercase?: boolean;
  chrfWordOrder: number;
  width: number;
  backend?: string;
}

function buildProgram(): Command {
  return new Command('evaluate')
    .description(
      'Score a hypothesis file against references (--hyp/--ref), or translate a test set with a model and score it (--model).',
    )
    .option('--hyp <file>', 'hypothesis file, one segment per line (files-only mode)')
    .option('--alignments <file>', 'word alignments to score (Pharaoh i-j, 0-based, one line per pair): AER')
    .option('--gold <file>', 'human alignments for --alignments (i-j sure, ipj possible)')
    .option('--one-based-gold', 'the --gold indices start at 1 (as in the Hansards release)')
    .option('--ref <file>', 'reference file, line-aligned with --hyp or --src')
    .option('--model <dir>', 'model directory (config.json + weights.bin) to translate the test set with')
    .option(
      '--test <spec>',
      'test set: a TSV pair file, "test.en,test.es" (Moses pair) or a synthetic: spec; repeat for several (one table)',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option('--src <file>', 'source sentences, one per line (with --ref)')
    .addOption(
      new Option(
        '--split <name>',
        "the model's held-out split: test.tsv in the model folder, else recomputed from the training corpus (config.json info.corpus, info.split)",
      ).choices(['test', 'valid']),
    )
    .option('--beam <k>', 'beam size (1 = greedy)', positiveInt('--beam'), 5)
    .option(
      '--length-penalty <alpha>',
      'GNMT length penalty α for beam search',
      nonNegativeNumber('--length-penalty'),
      0.6,
    )
    .option(
      '--coverage-penalty <beta>',
      'GNMT coverage penalty β for beam search: favours translations that attended to every source word (0 = off)',
      nonNegativeNumber('--coverage-penalty'),
      0,
    )
    .option('--limit <n>', 'score only the first N sentences of the test set', positiveInt('--limit'))
    .option(
      '--multi-ref',
      'group pairs with the same source: translate it once, score against all its references (nrefs:var)',
    )
    .option(
      '--workers <n>',
      'translation worker threads (default: one per core; 1 translates in this thread)',
      positiveInt('--workers'),
      Math.max(1, os.availableParallelism()),
    )
    .option('--out <file>', 'write the hypotheses here, one per line')
    .option('--json', 'print one JSON object instead of text lines')
    .addOption(new Option('--tokenize <name>', 'BLEU tokenizer').choices(BLEU_TOKENIZER_NAMES).default('13a'))
    .option('--lowercase', "lowercased BLEU (sacrebleu's -lc)")
    .option(
      '--chrf-word-order <n>',
      'chrF word n-gram order; 2 gives chrF++',
      intInRange('--chrf-word-order', 0, 10),
      0,
    )
    .option('--width <n>', "decimals of the printed scores (sacrebleu's -w)", intInRange('--width', 0, 20), 2)
    .option(
      '--backend <name>',
      'tensorflow-gpu | tensorflow | wasm | cpu (default: fastest that loads; env NMT_BACKEND)',
    )
    .showHelpAfterError();
}

/** Files only: the same numbers as `sacrebleu REF -i HYP -m bleu chrf`. */
async function evaluateFilesCommand(o: EvaluateOptions): Promise<string> {
  const conflicting = (['model', 'test', 'src', 'split', 'out', 'limit', 'multiRef'] as const).filter(
    (k) => o[k] !== undefined,
  );
  if (conflicting.length > 0) {
    throw new UsageError(`--hyp scores existing files and cannot be combined with --${conflicting[0]}`);
  }
  if (!o.ref) throw new UsageError('--hyp needs --ref (the reference file)');
  return scoreFilesReport(
    o.hyp as string,
    o.ref,
    { tokenize: o.tokenize, lowercase: o.lowercase ?? false, chrfWordOrder: o.chrfWordOrder, width: o.width },
    Boolean(o.json),
  );
}

/** The flags of one test set: testSetSource checks that they name exactly one. */
type SingleSetOptions = Pick<EvaluateOptions, 'src' | 'ref' | 'split'> & { test?: string };

/** The test sets the flags name, in table order, each as the flags of a single set. */
function testSetOptions(o: EvaluateOptions): SingleSetOptions[] {
  // Several --test files and --split combine into one table; --src/--ref is a set of its own kind.
  if (o.src !== undefined && (o.test !== undefined || o.split !== undefined))
    throw new UsageError(`choose one test set: --${o.test ? 'test' : 'split'} or --src, not both`);
  const sets: SingleSetOptions[] = [
    ...(o.test ?? []).map((test) => ({ test })),
    ...(o.split ? [{ split: o.split }] : []),
    ...(o.src || o.ref ? [{ src: o.src, ref: o.ref }] : []),
  ];
  return sets.length > 0 ? sets : [{}];
}

/** Where one set comes from, or the usage error of its flags. */
function testSetSource(o: SingleSetOptions): TestSetSource {
  const given = (['test', 'src', 'split'] as const).filter((k) => o[k] !== undefined);
  if (given.length === 0)
    throw new UsageError('--model needs a test set: --test FILE.tsv, --src F --ref F, or --split test');
  if (given.length > 1) throw new UsageError(`choose one test set: --${given[0]} or --${given[1]}, not both`);
  if (o.ref !== undefined && !o.src)
    throw new UsageError('--ref goes with --src (or with --hyp); --test and --split carry their references');
  if (o.test) return { kind: 'corpus', spec: o.test };
  if (o.src) {
    if (!o.ref) throw new UsageError('--src needs --ref (the reference translations, line-aligned)');
    return { kind: 'files', src: o.src, ref: o.ref };
  }
  return { kind: 'split', split: o.split as 'test' | 'valid' };
}

/** Translate one or more test sets with a model and score the translations (one table for several). */
async function evaluateModelCommand(o: EvaluateOptions): Promise<string> {
  const dir = o.model as string;
  if (!fs.existsSync(dir)) throw new Error(`model directory not found: ${dir}`);
  if (!fs.existsSync(path.join(dir, 'config.json'))) {
    throw new Error(`not a model directory: ${path.join(dir, 'config.json')} not found`);
  }
  // Each set's flags are checked just before it is read, so the first set at fault is the one reported.
  const sets = await Promise.all(testSetOptions(o).map(async (one) => readTestSet(testSetSource(one), dir)));
  const log = createLogger('evaluate', process.env.NMT_LOG_LEVEL ?? (o.json ? 'warn' : 'info'));
  await initBackend(o.backend, (m) => log.info(m));
  const search = { beam: o.beam, lengthPenalty: o.lengthPenalty, coveragePenalty: o.coveragePenalty };
  const results = await evaluateModel(dir, sets, {
    ...search,
    limit: o.limit,
    multiRef: Boolean(o.multiRef),
    workers: o.workers,
    backend: o.backend,
    out: o.out,
    tokenize: o.tokenize,
    lowercase: o.lowercase ?? false,
    chrfWordOrder: o.chrfWordOrder,
    progress: (m) => log.info(m),
  });
  return modelReport(dir, results, {
    ...search,
    multiRef: Boolean(o.multiRef),
    json: Boolean(o.json),
    width: o.width,
  });
}

async function main(): Promise<void> {
  const program = buildProgram();
  program.parse();
  const o = program.opts<EvaluateOptions>();
  if (o.hyp !== undefined && o.model !== undefined) {
    throw new UsageError('choose one mode: --hyp/--ref scores files, --model translates a test set');
  }
  let output: string;
  if (o.alignments !== undefined) {
    if (!o.gold) throw new UsageError('--alignments needs --gold (the human alignments, line-aligned)');
    if (o.hyp !== undefined || o.model !== undefined)
      throw new UsageError(
        '--alignments scores alignment files and cannot be combined with --hyp or --model',
      );
    output = await alignmentReport(o.alignments, o.gold, {
      oneBasedGold: o.oneBasedGold,
      json: o.json,
      width: o.width,
    });
  } else if (o.gold !== undefined) throw new UsageError('--gold goes with --alignments FILE');
  else if (o.hyp !== undefined) output = await evaluateFilesCommand(o);
  else if (o.model !== undefined) output = await evaluateModelCommand(o);
  else
    throw new UsageError(
      'nothing to do: give --hyp H --ref R, or --model DIR with --test, --src/--ref or --split',
    );
  process.stdout.write(`${output}\n`);
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`evaluate: ${message.split('\n')[0]}\n`);
  process.exit(1);
});

/**
 * Scores translations with sacrebleu-compatible BLEU and chrF, in one of two modes.
 *
 * Files only (no model, no TensorFlow.js):
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
import { z } from 'zod';

import { loadCorpus } from '../data/corpus.js';
// Registers the synthetic: corpus source, so --test synthetic:dates:… and --split on such models work.
import '../data/synthetic.js';
import {
  BLEU_TOKENIZER_NAMES,
  corpusBleu,
  corpusChrf,
  groupReferencesBySource,
  type BleuTokenizerName,
} from '../metrics/index.js';
import { backendOption, intInRange, nonNegativeNumber, positiveInt, UsageError } from './args.js';
import { alignmentReport } from './evaluate-alignments.js';
import { readSegments, scoreFilesReport } from './evaluate-files.js';

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
    .addOption(backendOption())
    .showHelpAfterError();
}

/** Files only: the same numbers as `sacrebleu REF -i HYP -m bleu chrf`. */
async function evaluateFiles(o: EvaluateOptions): Promise<string> {
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

/** What `--split` needs from config.json's `info` (written by the trainer); missing split fields take the training defaults. */
const SplitInfoSchema = z.object({
  // A list since training takes several corpora; the first is the one split.
  corpus: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  reverse: z.boolean().default(false),
  split: z.object({
    seed: z.number().int().default(1),
    // Absent: the size training chose from the corpus (defaultHeldOutSize), which the split recomputes.
    validSize: z.number().int().min(0).optional(),
    testSize: z.number().int().min(0).optional(),
    maxChars: z.number().int().min(1).default(200),
    maxRatio: z.number().min(1).default(4),
  }),
});

interface TestSet {
  description: string;
  sources: string[];
  references: string[];
}

/** The options for one test set: readTestSet reads exactly one. */
type SingleSetOptions = Omit<EvaluateOptions, 'test'> & { test?: string };

async function readTestSet(o: SingleSetOptions, modelDir: string): Promise<TestSet> {
  const given = (['test', 'src', 'split'] as const).filter((k) => o[k] !== undefined);
  if (given.length === 0)
    throw new UsageError('--model needs a test set: --test FILE.tsv, --src F --ref F, or --split test');
  if (given.length > 1) throw new UsageError(`choose one test set: --${given[0]} or --${given[1]}, not both`);
  if (o.ref !== undefined && !o.src)
    throw new UsageError('--ref goes with --src (or with --hyp); --test and --split carry their references');
  if (o.test) {
    const pairs = loadCorpus(o.test);
    return { description: o.test, sources: pairs.map((p) => p.src), references: pairs.map((p) => p.tgt) };
  }
  if (o.src) {
    if (!o.ref) throw new UsageError('--src needs --ref (the reference translations, line-aligned)');
    for (const f of [o.src, o.ref]) if (!fs.existsSync(f)) throw new Error(`file not found: ${f}`);
    const [sources, references] = await Promise.all([readSegments(o.src), readSegments(o.ref)]);
    if (sources.length !== references.length) {
      throw new Error(
        `line count mismatch: source file ${o.src} has ${sources.length} lines, ` +
          `reference file ${o.ref} has ${references.length} lines`,
      );
    }
    return { description: `${o.src},${o.ref}`, sources, references };
  }
  const { readModelConfig, readModelTestSet } = await import('../translate/model-dir.js');
  const { corpusSplits } = await import('../train/prepare.js');
  const cfgFile = path.join(modelDir, 'config.json');
  const modelConfig = readModelConfig(modelDir);
  // The test split travels with the model (test.tsv), so it needs no corpus; older folders re-derive it.
  const kept = o.split === 'test' ? readModelTestSet(modelDir, modelConfig) : undefined;
  if (kept) {
    const trained = modelConfig.info.corpus;
    const first = Array.isArray(trained) ? trained[0] : trained;
    const corpus = typeof first === 'string' ? ` of ${first}` : '';
    return {
      description: `test split${corpus} (${path.join(modelDir, modelConfig.testSet ?? '')})`,
      sources: kept.map((p) => p.src),
      references: kept.map((p) => p.tgt),
    };
  }
  const parsed = SplitInfoSchema.safeParse(modelConfig.info);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `${cfgFile}: --split needs info.corpus and info.split as written by training; ` +
        `invalid field "info.${issue.path.join('.')}": ${issue.message}`,
    );
  }
  const info = parsed.data;
  let splits: ReturnType<typeof corpusSplits>;
  try {
    splits = corpusSplits({ corpus: info.corpus, reverse: info.reverse, ...info.split });
  } catch (err) {
    throw new Error(
      `${(err as Error).message} (--split ${o.split} recomputes the split from the training corpus, ` +
        `info.corpus in ${cfgFile}` +
        (o.split === 'test' ? ', because the model folder keeps no test.tsv' : '') +
        '; with the corpus elsewhere, use --test FILE)',
      { cause: err },
    );
  }
  const pairs = o.split === 'valid' ? splits.valid : splits.test;
  if (pairs.length === 0) {
    throw new Error(
      `${cfgFile}: the ${o.split} split of ${info.corpus} is empty (${o.split}Size 0 at training time)`,
    );
  }
  return {
    description: `${o.split} split of ${info.corpus} (seed ${info.split.seed})`,
    sources: pairs.map((p) => p.src),
    references: pairs.map((p) => p.tgt),
  };
}

/** One test set translated and scored. */
interface SetResult {
  name: string;
  description: string;
  bleu: ReturnType<typeof corpusBleu>;
  chrf: ReturnType<typeof corpusChrf>;
  sentences: number;
  pairs: number;
  referenceStreams: number;
  seconds: number;
  out?: string;
}

/** The test sets the options name, each as a single-set option object for readTestSet. */
function testSetOptions(o: EvaluateOptions): SingleSetOptions[] {
  // Several --test files and --split combine into one table; --src/--ref is a set of its own kind.
  if (o.src !== undefined && (o.test !== undefined || o.split !== undefined))
    throw new UsageError(`choose one test set: --${o.test ? 'test' : 'split'} or --src, not both`);
  const sets: SingleSetOptions[] = [
    ...(o.test ?? []).map((test) => ({ ...o, test, split: undefined, src: undefined, ref: undefined })),
    ...(o.split ? [{ ...o, test: undefined, src: undefined, ref: undefined }] : []),
    ...(o.src || o.ref ? [{ ...o, test: undefined, split: undefined }] : []),
  ];
  return sets.length > 0 ? sets : [{ ...o, test: undefined }];
}

/** A short name for a set in the table: the file name without extension, or the split's name. */
function setLabel(one: SingleSetOptions): string {
  if (one.test) return path.basename(one.test.split(',')[0]).replace(/\.(tsv|txt)$/i, '');
  if (one.split) return `${one.split} split`;
  return path.basename(one.src ?? 'test');
}

/** Translate one or more test sets with a model and score the translations (one table for several). */
async function evaluateModel(o: EvaluateOptions): Promise<string> {
  const dir = o.model as string;
  if (o.hyp !== undefined)
    throw new UsageError('--hyp scores existing files and cannot be combined with --model');
  if (!fs.existsSync(dir)) throw new Error(`model directory not found: ${dir}`);
  if (!fs.existsSync(path.join(dir, 'config.json'))) {
    throw new Error(`not a model directory: ${path.join(dir, 'config.json')} not found`);
  }
  const wanted = testSetOptions(o);
  const sets = await Promise.all(wanted.map((one) => readTestSet(one, dir)));
  const { createLogger } = await import('../util/log.js');
  const { initBackend } = await import('../backend/select.js');
  const log = createLogger('evaluate', process.env.NMT_LOG_LEVEL ?? (o.json ? 'warn' : 'info'));
  await initBackend(o.backend, (m) => log.info(m));
  const translator = await openTranslator(o, dir);
  const results: SetResult[] = [];
  try {
    for (let k = 0; k < sets.length; k++) {
      const set = sets[k];
      if (o.limit !== undefined) {
        set.sources = set.sources.slice(0, o.limit);
        set.references = set.references.slice(0, o.limit);
      }
      if (set.sources.length === 0) throw new Error(`the test set ${set.description} is empty`);
      const pairs = set.sources.length;
      // Reference streams in sacrebleu's layout; one stream unless --multi-ref groups several per source.
      let referenceStreams: string[][] = [set.references];
      if (o.multiRef) {
        const grouped = groupReferencesBySource(set.sources, set.references);
        set.sources = grouped.sources;
        referenceStreams = grouped.streams;
      }
      const t0 = performance.now();
      const hyps = await translator.translate(set.sources, (n) => {
        if (set.sources.length > 64)
          log.info(`${setLabel(wanted[k])}: translated ${n}/${set.sources.length}`);
      });
      const seconds = (performance.now() - t0) / 1000;
      const out = o.out && sets.length > 1 ? `${o.out}.${setLabel(wanted[k]).replace(/\s+/g, '-')}` : o.out;
      if (out) {
        const { writeFileAtomic } = await import('../util/atomic.js');
        fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
        writeFileAtomic(out, hyps.map((h) => h.replace(/[\r\n]+/g, ' ') + '\n').join(''));
      }
      results.push({
        name: setLabel(wanted[k]),
        description: set.description,
        bleu: corpusBleu(hyps, referenceStreams, { tokenize: o.tokenize, lowercase: o.lowercase ?? false }),
        chrf: corpusChrf(hyps, referenceStreams, { wordOrder: o.chrfWordOrder }),
        sentences: hyps.length,
        pairs,
        referenceStreams: referenceStreams.length,
        seconds,
        out,
      });
    }
  } finally {
    await translator.close();
  }
  return results.length === 1 ? formatOne(o, dir, results[0]) : formatTable(o, dir, results);
}

/** Translation through worker threads (one per core: the wasm backend is single-threaded) or in this thread. */
async function openTranslator(
  o: EvaluateOptions,
  dir: string,
): Promise<{
  translate: (sources: string[], progress: (n: number) => void) => Promise<string[]>;
  close: () => Promise<void>;
}> {
  const chunk = 64;
  const opts = { beam: o.beam, lengthPenalty: o.lengthPenalty, coveragePenalty: o.coveragePenalty };
  const chunksOf = (xs: string[]) => {
    const cs: string[][] = [];
    for (let i = 0; i < xs.length; i += chunk) cs.push(xs.slice(i, i + chunk));
    return cs;
  };
  if (o.workers > 1) {
    const { WorkerPool } = await import('../server/pool.js');
    const pool = await WorkerPool.start({
      modelDir: dir,
      workers: o.workers,
      backend: o.backend,
      maxBatch: chunk,
    });
    return {
      translate: async (sources, progress) => {
        let done = 0;
        const results = await Promise.all(
          chunksOf(sources).map((c) =>
            pool.translate(c, opts).then((r) => {
              progress((done += c.length));
              return r;
            }),
          ),
        );
        return results.flat().map((r) => r.hypotheses[0]?.text ?? '');
      },
      close: () => pool.close(),
    };
  }
  const { Translator } = await import('../translate/translator.js');
  const translator = Translator.load(dir);
  return {
    translate: async (sources, progress) => {
      const hyps: string[] = [];
      for (const c of chunksOf(sources)) {
        for (const r of translator.translate(c, opts)) hyps.push(r.hypotheses[0]?.text ?? '');
        progress(hyps.length);
      }
      return hyps;
    },
    close: async () => translator.dispose(),
  };
}

function searchLabel(o: EvaluateOptions): string {
  return o.beam === 1
    ? 'greedy'
    : `beam ${o.beam}, length penalty ${o.lengthPenalty}` +
        (o.coveragePenalty > 0 ? `, coverage penalty ${o.coveragePenalty}` : '');
}

function resultJson(o: EvaluateOptions, r: SetResult): Record<string, unknown> {
  return {
    bleu: r.bleu.score,
    chrf: r.chrf.score,
    signature: { bleu: r.bleu.signature, chrf: r.chrf.signature },
    beam: o.beam,
    lengthPenalty: o.lengthPenalty,
    coveragePenalty: o.coveragePenalty,
    sentences: r.sentences,
    pairs: r.pairs,
    referencesPerSentence: r.referenceStreams === 1 ? 1 : 'var',
    seconds: r.seconds,
    sentencesPerSecond: r.sentences / Math.max(r.seconds, 1e-9),
    testSet: r.description,
    ...(r.out ? { out: r.out } : {}),
  };
}

function formatOne(o: EvaluateOptions, dir: string, r: SetResult): string {
  if (o.json) return JSON.stringify({ ...resultJson(o, r), model: dir }, null, 2);
  const speed = r.sentences / Math.max(r.seconds, 1e-9);
  return [
    r.bleu.format({ width: o.width, withSignature: true }),
    r.chrf.format({ width: o.width, withSignature: true }),
    `${r.sentences} sentences of ${r.description}` +
      (o.multiRef ? ` (${r.pairs} pairs grouped by source, up to ${r.referenceStreams} references)` : '') +
      ` in ${r.seconds.toFixed(2)} s ` +
      `(${speed.toFixed(1)} sentences/s, ${searchLabel(o)})` +
      (r.out ? `; hypotheses in ${r.out}` : ''),
  ].join('\n');
}

/** Several test sets: one row each, then the signatures (the same for every row). */
function formatTable(o: EvaluateOptions, dir: string, results: SetResult[]): string {
  if (o.json)
    return JSON.stringify(
      { model: dir, sets: Object.fromEntries(results.map((r) => [r.name, resultJson(o, r)])) },
      null,
      2,
    );
  const w = Math.max(8, ...results.map((r) => r.name.length));
  const rows = results.map(
    (r) =>
      `${r.name.padEnd(w)}  ${r.bleu.score.toFixed(o.width).padStart(6)}  ${r.chrf.score.toFixed(o.width).padStart(6)}  ${String(r.sentences).padStart(9)}  ${r.seconds.toFixed(1).padStart(7)}`,
  );
  return [
    `${'test set'.padEnd(w)}  ${'BLEU'.padStart(6)}  ${'chrF'.padStart(6)}  ${'sentences'.padStart(9)}  ${'seconds'.padStart(7)}`,
    ...rows,
    `${dir}, ${searchLabel(o)}`,
    `BLEU: ${results[0].bleu.signature}`,
    `chrF: ${results[0].chrf.signature}`,
    ...results.map((r) => `${r.name}: ${r.description}${r.out ? `; hypotheses in ${r.out}` : ''}`),
  ].join('\n');
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
  else if (o.hyp !== undefined) output = await evaluateFiles(o);
  else if (o.model !== undefined) output = await evaluateModel(o);
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

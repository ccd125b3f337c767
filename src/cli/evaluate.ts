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
 *   options: --beam K (default 5; 1 = greedy), --length-penalty α, --coverage-penalty β, --limit N, --out hyp.txt, --json,
 *            --workers N (translation threads, default one per core),
 *            --multi-ref (translate each distinct source once, score it against all its references)
 *
 * Text mode prints sacrebleu's lines (signatures included) and the speed; --json prints exactly one JSON
 * object on stdout and nothing else. Logs go to stderr. Errors are one line on stderr, exit code 1.
 */
import { Command, Option } from 'commander';

import { alignmentReport } from '../evaluate/alignments.js';
import { scoreFilesReport } from '../evaluate/files.js';
import { BLEU_TOKENIZER_NAMES } from '../metrics/index.js';
import {
  backendOption,
  coveragePenaltyOption,
  lengthPenaltyOption,
  noBlockStutterOption,
  noSplitSentencesOption,
  translationWorkersOption,
  intInRange,
  positiveInt,
  UsageError,
} from './args.js';
import type { EvaluateOptions } from './evaluate-model.js';

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
    .addOption(lengthPenaltyOption())
    .addOption(coveragePenaltyOption())
    .addOption(noBlockStutterOption())
    .addOption(noSplitSentencesOption())
    .option('--limit <n>', 'score only the first N sentences of the test set', positiveInt('--limit'))
    .option(
      '--multi-ref',
      'group pairs with the same source: translate it once, score against all its references (nrefs:var)',
    )
    .addOption(translationWorkersOption())
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
  else if (o.model !== undefined) {
    // Loaded only in this mode: TensorFlow.js, its backends and transformers.js take seconds to import
    // (measured 8 s → 13–17 s for `--hyp` under load when imported up front), and the files-only modes
    // above never use them.
    const { evaluateModelCommand } = await import('./evaluate-model.js');
    output = await evaluateModelCommand(o);
  } else
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

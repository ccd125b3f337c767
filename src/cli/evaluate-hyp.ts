/**
 * Scores a hypothesis file against a reference file with sacrebleu-compatible BLEU and chrF.
 *
 *   npx tsx src/cli/evaluate-hyp.ts --hyp H --ref R [--json] [--tokenize 13a|intl|none] [--lowercase]
 *                                   [--chrf-word-order N] [--width 4]
 *
 * Text mode prints sacrebleu's text lines (signature included); --json prints exactly one JSON object on
 * stdout and nothing else, so it can be piped into other tools. Errors go to stderr with exit code 1.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { Command, CommanderError, Option } from 'commander';
import { z } from 'zod';

import { BLEU_TOKENIZER_NAMES } from '../metrics/index.js';
import { scoreFilesReport } from './evaluate-files.js';

/** Commander hands over strings; this turns them into checked, typed options with readable errors. */
const EvaluateHypOptions = z.object({
  hyp: z.string().min(1),
  ref: z.string().min(1),
  json: z.boolean(),
  tokenize: z.enum(BLEU_TOKENIZER_NAMES),
  lowercase: z.boolean(),
  chrfWordOrder: z.coerce.number().int().min(0).max(10),
  width: z.coerce.number().int().min(0).max(20),
});
export type EvaluateHypOptions = z.infer<typeof EvaluateHypOptions>;

function buildProgram(): Command {
  return new Command('evaluate-hyp')
    .description('Score a hypothesis file against a reference file with sacrebleu-compatible BLEU and chrF.')
    .requiredOption('--hyp <path>', 'hypothesis file, UTF-8, one segment per line')
    .requiredOption('--ref <path>', 'reference file, line-aligned with --hyp')
    .option('--json', 'print one JSON object instead of text lines', false)
    .addOption(new Option('--tokenize <name>', 'BLEU tokenizer').choices(BLEU_TOKENIZER_NAMES).default('13a'))
    .option('--lowercase', "lowercased BLEU (sacrebleu's -lc)", false)
    .option('--chrf-word-order <n>', 'chrF word n-gram order; 2 gives chrF++', '0')
    .option('--width <n>', "decimals of the printed scores (sacrebleu's -w)", '2');
}

/** Runs the command on `args` (the arguments after the script name) and returns the text to print. */
export async function evaluateHyp(args: readonly string[]): Promise<string> {
  const program = buildProgram().exitOverride();
  program.parse([...args], { from: 'user' });
  const parsed = EvaluateHypOptions.safeParse(program.opts());
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid options: ${problems.join('; ')}`);
  }
  const options = parsed.data;
  return scoreFilesReport(
    options.hyp,
    options.ref,
    {
      tokenize: options.tokenize,
      lowercase: options.lowercase,
      chrfWordOrder: options.chrfWordOrder,
      width: options.width,
    },
    Boolean(options.json),
  );
}

function isMainModule(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMainModule()) {
  evaluateHyp(process.argv.slice(2)).then(
    (output) => process.stdout.write(`${output}\n`),
    (error: unknown) => {
      // Commander has already printed its own usage errors (and --help output); don't repeat them.
      if (error instanceof CommanderError) {
        process.exitCode = error.exitCode;
        return;
      }
      process.stderr.write(`evaluate-hyp: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}

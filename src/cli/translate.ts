/**
 * npm run -s translate -- --model models/eng-spa [--beam 5] [--attention] [--alignments]
 * Reads one sentence per line on stdin, writes one translation per line on stdout. Logs go to stderr,
 * so stdout holds translations only (plus the matrices / alignments when asked).
 */
import readline from 'node:readline';
import { Command } from 'commander';
import { initBackend } from '../backend/select.js';
import { Translator } from '../translate/translator.js';
import { createLogger } from '../util/log.js';
import { formatAttention } from '../translate/format.js';
import {
  backendOption,
  coveragePenaltyOption,
  lengthPenaltyOption,
  noBlockStutterOption,
  noSplitSentencesOption,
  positiveInt,
} from './args.js';

const program = new Command()
  .name('translate')
  .description('Translate sentences from stdin (one per line) with a trained model.')
  .requiredOption('--model <dir>', 'model directory (config.json + weights.bin)')
  .option('--beam <k>', 'beam size (1 = greedy)', positiveInt('--beam'), 1)
  .addOption(lengthPenaltyOption())
  .addOption(coveragePenaltyOption())
  .option('--attention', 'after each translation, print the attention matrix as text')
  .option('--alignments', 'print word alignments (Pharaoh i-j) after a tab on each line')
  .option('--batch <n>', 'sentences translated together', positiveInt('--batch'), 64)
  .option('--no-recase', 'translate ALL-CAPS or all-lower-case input as written (default: re-cased first)')
  .addOption(noBlockStutterOption())
  .addOption(noSplitSentencesOption())
  .addOption(backendOption())
  .showHelpAfterError();

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<{
    model: string;
    beam: number;
    lengthPenalty: number;
    coveragePenalty: number;
    attention?: boolean;
    alignments?: boolean;
    batch: number;
    recase: boolean;
    blockStutter: boolean;
    splitSentences: boolean;
    backend?: string;
  }>();
  const log = createLogger('translate', process.env.NMT_LOG_LEVEL ?? 'warn');
  await initBackend(o.backend, (m) => log.info(m));
  const translator = Translator.load(o.model);
  const withAttention = Boolean(o.attention || o.alignments);
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  let pending: string[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const results = translator.translate(pending, {
      beam: o.beam,
      lengthPenalty: o.lengthPenalty,
      coveragePenalty: o.coveragePenalty,
      withAttention,
      recase: o.recase,
      blockStutter: o.blockStutter,
      splitSentences: o.splitSentences,
    });
    let out = '';
    for (const r of results) {
      const best = r.hypotheses[0];
      out += best.text;
      if (o.alignments) {
        const { pharaohAlignment } = await import('../translate/alignment.js');
        out += '\t' + pharaohAlignment(r, best);
      }
      out += '\n';
      if (o.attention) out += formatAttention(r, best) + '\n';
    }
    process.stdout.write(out);
    pending = [];
  };
  for await (const line of rl) {
    pending.push(line);
    if (pending.length >= o.batch) await flush();
  }
  await flush();
  translator.dispose();
}

main().catch((err: Error) => {
  process.stderr.write(`translate: ${err.message}\n`);
  process.exit(1);
});

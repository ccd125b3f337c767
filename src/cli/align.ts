/**
 * npm run -s align -- --model DIR [--pretokenized] [--details | --json] [--input FILE]
 *
 * Forced alignment of translations you already have (src/translate/force-align.ts): reads
 * `source<TAB>target` lines (or `source ||| target`, the format of word-alignment test sets) from stdin
 * or --input and writes, per pair, one line of Pharaoh word links `i-j` (source word i, target word j,
 * 0-based), ready for `npm run -s evaluate -- --alignments OUT --gold GOLD`.
 *
 *   --details   after each link line: the word matrix and each target subword's log-probability, then a
 *               blank line (for reading, not for scoring)
 *   --json      one JSON object per pair instead (links, matrices, log-probabilities)
 *   --no-recase  align a side written in one case (lower-cased research data) as given, not re-cased
 *   --pretokenized  the words are the space-separated tokens of the input (research data), not the
 *               tokenizer's words
 *   --links lexicon|attention  where the links come from: the model folder's statistical word aligner
 *               (lexicon.json, the default when the folder has one) or the attention
 *   --step, --source-pieces, --target-pieces  how subword attention becomes word links (LinkMethod)
 *   --reverse-model DIR --symmetrize METHOD  also align each pair with a target→source model and combine
 *               both directions (src/translate/symmetrize.ts: intersection, union, grow-diag, grow-diag-final,
 *               grow-diag-final-and); --details and --json then show the forward model's matrices
 *
 * Logs go to stderr. A line that is not a pair stops the run with its line number (exit 1).
 */
import fs from 'node:fs';
import readline from 'node:readline';
import { Command, Option } from 'commander';
import { initBackend } from '../backend/select.js';
import type { AlignPair, ForcedAlignment, LinkMethod } from '../translate/force-align.js';
import { DEFAULT_LINK_METHOD } from '../translate/force-align.js';
import { pharaoh } from '../translate/alignment.js';
import { flipLinks, symmetrize, SYMMETRIZATIONS, type Symmetrization } from '../lexalign/symmetrize.js';
import { Translator } from '../translate/translator.js';
import { createLogger } from '../util/log.js';
import { backendOption, positiveInt, UsageError } from './args.js';
import { parsePairLine } from './pair-lines.js';

interface AlignCliOptions {
  model: string;
  input?: string;
  pretokenized?: boolean;
  recase: boolean;
  details?: boolean;
  json?: boolean;
  links?: 'attention' | 'lexicon';
  step: LinkMethod['step'];
  sourcePieces: LinkMethod['sourcePieces'];
  targetPieces: LinkMethod['targetPieces'];
  batch: number;
  reverseModel?: string;
  symmetrize: Symmetrization;
  backend?: string;
}

const program = new Command()
  .name('align')
  .description(
    'Force-align given translations: read "source<TAB>target" lines, write Pharaoh word links (i-j) per line.',
  )
  .requiredOption('--model <dir>', 'model directory (config.json + weights.bin)')
  .option('--input <file>', 'read pairs from this file instead of stdin')
  .option(
    '--pretokenized',
    'words are the space-separated tokens of the input (e.g. lower-cased research data)',
  )
  .option(
    '--no-recase',
    'align a side written in one case as given (default: re-cased with the model vocabulary first)',
  )
  .option('--details', "also print the word matrix and each target token's log-probability")
  .option('--json', 'one JSON object per line instead of Pharaoh links')
  .addOption(
    new Option(
      '--links <from>',
      "links from the model folder's statistical word aligner (lexicon.json) or from attention " +
        '(default: lexicon when the folder has one)',
    ).choices(['lexicon', 'attention']),
  )
  .addOption(
    new Option('--step <which>', "attention row of a target subword: its own step or the next one's")
      .choices(['own', 'next'])
      .default(DEFAULT_LINK_METHOD.step),
  )
  .addOption(
    new Option('--source-pieces <how>', "combine a source word's subwords")
      .choices(['sum', 'max'])
      .default(DEFAULT_LINK_METHOD.sourcePieces),
  )
  .addOption(
    new Option('--target-pieces <how>', "combine a target word's subwords")
      .choices(['mean', 'max'])
      .default(DEFAULT_LINK_METHOD.targetPieces),
  )
  .option(
    '--reverse-model <dir>',
    'a model of the other direction (target→source, trained with --reverse): align both ways and combine',
  )
  .addOption(
    new Option('--symmetrize <method>', 'how the two directions combine (with --reverse-model)')
      .choices([...SYMMETRIZATIONS])
      .default('grow-diag-final-and'),
  )
  .option('--batch <n>', 'pairs aligned together', positiveInt('--batch'), 64)
  .addOption(backendOption())
  .showHelpAfterError();

const pct = (x: number) => String(Math.round(100 * x));

/** The --details block: the word matrix (weights ×100) and the log-probability of every target subword. */
export function formatDetails(a: ForcedAlignment): string {
  const labelWidth = Math.max(4, ...a.targetWords.map((w) => [...w].length));
  const colWidth = Math.max(4, ...a.sourceWords.map((w) => [...w].length)) + 1;
  const header = ' '.repeat(labelWidth) + a.sourceWords.map((w) => w.padStart(colWidth)).join('');
  const rows = a.wordMatrix.map(
    (row, i) => a.targetWords[i].padEnd(labelWidth) + row.map((x) => pct(x).padStart(colWidth)).join(''),
  );
  const tokens = a.targetTokens.map((t, k) => `${t} ${a.tokenLogProbs[k].toFixed(3)}`).join('  ');
  return [
    `# word attention ×100 (rows: target words, columns: source words)`,
    header,
    ...rows,
    `# log p per target subword (total ${a.logProb.toFixed(3)}): ${tokens}`,
  ].join('\n');
}

/**
 * The forward alignment with its links replaced by the symmetrisation of both directions. The two
 * models must split the texts into the same words (always true with --pretokenized), or link indices
 * would name different words.
 */
export function combineDirections(
  forward: ForcedAlignment,
  backward: ForcedAlignment,
  method: Symmetrization,
  lineNo: number,
): ForcedAlignment {
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((w, i) => w === b[i]);
  if (!same(forward.sourceWords, backward.targetWords) || !same(forward.targetWords, backward.sourceWords)) {
    throw new UsageError(
      `line ${lineNo}: the two models split the sentences into different words ` +
        `(${forward.sourceWords.length} and ${backward.targetWords.length} source words, ` +
        `${forward.targetWords.length} and ${backward.sourceWords.length} target words); ` +
        'use --pretokenized to align space-separated words',
    );
  }
  const links = symmetrize(forward.links, flipLinks(backward.links), method);
  return { ...forward, links, pharaoh: pharaoh(links) };
}

function render(a: ForcedAlignment, o: AlignCliOptions): string {
  if (o.json) {
    return JSON.stringify({
      source: a.source,
      target: a.target,
      pharaoh: a.pharaoh,
      ...(o.reverseModel ? { symmetrization: o.symmetrize } : {}),
      sourceWords: a.sourceWords,
      targetWords: a.targetWords,
      wordMatrix: a.wordMatrix,
      wordLogProbs: a.wordLogProbs,
      sourceTokens: a.sourceTokens,
      targetTokens: a.targetTokens,
      attention: a.attention,
      tokenLogProbs: a.tokenLogProbs,
      logProb: a.logProb,
    });
  }
  return o.details ? `${a.pharaoh}\n${formatDetails(a)}\n` : a.pharaoh;
}

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<AlignCliOptions>();
  if (o.json && o.details) throw new UsageError('choose --json or --details, not both');
  if (o.input && !fs.existsSync(o.input)) throw new UsageError(`--input: file not found: ${o.input}`);
  const log = createLogger('align', process.env.NMT_LOG_LEVEL ?? 'warn');
  await initBackend(o.backend, (m) => log.info(m));
  const translator = Translator.load(o.model);
  const reverse = o.reverseModel ? Translator.load(o.reverseModel) : undefined;
  const method: LinkMethod = {
    ...(o.links && { links: o.links }),
    step: o.step,
    sourcePieces: o.sourcePieces,
    targetPieces: o.targetPieces,
  };
  const input = o.input ? fs.createReadStream(o.input) : process.stdin;
  const rl = readline.createInterface({ input, crlfDelay: Infinity });
  let pending: AlignPair[] = [];
  let lineNo = 0;
  let done = 0;
  const flush = () => {
    if (pending.length === 0) return;
    const options = { pretokenized: o.pretokenized, method, recase: o.recase };
    let results = translator.align(pending, options);
    if (reverse) {
      const swapped = pending.map((p) => ({ source: p.target, target: p.source }));
      const backward = reverse.align(swapped, options);
      results = results.map((a, k) =>
        combineDirections(a, backward[k], o.symmetrize, lineNo - pending.length + k + 1),
      );
    }
    process.stdout.write(results.map((a) => render(a, o) + '\n').join(''));
    done += pending.length;
    log.info(`aligned ${done} pairs`);
    pending = [];
  };
  try {
    for await (const line of rl) {
      lineNo++;
      pending.push(parsePairLine(line, lineNo));
      if (pending.length >= o.batch) flush();
    }
    flush();
  } finally {
    translator.dispose();
    reverse?.dispose();
  }
}

// Only when run as a command: the helpers above are imported by tests.
if (process.argv[1] && /align\.[tj]s$/.test(process.argv[1])) {
  main().catch((err: Error) => {
    process.stderr.write(`align: ${err.message.split('\n')[0]}\n`);
    process.exit(1);
  });
}

/**
 * npm run -s lexical-align -- --corpus TRAIN.tsv --src-lang eng --tgt-lang fra [--input PAIRS] [--pretokenized]
 *   [--symmetrize METHOD | --direction forward|reverse] [--include-input] [--iterations 5]
 *
 * Word alignment with a statistical model instead of attention (src/lexalign/): IBM Model 2 with
 * fast_align's diagonal prior, trained by EM on the sentence pairs of --corpus in both directions, then the
 * two directions combined (src/translate/symmetrize.ts). Reads `source<TAB>target` or `source ||| target`
 * lines (stdin or --input) and writes one line of Pharaoh links `i-j` (0-based) per pair, for
 * `npm run -s evaluate -- --alignments OUT --gold GOLD`. Training takes seconds to a minute; nothing is saved.
 *
 * Words: with --pretokenized the space-separated tokens of the input (lower-cased for the lexicon),
 * otherwise src/lexalign/words.ts splits them (links then count those words).
 *
 * --save-lexicon DIR keeps the trained aligner in a model folder (DIR/lexicon.json, recorded in its
 * config.json): translate, align, the page and the API then draw its links (src/lexalign/lexicon.ts).
 * Without --input it aligns nothing.
 */
import fs from 'node:fs';
import { Command, Option } from 'commander';
import { readTsv } from '../data/readers.js';
import { DiagonalIbm2 } from '../lexalign/diagonal-ibm2.js';
import { Lexicon } from '../lexalign/lexicon.js';
import { attachLexicon, readModelConfig } from '../translate/model-dir.js';
import { alignmentWords } from '../lexalign/words.js';
import { pharaoh } from '../translate/alignment.js';
import { flipLinks, SYMMETRIZATIONS, type Symmetrization } from '../lexalign/symmetrize.js';
import { createLogger } from '../util/log.js';
import { positiveInt, UsageError } from './args.js';
import { parsePairLine } from './pair-lines.js';

interface Options {
  corpus: string;
  srcLang: string;
  tgtLang: string;
  input?: string;
  pretokenized?: boolean;
  symmetrize: Symmetrization;
  direction?: 'forward' | 'reverse';
  includeInput?: boolean;
  iterations: number;
  saveLexicon?: string;
}

const program = new Command()
  .name('lexical-align')
  .description(
    'Word-align sentence pairs with a statistical model (fast_align-style IBM 2) trained on a corpus.',
  )
  .requiredOption('--corpus <file>', 'training pairs (TSV: source<TAB>target)')
  .requiredOption('--src-lang <code>', 'source language (eng, fra, …: chooses the word rules)')
  .requiredOption('--tgt-lang <code>', 'target language')
  .option('--input <file>', 'pairs to align (default: stdin)')
  .option('--pretokenized', 'the words are the space-separated tokens of the input')
  .addOption(
    new Option('--symmetrize <method>', 'how the two directions combine')
      .choices([...SYMMETRIZATIONS])
      .default('grow-diag-final-and'),
  )
  .addOption(
    new Option(
      '--direction <which>',
      'one direction only: forward (target words from source words) or reverse',
    )
      .choices(['forward', 'reverse'])
      .conflicts('symmetrize'),
  )
  .option('--include-input', 'also train on the input pairs (as unsupervised aligners are often run)')
  .option('--iterations <n>', 'EM iterations', positiveInt('--iterations'), 5)
  .option(
    '--save-lexicon <model-dir>',
    "save the trained aligner into this model folder (lexicon.json): its links become the folder's links",
  )
  .showHelpAfterError();

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<Options>();
  const log = createLogger('lexical-align', process.env.NMT_LOG_LEVEL ?? 'info');
  for (const [flag, file] of [
    ['--corpus', o.corpus],
    ['--input', o.input],
  ] as const)
    if (file !== undefined && !fs.existsSync(file)) throw new UsageError(`${flag}: file not found: ${file}`);
  if (o.saveLexicon) {
    if (o.direction) throw new UsageError('--save-lexicon keeps both directions: leave out --direction');
    if (o.includeInput)
      throw new UsageError('--save-lexicon keeps what the corpus teaches: leave out --include-input');
    readModelConfig(o.saveLexicon); // refuse a folder that is not a model before training
  }
  const text = o.input || !o.saveLexicon ? fs.readFileSync(o.input ?? 0, 'utf8') : '';
  const input = text
    .split('\n')
    .map((line, k) => ({ line, lineNo: k + 1 }))
    .filter(({ line }) => line.trim() !== '')
    .map(({ line, lineNo }) => {
      const p = parsePairLine(line, lineNo);
      const words = (s: string, lang: string) =>
        o.pretokenized
          ? s
              .trim()
              .split(/\s+/u)
              .map((w) => w.toLowerCase())
          : alignmentWords(s, lang);
      return { source: words(p.source, o.srcLang), target: words(p.target, o.tgtLang) };
    });
  const corpus = readTsv(o.corpus).map((p) => ({
    source: alignmentWords(p.src, o.srcLang),
    target: alignmentWords(p.tgt, o.tgtLang),
  }));
  const training = o.includeInput ? [...corpus, ...input] : corpus;
  const opts = { iterations: o.iterations };
  const t0 = performance.now();
  const forward = o.direction === 'forward' ? new DiagonalIbm2(opts).train(training) : undefined;
  const reverse =
    o.direction === 'reverse'
      ? new DiagonalIbm2(opts).train(training.map((p) => ({ source: p.target, target: p.source })))
      : undefined;
  const lexicon = o.direction
    ? undefined
    : Lexicon.fromWordPairs(training, {
        srcLang: o.srcLang,
        tgtLang: o.tgtLang,
        symmetrization: o.symmetrize,
        corpora: [o.corpus],
        em: opts,
      });
  log.info(
    `trained on ${training.length.toLocaleString('en')} pairs of ${o.corpus}` +
      `${o.includeInput ? ' and the input' : ''} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  if (lexicon && o.saveLexicon) {
    attachLexicon(o.saveLexicon, lexicon);
    log.info(`saved the aligner in ${o.saveLexicon}/lexicon.json`);
  }
  const out = input.map(({ source, target }) => {
    if (lexicon) return pharaoh(lexicon.alignWords(source, target));
    if (forward) return pharaoh(forward.align(source, target));
    return pharaoh(flipLinks(reverse?.align(target, source) ?? []));
  });
  process.stdout.write(out.map((l) => l + '\n').join(''));
}

main().catch((err: Error) => {
  process.stderr.write(`lexical-align: ${err.message}\n`);
  process.exit(1);
});

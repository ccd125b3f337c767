/**
 * npm run train -- --corpus ../shared/corpora/tatoeba/eng-spa.tsv --src-lang eng --tgt-lang spa --out runs/eng-spa
 * Flags override a JSON config file (--config); `--resume` continues from <out>/last.ckpt.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { initBackend } from '../backend/select.js';
import '../data/synthetic.js';
import { PROBE_ENV, probeHooks } from '../faults/probe.js';
import { TrainConfigSchema, type TrainConfig } from '../train/config.js';
import { readCheckpoint } from '../train/checkpoint.js';
import { prepareData } from '../train/prepare.js';
import { Trainer } from '../train/trainer.js';
import { prepareRunFolder } from '../train/run-folder.js';
import { initFromOptions, loadInitWeights } from '../train/init-from.js';
import { SYMMETRIZATIONS } from '../lexalign/symmetrize.js';
import { createLogger } from '../util/log.js';
import { describeOptionIssue } from './option-errors.js';
import { backendOption, collect, finiteNumber, numberOption } from './args.js';

/** A numeric training option (any finite number; the config schema checks ranges). */
const num = (flags: string, description: string) => numberOption(flags, description, finiteNumber);

const program = new Command()
  .name('train')
  .description('Train a BiLSTM–attention–GRU translation model on a parallel corpus.')
  .option('--config <file>', 'JSON file with any of the options below (flags win)')
  .option(
    '--corpus <spec>',
    'a TSV file (source<TAB>target[<TAB>attribution]), "train.en,train.es" (Moses pair), or synthetic:dates; ' +
      'repeat for more training corpora (the first is also split into train/valid/test); ' +
      'FILE@3 oversamples a corpus 3× per epoch, FILE@0.5 takes half of it',
    collect,
  )
  .option('--valid <file>', 'a validation file (TSV or Moses pair), reported by name; repeatable', collect)
  .option('--test <file>', 'a test file, scored by name when training ends; repeatable', collect)
  .option(
    '--select-on <name>',
    'validation set that picks the best checkpoint: a --valid file name (e.g. news.dev), split, or mean',
  )
  .option('--reverse', 'swap the TSV columns (translate column 2 into column 1)')
  .option('--src-lang <code>', 'source language code, for file names and the model card')
  .option('--tgt-lang <code>', 'target language code')
  .option('--out <dir>', 'run folder: checkpoints, metrics.jsonl, model/')
  .option(
    '--init-from <dir>',
    'start from this model folder (its weights, tokenizers and sizes; fresh optimizer): fine-tune a model',
  )
  .option(
    '--widen',
    "with --init-from and a larger --hidden-size/--attention-size: grow the folder's model, keeping what it computes",
  )
  .option('--src-tokenizer <file>', 'use this tokenizer.json for the source instead of training one')
  .option('--tgt-tokenizer <file>', 'use this tokenizer.json for the target instead of training one')
  .option('--vocab-dir <dir>', 'where trained tokenizers are written (default <out>/vocab)')
  .addOption(
    new Option(
      '--shared-vocab <when>',
      'one BPE vocabulary for both languages (auto: when both use the same script)',
    ).choices(['auto', 'yes', 'no']),
  )
  .addOption(num('--vocab-size <n>', 'size of the shared BPE vocabulary (default 8000)'))
  .addOption(
    num('--src-vocab-size <n>', 'BPE vocabulary size of the source tokenizer (separate vocabularies)'),
  )
  .addOption(
    num('--tgt-vocab-size <n>', 'BPE vocabulary size of the target tokenizer (separate vocabularies)'),
  )
  .option('--no-split-digits', 'let BPE merge digits (default: one digit per subword)')
  .option(
    '--split-punctuation',
    'split . , ! ? ; : off the word before them (with --init-from or --src-tokenizer: a copy of that tokenizer with the split, same ids)',
  )
  .option('--no-byte-fallback', 'unknown characters become <unk> (default: their UTF-8 bytes)')
  .addOption(
    new Option(
      '--tie-embeddings <which>',
      'share embedding tables: all (source, target, output), target (target = output), none; auto: all with a shared vocabulary',
    ).choices(['auto', 'none', 'target', 'all']),
  )
  .option('--no-copy-attention', 'no pointer-generator copying (default: on with a shared vocabulary)')
  .addOption(
    num(
      '--bpe-dropout <p>',
      'BPE-dropout probability while training, e.g. 0.1 (default 0 = off: it slows early learning, docs/ABLATION.md)',
    ),
  )
  .addOption(num('--upper-case-share <f>', 'share of training sources upper-cased per epoch (0.05)'))
  .addOption(num('--lower-case-share <f>', 'share of training sources lower-cased per epoch (0.05)'))
  .addOption(
    num('--drop-punctuation-share <f>', 'share of training pairs without final punctuation per epoch (0.1)'),
  )
  .addOption(
    num(
      '--swap-names-share <f>',
      'share of pairs with a name or number on both sides that get made-up ones per epoch (copy practice; 0)',
    ),
  )
  .option(
    '--drop-changed-numbers',
    'leave out training pairs whose target does not write every number of the source ("19" → "diecinueve")',
  )
  .addOption(num('--embedding-size <n>', 'E: embedding size'))
  .addOption(num('--hidden-size <n>', 'H: LSTM (per direction) and GRU hidden size'))
  .addOption(num('--encoder-layers <n>', 'BiLSTM layers'))
  .addOption(num('--attention-size <n>', 'A: attention hidden size'))
  .addOption(num('--output-size <n>', 'O: deep output layer size'))
  .addOption(num('--dropout <p>', 'dropout probability'))
  .addOption(num('--label-smoothing <eps>', 'label smoothing ε'))
  .addOption(
    num(
      '--guided-alignment <weight>',
      'train attention toward the word links of a statistical aligner learnt from the training pairs, ' +
        'with this weight, e.g. 0.5 (default 0 = off)',
    ),
  )
  .addOption(
    new Option(
      '--guided-alignment-links <method>',
      "how the aligner's two directions combine into the guide (default intersection)",
    ).choices([...SYMMETRIZATIONS]),
  )
  .addOption(num('--token-budget <n>', 'max padded tokens per batch (batch size × longest sentence)'))
  .addOption(num('--max-sentences <n>', 'max sentences per batch'))
  .addOption(num('--learning-rate <lr>', 'Adam learning rate'))
  .addOption(num('--clip-norm <n>', 'global gradient-norm clipping'))
  .addOption(num('--lr-decay <f>', 'learning-rate factor on plateau'))
  .addOption(num('--lr-patience <n>', 'validations without improvement before decaying'))
  .addOption(num('--early-stop-patience <n>', 'validations without improvement before stopping'))
  .addOption(num('--valid-every <n>', 'steps between validations'))
  .addOption(num('--checkpoint-every <n>', 'steps between `last` checkpoints'))
  .addOption(
    num(
      '--max-skipped-batches <n>',
      'stop with an error after this many consecutive batches with a non-finite loss (default 10)',
    ),
  )
  .addOption(
    num(
      '--keep-checkpoints <n>',
      'keep the checkpoints of the last N validations (step-<N>.ckpt) for npm run average-checkpoints',
    ),
  )
  .addOption(
    num(
      '--valid-size <n>',
      'validation pairs held out (default: 5% of the corpus, at least 100, at most 2000)',
    ),
  )
  .addOption(num('--test-size <n>', 'test pairs held out (default: as --valid-size; 0 = none)'))
  .addOption(num('--bleu-sentences <n>', 'validation pairs translated for BLEU'))
  .addOption(num('--max-chars <n>', 'drop pairs with a side longer than this'))
  .addOption(num('--max-steps <n>', 'stop after this many steps'))
  .addOption(num('--max-epochs <n>', 'stop after this many epochs'))
  .addOption(num('--max-minutes <n>', 'stop after this much training time'))
  .addOption(num('--workers <n>', 'data-parallel worker threads (0 = one per core on wasm/cpu)'))
  .addOption(num('--seed <n>', 'random seed (data split, init, batches, dropout)'))
  .addOption(
    new Option('--save-dtype <dtype>', 'weights precision of the exported model').choices([
      'float32',
      'float16',
    ]),
  )
  .addOption(backendOption())
  .option('--resume', 'continue from <out>/last.ckpt')
  .option(
    '--overwrite',
    'delete the run already in --out (checkpoints, metrics.jsonl, model/) and start again',
  )
  .showHelpAfterError();

async function main(): Promise<void> {
  program.parse();
  const opts = program.opts<Record<string, unknown>>();
  const log = createLogger('train');
  const fromFile = opts.config
    ? (JSON.parse(fs.readFileSync(String(opts.config), 'utf8')) as Record<string, unknown>)
    : {};
  const { config: _c, backend, resume, overwrite, ...flags } = opts;
  const merged = {
    ...fromFile,
    // Only flags typed now: a negatable flag's default (--no-copy-attention → true) must not override a
    // config file or the checkpoint being resumed.
    ...Object.fromEntries(
      Object.entries(flags).filter(([k, v]) => v !== undefined && program.getOptionValueSource(k) === 'cli'),
    ),
  };
  const lastCkpt = merged.out ? path.join(String(merged.out), 'last.ckpt') : undefined;
  const resuming = Boolean(resume && lastCkpt && fs.existsSync(lastCkpt));
  if (resuming && lastCkpt && !merged.corpus) {
    // Flags given now win over the checkpoint's own config.
    const saved = readCheckpoint(lastCkpt).header.config;
    for (const [k, v] of Object.entries({ ...saved, ...merged })) merged[k] = v;
  }
  // A warm start takes the folder's tokenizers and sizes; flags typed now still win, and a size that
  // contradicts the folder's weights is refused below (loadInitWeights).
  const warm = merged.initFrom && !resuming ? initFromOptions(String(merged.initFrom)) : {};
  Object.assign(merged, { ...warm, ...merged });
  const parsed = TrainConfigSchema.safeParse(merged);
  if (!parsed.success) throw new Error(describeOptionIssue(parsed.error));
  const cfg: TrainConfig = parsed.data;
  const removed = prepareRunFolder(cfg.out, { resume: Boolean(resume), overwrite: Boolean(overwrite) });
  if (removed.length > 0)
    log.warn(`--overwrite: deleted the earlier run's ${removed.join(', ')} in ${cfg.out}`);
  await initBackend(backend as string | undefined, (m) => log.info(m));
  const last = path.join(cfg.out, 'last.ckpt');
  const ck = resume && fs.existsSync(last) ? readCheckpoint(last) : undefined;
  const data = prepareData(
    cfg,
    log,
    ck ? { src: ck.header.srcTokenizerFile, tgt: ck.header.tgtTokenizerFile } : undefined,
  );
  // The crash-safety check (npm run fault:train) names a file where this run reports its steps.
  const probe = process.env[PROBE_ENV];
  const trainer = new Trainer(cfg, data, log, probe ? probeHooks(probe) : {});
  log.info(
    `model: ${trainer.model.parameterCount().toLocaleString('en')} parameters ${JSON.stringify(trainer.model.config)}`,
  );
  if (ck) {
    const typed = program.getOptionValueSource('learningRate') === 'cli';
    await trainer.restore(last, typed ? cfg.learningRate : undefined);
  } else if (cfg.initFrom) {
    log.info(`--init-from: ${loadInitWeights(trainer.model, cfg.initFrom, cfg.widen)}`);
  } else if (resume) log.warn(`--resume: no checkpoint at ${last}, starting from scratch`);
  // `npm run train` starts node with `--import tsx`, not the tsx binary: on Ctrl-C tsx relays the signal
  // and SIGKILLs its child when it has not answered within ~60 ms, which a training step or a checkpoint
  // write never does, so the run died without saving (test/train-interrupt.test.ts).
  process.on('SIGINT', () => {
    log.warn(
      'Ctrl-C: saving a checkpoint after this step, then exiting (press again to abort without saving)',
    );
    trainer.requestStop();
    process.once('SIGINT', () => process.exit(130));
  });
  await trainer.run();
}

main().catch((err: Error) => {
  process.stderr.write(`train: ${err.message}\n`);
  process.exit(1);
});

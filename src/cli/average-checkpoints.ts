/**
 * npm run average-checkpoints -- --out runs/eng-spa/model-avg [--dtype float16] runs/eng-spa/step-*.ckpt
 *
 * Averages the weights of several checkpoints of one run (keep them with `npm run train -- ...
 * --keep-checkpoints 5`) and writes a model directory, as training writes <run>/model. Score it with
 * `npm run -s evaluate -- --model <dir> --split test` against the best single checkpoint's model.
 * What checkpoints do not hold is taken from the run's own model folder when it is there (see runExtras).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { initBackend } from '../backend/select.js';
import { Lexicon } from '../lexalign/lexicon.js';
import {
  readModelConfig,
  readModelTestSet,
  saveModelDir,
  type SaveModelOptions,
} from '../translate/model-dir.js';
import { Seq2Seq } from '../model/seq2seq.js';
import { assignWeights, encodeWeights, type WeightDtype } from '../model/weights-io.js';
import { averageCheckpoints } from '../train/average.js';
import { modelConfigFor, trainedModelInfo } from '../train/trained-model.js';

const program = new Command()
  .name('average-checkpoints')
  .description('Average the weights of checkpoints of one run into a model directory.')
  .argument('<checkpoints...>', 'checkpoint files (.ckpt) of the same run')
  .requiredOption('--out <dir>', 'model directory to write (config.json + weights.bin)')
  .addOption(
    new Option('--dtype <dtype>', 'weights precision').choices(['float32', 'float16']).default('float32'),
  )
  .showHelpAfterError();

/**
 * What the run's model folder (<run>/model, written by the trainer at its best step) holds and a checkpoint
 * does not: the corpora with their licences (the page's footer and the model card name them), the held-out
 * test pairs and the word aligner. They depend on the run's data, not on the step, so the average keeps
 * them; without the folder it has none of them.
 */
function runExtras(checkpoint: string): {
  /** What was found, for the log: "the corpora", "the held-out test pairs", "the word aligner". */
  kept: string[];
  from: string;
  corpora?: unknown;
  options: Pick<SaveModelOptions, 'testPairs' | 'lexicon'>;
} {
  const from = path.join(path.dirname(checkpoint), 'model');
  if (!fs.existsSync(path.join(from, 'config.json'))) return { kept: [], from, options: {} };
  const config = readModelConfig(from);
  const corpora = config.info?.corpora;
  const testPairs = readModelTestSet(from, config);
  const lexicon = config.lexicon ? Lexicon.load(path.resolve(from, config.lexicon)) : undefined;
  const kept = [
    ...(corpora !== undefined ? ['the corpora'] : []),
    ...(testPairs ? ['the held-out test pairs'] : []),
    ...(lexicon ? ['the word aligner'] : []),
  ];
  return { kept, from, corpora, options: { ...(testPairs && { testPairs }), ...(lexicon && { lexicon }) } };
}

async function main(): Promise<void> {
  program.parse();
  const files = program.args;
  const o = program.opts<{ out: string; dtype: WeightDtype }>();
  const averaged = averageCheckpoints(files);
  const { newest } = averaged;
  const rows = (name: string): number => {
    const t = averaged.weights.find((w) => w.name === name);
    if (!t) throw new Error(`${files[0]}: no tensor "${name}" (not a checkpoint of this model)`);
    return t.shape[0];
  };
  // One tokenizer file for both sides is a shared vocabulary (as the trainer decides): one embedding table.
  const shared = newest.srcTokenizerFile === newest.tgtTokenizerFile;
  const [srcRows, tgtRows] = averaged.weights.some((w) => w.name === 'embedding.shared')
    ? [rows('embedding.shared'), rows('embedding.shared')]
    : [rows('embedding.src'), rows('embedding.tgt')];
  await initBackend(); // any backend: only to build the model and write its weights
  const model = new Seq2Seq(modelConfigFor(newest.config, srcRows, tgtRows, shared), newest.config.seed);
  const encoded = encodeWeights(averaged.weights, 'float32');
  assignWeights(model.params, encoded.manifest, encoded.bytes, files[0]);
  const { validBleu: _single, ...info } = trainedModelInfo(
    newest.config,
    newest.state,
    model.parameterCount(),
  );
  const extras = runExtras(averaged.newestFile);
  saveModelDir(o.out, model, {
    srcLang: newest.config.srcLang,
    tgtLang: newest.config.tgtLang,
    srcTokenizerFile: newest.srcTokenizerFile,
    tgtTokenizerFile: newest.tgtTokenizerFile,
    dtype: o.dtype,
    info: {
      ...info,
      ...(extras.corpora !== undefined && { corpora: extras.corpora }),
      averagedSteps: averaged.steps,
    },
    ...extras.options,
  });
  if (extras.kept.length > 0)
    process.stderr.write(`average-checkpoints: kept ${extras.kept.join(', ')} of ${extras.from}\n`);
  model.params.dispose();
  process.stderr.write(
    `average-checkpoints: averaged ${files.length} checkpoints (steps ${averaged.steps.join(', ')}) into ${path.join(o.out, 'config.json')}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`average-checkpoints: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

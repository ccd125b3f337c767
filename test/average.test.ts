import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { initBackend } from '../src/backend/select.js';
import { readTsv } from '../src/data/readers.js';
import { readModelConfig, readModelTestSet } from '../src/translate/model-dir.js';
import { decodeWeights } from '../src/model/weights-io.js';
import { averageCheckpoints } from '../src/train/average.js';
import { readCheckpoint } from '../src/train/checkpoint.js';
import type { TrainConfig } from '../src/train/config.js';
import { Trainer } from '../src/train/trainer.js';
import { Translator } from '../src/translate/translator.js';
import { createLogger } from '../src/util/log.js';
import { repoRoot } from './helpers/paths.js';
import { SAMPLE_CORPUS } from '../src/util/repo-paths.js';
import { TINY_DIMS, preparedData, trainConfig } from './helpers/train-data.js';
import { trainTokenizerFile } from '../src/tokenizer/train.js';
import { SubwordTokenizer } from '../src/tokenizer/subword.js';
import { type PreparedData, encodePairs, preparedFromExamples } from '../src/train/prepare.js';

const execFileAsync = promisify(execFile);
const log = createLogger('test', 'silent');

const TINY: Partial<TrainConfig> = {
  ...TINY_DIMS,
  tokenBudget: 200,
  bleuSentences: 4,
  seed: 5,
};

const weightsOf = (file: string) => {
  const ck = readCheckpoint(file);
  return decodeWeights(ck.header.weights, ck.weightBytes, file);
};

/** `npm run average-checkpoints -- --out modelDir ...files`, from the repository root. */
const averageCli = (modelDir: string, files: string[]) =>
  execFileAsync('npm', ['run', '-s', 'average-checkpoints', '--', '--out', modelDir, ...files], {
    cwd: repoRoot,
  });

/** A tiny run of `maxSteps` steps into `out`, validating (and keeping a checkpoint) every 2; its model config. */
async function trainTiny(out: string, data: PreparedData, maxSteps: number) {
  const trainer = new Trainer(
    trainConfig(out, TINY, { maxSteps, validEvery: 2, checkpointEvery: 100, keepCheckpoints: 2 }),
    data,
    log,
  );
  await trainer.run();
  await trainer.stopEngine();
  trainer.model.dispose();
  return trainer.model.config;
}

describe('checkpoint averaging (--keep-checkpoints, npm run average-checkpoints)', function () {
  this.timeout(120_000);
  let dir: string;
  let out: string;
  before(async function () {
    await initBackend('wasm');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-average-'));
    out = path.join(dir, 'run');
    const data = preparedData(path.join(dir, 'vocab'), readTsv(SAMPLE_CORPUS), {
      vocabSize: 150,
      validPairs: 8,
    });
    await trainTiny(out, data, 8);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('training keeps the checkpoints of the last N validations, the newest equal to last.ckpt', () => {
    const kept = fs.readdirSync(out).filter((f) => f.startsWith('step-'));
    expect(kept.sort()).to.deep.equal(['step-6.ckpt', 'step-8.ckpt']);
    expect(readCheckpoint(path.join(out, 'step-6.ckpt')).header.state.step).to.equal(6);
    expect(
      fs.readFileSync(path.join(out, 'step-8.ckpt')).equals(fs.readFileSync(path.join(out, 'last.ckpt'))),
    ).to.equal(true);
  });

  it('averages element-wise, and the mean does not depend on the order of the files', () => {
    const files = [path.join(out, 'step-6.ckpt'), path.join(out, 'step-8.ckpt')];
    const [a, b] = files.map(weightsOf);
    const avg = averageCheckpoints(files);
    expect(avg.steps).to.deep.equal([6, 8]);
    expect(avg.newest.state.step).to.equal(8);
    expect(avg.weights.map((w) => w.name)).to.deep.equal(a.map((w) => w.name));
    let maxDiff = 0;
    let moved = 0;
    avg.weights.forEach((w, i) => {
      for (let j = 0; j < w.values.length; j++) {
        maxDiff = Math.max(maxDiff, Math.abs(w.values[j] - (a[i].values[j] + b[i].values[j]) / 2));
        if (a[i].values[j] !== b[i].values[j]) moved++;
      }
    });
    expect(moved, 'the two checkpoints differ').to.be.above(1000);
    expect(maxDiff).to.be.below(1e-7);
    const reversed = averageCheckpoints([...files].reverse());
    reversed.weights.forEach((w, i) => expect(w.values).to.deep.equal(avg.weights[i].values));
  });

  it('refuses checkpoints of different models, naming the file', async () => {
    const data = preparedData(path.join(dir, 'vocab'), readTsv(SAMPLE_CORPUS), { vocabSize: 150 });
    const other = new Trainer(trainConfig(path.join(dir, 'other'), TINY, { hiddenSize: 16 }), data, log);
    const otherFile = path.join(dir, 'other', 'x.ckpt');
    await other.saveCheckpoint(otherFile);
    await other.stopEngine();
    other.model.dispose();
    expect(() => averageCheckpoints([path.join(out, 'step-8.ckpt'), otherFile])).to.throw(
      `${otherFile}: tensor 3 is "encoder.l0.fwd.Wx" [16,64] but in ${path.join(out, 'step-8.ckpt')} it is "encoder.l0.fwd.Wx" [16,128]`,
    );
    expect(() => averageCheckpoints([])).to.throw('no checkpoints to average');
  });

  it('averages a run with one shared vocabulary (tied embeddings, copying) into a folder that loads', async () => {
    const sharedDir = path.join(dir, 'shared');
    const file = path.join(sharedDir, 'tokenizer.json');
    const pairs = readTsv(SAMPLE_CORPUS);
    trainTokenizerFile(
      pairs.flatMap((p) => [p.src, p.tgt]),
      file,
      { vocabSize: 200 },
    );
    const tok = SubwordTokenizer.load(file);
    const train = encodePairs(pairs, tok, tok);
    const data = preparedFromExamples({
      train,
      trainPairs: pairs,
      valid: train.slice(0, 8),
      validPairs: pairs.slice(0, 8),
      srcTokenizer: tok,
      tgtTokenizer: tok,
    });
    const run = path.join(sharedDir, 'run');
    const config = await trainTiny(run, data, 4);
    expect(config).to.deep.include({ tiedEmbeddings: 'all', copyAttention: true });
    const modelDir = path.join(sharedDir, 'model-avg');
    const { stderr } = await averageCli(
      modelDir,
      [2, 4].map((n) => path.join(run, `step-${n}.ckpt`)),
    );
    expect(stderr).to.include('averaged 2 checkpoints (steps 2, 4)');
    expect(readModelConfig(modelDir).model).to.deep.include({ tiedEmbeddings: 'all', copyAttention: true });
    const translator = Translator.load(modelDir);
    expect(translator.translate(['I like tea.'])[0].hypotheses[0].text).to.be.a('string');
    translator.dispose();
  });

  it('the CLI writes a model directory that loads and translates', async () => {
    const modelDir = path.join(dir, 'model-avg');
    const { stderr } = await averageCli(
      modelDir,
      [6, 8].map((n) => path.join(out, `step-${n}.ckpt`)),
    );
    expect(stderr).to.include('averaged 2 checkpoints (steps 6, 8)');
    const config = readModelConfig(modelDir);
    expect(config.info).to.deep.include({ averagedSteps: [6, 8], step: 8 });
    // The run's model folder supplies what checkpoints do not hold: the corpora and the held-out pairs.
    const runModel = readModelConfig(path.join(out, 'model'));
    expect(runModel.info?.corpora).to.be.an('array').with.length.above(0);
    expect(config.info?.corpora).to.deep.equal(runModel.info?.corpora);
    const tests = readModelTestSet(path.join(out, 'model'), runModel);
    expect(stderr).to.include(
      `average-checkpoints: kept the corpora${tests ? ', the held-out test pairs' : ''} of ${path.join(out, 'model')}\n`,
    );
    expect(readModelTestSet(modelDir, config)).to.deep.equal(
      readModelTestSet(path.join(out, 'model'), runModel),
    );
    // Checkpoints moved away from their run folder: nothing to take, and nothing is claimed.
    const moved = path.join(dir, 'moved');
    fs.mkdirSync(moved);
    fs.copyFileSync(path.join(out, 'step-8.ckpt'), path.join(moved, 'step-8.ckpt'));
    const alone = await averageCli(path.join(dir, 'model-alone'), [path.join(moved, 'step-8.ckpt')]);
    expect(alone.stderr).not.to.include('kept ');
    expect(readModelConfig(path.join(dir, 'model-alone')).info?.corpora).to.equal(undefined);
    const translator = Translator.load(modelDir);
    const [result] = translator.translate(['I like tea.'], { beam: 1 });
    expect(result.hypotheses[0].text).to.be.a('string');
    translator.dispose();
    const bad = await averageCli(modelDir, [path.join(dir, 'nope.ckpt')]).catch(
      (err: { code: number; stderr: string }) => err,
    );
    expect(bad).to.include({ code: 1 });
    expect((bad as { stderr: string }).stderr).to.include(
      `cannot read checkpoint ${path.join(dir, 'nope.ckpt')}`,
    );
  });
});

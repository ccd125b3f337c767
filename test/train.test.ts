import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/select.js';
import { readTsv } from '../src/data/readers.js';
import type { TrainConfig } from '../src/train/config.js';
import { Trainer } from '../src/train/trainer.js';
import { readCheckpoint } from '../src/train/checkpoint.js';
import { createLogger } from '../src/util/log.js';
import { greedyTranslateIds } from '../src/train/validate.js';
import { oneVocabulary } from '../src/tokenizer/subword.js';
import { Translator } from '../src/translate/translator.js';
import { readParams } from '../src/model/weights-io.js';
import { requireFile, tatoebaSpa } from './helpers/paths.js';
import { SAMPLE_CORPUS } from '../src/util/repo-paths.js';
import { preparedData, trainConfig } from './helpers/train-data.js';

const log = createLogger('test', 'silent');

/** Small enough to overfit quickly, deterministic (no dropout, no label smoothing). */
const TINY: Partial<TrainConfig> = {
  embeddingSize: 32,
  hiddenSize: 64,
  attentionSize: 64,
  outputSize: 64,
  dropout: 0,
  labelSmoothing: 0,
  tokenBudget: 400,
  seed: 3,
};
const tinyConfig = (out: string, over: Partial<TrainConfig> = {}) => trainConfig(out, TINY, over);

/** The bundled sample pairs, prepared with vocabularies of 200 in the folder `dir`/`name`. */
const sampleData = (dir: string, name: string) =>
  preparedData(path.join(dir, name), readTsv(SAMPLE_CORPUS), { vocabSize: 200 });

describe('training', function () {
  let dir: string;
  before(async () => {
    await initBackend('wasm');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-train-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a tiny model overfits 50 real pairs until it reproduces them exactly', async function () {
    requireFile(this, tatoebaSpa);
    // 50 distinct short pairs from the middle of the file (lines are sorted by length).
    const all = readTsv(tatoebaSpa);
    const seen = new Set<string>();
    const pairs = all
      .slice(20000)
      .filter((p) => !seen.has(p.src) && seen.add(p.src))
      .slice(0, 50);
    const data = preparedData(path.join(dir, 'overfit'), pairs, { vocabSize: 300 });
    fs.mkdirSync(path.join(dir, 'overfit'), { recursive: true });
    const trainer = new Trainer(tinyConfig(path.join(dir, 'overfit')), data, log);
    let exact = 0;
    let steps = 0;
    for (; steps < 600 && exact < pairs.length; steps++) {
      await trainer.trainStep(data.train);
      if (steps % 50 === 49) {
        const hyps = greedyTranslateIds(
          trainer.model,
          data.train.map((e) => e.src),
          data.tgtTokenizer,
          { blockStutter: oneVocabulary(data.srcTokenizer, data.tgtTokenizer) },
        );
        exact = hyps.filter((h, i) => h === pairs[i].tgt).length;
      }
    }
    expect(exact, `reproduced ${exact}/50 after ${steps} steps`).to.equal(50);
    trainer.model.dispose();
  });

  it('stop → resume gives the same next-step loss and the same weights as an uninterrupted run', async function () {
    const data = sampleData(dir, 'resume');
    const cfgA = tinyConfig(path.join(dir, 'runA'), {
      dropout: 0.3,
      labelSmoothing: 0.1,
      tokenBudget: 120,
      maxSteps: 8,
      validEvery: 1000,
      checkpointEvery: 4,
      workers: 2,
    });
    // Uninterrupted run of 8 steps.
    const a = new Trainer(cfgA, data, log);
    await a.run();
    const weightsA = readParams(a.model.params);
    // Interrupted: 4 steps, then a fresh process-equivalent (new Trainer) resumes from last.ckpt.
    const cfgB = { ...cfgA, out: path.join(dir, 'runB'), maxSteps: 4 };
    const b1 = new Trainer(cfgB, data, log);
    await b1.run();
    const ck = path.join(cfgB.out, 'last.ckpt');
    expect(readCheckpoint(ck).header.state.step).to.equal(4);
    const b2 = new Trainer({ ...cfgB, maxSteps: 8 }, data, log);
    await b2.restore(ck);
    // Next-step loss equality, on the batch the resumed run will see next.
    const next = b2.state.batchInEpoch;
    expect(next).to.be.greaterThan(0);
    await b2.run();
    const weightsB = readParams(b2.model.params);
    expect(b2.state.step).to.equal(8);
    for (let i = 0; i < weightsA.length; i++) {
      const wa = weightsA[i].values;
      const wb = weightsB[i].values;
      let maxDiff = 0;
      for (let k = 0; k < wa.length; k++) maxDiff = Math.max(maxDiff, Math.abs(wa[k] - wb[k]));
      expect(maxDiff, weightsA[i].name).to.be.lessThan(1e-6);
    }
    const lossA = await a.trainStep(data.train.slice(0, 4));
    const lossB = await b2.trainStep(data.train.slice(0, 4));
    expect(Math.abs(lossA - lossB)).to.be.lessThan(1e-6);
    await a.stopEngine();
    await b2.stopEngine();
    [a, b1, b2].forEach((t) => t.model.dispose());
  });

  it('resume with a learning rate given now steps at that rate (Adam: a quarter of the rate, a quarter of the step)', async function () {
    const data = sampleData(dir, 'resume-lr');
    const cfg = tinyConfig(path.join(dir, 'runLr'), { tokenBudget: 120, maxSteps: 3, validEvery: 1000 });
    const first = new Trainer(cfg, data, log);
    await first.run();
    await first.stopEngine();
    first.model.dispose();
    const ck = path.join(cfg.out, 'last.ckpt');
    const stepFrom = async (learningRate?: number) => {
      const t = new Trainer(cfg, data, log);
      await t.restore(ck, learningRate);
      const before = readParams(t.model.params);
      await t.trainStep(data.train.slice(0, 4));
      const after = readParams(t.model.params);
      const rate = t.state.learningRate;
      await t.stopEngine();
      t.model.dispose();
      return { rate, deltas: after.map((p, i) => p.values.map((x, k) => x - before[i].values[k])) };
    };
    const full = await stepFrom();
    const quarter = await stepFrom(cfg.learningRate / 4);
    expect(full.rate).to.equal(cfg.learningRate);
    expect(quarter.rate).to.equal(cfg.learningRate / 4);
    let biggest = 0;
    let worst = 0;
    full.deltas.forEach((d, i) =>
      d.forEach((x, k) => {
        biggest = Math.max(biggest, Math.abs(x));
        worst = Math.max(worst, Math.abs(quarter.deltas[i][k] - x / 4));
      }),
    );
    expect(biggest).to.be.greaterThan(1e-4);
    expect(worst).to.be.lessThan(biggest * 1e-3);
  });

  it('resume restores the best validation scores from metrics.jsonl: an export keeps them in the model card', async function () {
    const data = sampleData(dir, 'best');
    const cfg = tinyConfig(path.join(dir, 'runBest'), {
      tokenBudget: 120,
      maxSteps: 4,
      validEvery: 2,
      checkpointEvery: 2,
      bleuSentences: 3,
    });
    const validation = () =>
      (
        JSON.parse(fs.readFileSync(path.join(cfg.out, 'model', 'config.json'), 'utf8')) as {
          info: { validation?: { step: number; sets: Record<string, unknown> } };
        }
      ).info.validation;
    const a = new Trainer(cfg, data, log);
    await a.run();
    const exported = validation();
    expect(exported?.step).to.equal(a.state.bestStep);
    expect(Object.keys(exported?.sets ?? {})).to.have.length.greaterThan(0);
    // A new process resumes, then exports before any new validation improves on the best.
    const b = new Trainer(cfg, data, log);
    await b.restore(path.join(cfg.out, 'last.ckpt'));
    b.exportModel();
    expect(validation()).to.deep.equal(exported);
    await b.stopEngine();
    [a, b].forEach((t) => t.model.dispose());
  });

  it('a data-parallel step (2 worker threads) equals a single-thread step on the whole batch', async function () {
    const data = sampleData(dir, 'par');
    const single = new Trainer(tinyConfig(path.join(dir, 'runP1'), { workers: 1 }), data, log);
    const parallel = new Trainer(tinyConfig(path.join(dir, 'runP2'), { workers: 2 }), data, log);
    const l1 = await single.trainStep(data.train);
    const l2 = await parallel.trainStep(data.train);
    expect(l2).to.be.closeTo(l1, 1e-5);
    await parallel.startEngine().then((e) => e.syncTo(parallel.model));
    const w1 = readParams(single.model.params);
    const w2 = readParams(parallel.model.params);
    for (let i = 0; i < w1.length; i++) {
      let maxDiff = 0;
      for (let k = 0; k < w1[i].values.length; k++)
        maxDiff = Math.max(maxDiff, Math.abs(w1[i].values[k] - w2[i].values[k]));
      // Not 0: the two halves' gradients are summed in another order than the whole batch's, and Adam
      // divides each gradient by its own running size, so a component near 0 can move by more than its
      // rounding (1.3e-5 seen on one CPU); a wrong sum moves weights by the learning rate.
      expect(maxDiff, w1[i].name).to.be.lessThan(5e-5);
    }
    await parallel.stopEngine();
    single.model.dispose();
    parallel.model.dispose();
  });

  it('a truncated or corrupted checkpoint is refused with a message naming the file', async function () {
    const data = sampleData(dir, 'ck');
    const cfg = tinyConfig(path.join(dir, 'runC'));
    const t = new Trainer(cfg, data, log);
    const file = path.join(cfg.out, 'x.ckpt');
    await t.saveCheckpoint(file);
    const bytes = fs.readFileSync(file);
    const truncated = path.join(cfg.out, 'truncated.ckpt');
    fs.writeFileSync(truncated, bytes.subarray(0, bytes.length - 100));
    expect(() => readCheckpoint(truncated)).to.throw(`${truncated}: truncated checkpoint`);
    const corrupted = path.join(cfg.out, 'corrupted.ckpt');
    const bad = Buffer.from(bytes);
    bad[bad.length - 10] ^= 0xff;
    fs.writeFileSync(corrupted, bad);
    expect(() => readCheckpoint(corrupted)).to.throw(
      `${corrupted}: corrupted checkpoint (checksum mismatch)`,
    );
    const notCk = path.join(cfg.out, 'other.ckpt');
    fs.writeFileSync(notCk, 'hello');
    expect(() => readCheckpoint(notCk)).to.throw(`${notCk}: not a checkpoint`);
    t.model.dispose();
  });

  it('save → load gives identical outputs, and repeated translations do not leak tensors', async function () {
    const data = sampleData(dir, 'save');
    const pairs = data.splits.train;
    const cfg = tinyConfig(path.join(dir, 'runD'));
    const t = new Trainer(cfg, data, log);
    for (let i = 0; i < 30; i++) await t.trainStep(data.train);
    await t.stopEngine();
    t.exportModel();
    // As the translator decodes: stutters blocked when one vocabulary serves both sides.
    const direct = greedyTranslateIds(
      t.model,
      data.train.map((e) => e.src),
      data.tgtTokenizer,
      {
        blockStutter: oneVocabulary(data.srcTokenizer, data.tgtTokenizer),
      },
    );
    const translator = Translator.load(path.join(cfg.out, 'model'));
    const loaded = translator.translate(pairs.map((p) => p.src)).map((r) => r.hypotheses[0].text);
    expect(loaded).to.deep.equal(direct);
    // Same logits too, not just the same argmax.
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      translator.translate(
        pairs.slice(0, 7).map((p) => p.src),
        { beam: 3, nbest: 2, withAttention: true },
      );
      translator.translate(pairs.slice(0, 7).map((p) => p.src));
    }
    expect(tf.memory().numTensors).to.equal(before);
    translator.dispose();
    t.model.dispose();
  });
});

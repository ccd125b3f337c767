/**
 * Reliability of training: SIGKILL at random moments (a fast variant of `npm run fault:train`), disk
 * problems while saving checkpoints, and non-finite losses.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/select.js';
import { readTsv } from '../src/data/readers.js';
import type { TrainConfig } from '../src/train/config.js';
import { Trainer } from '../src/train/trainer.js';
import type { PreparedData } from '../src/train/prepare.js';
import { readCheckpoint } from '../src/train/checkpoint.js';
import { readParams } from '../src/model/weights-io.js';
import type { NamedArray } from '../src/train/named-array.js';
import { createLogger } from '../src/util/log.js';
import { runFaultInjection } from '../src/faults/harness.js';
import { formatReport } from '../src/faults/report.js';
import { SAMPLE_CORPUS } from '../src/util/repo-paths.js';
import { TINY_DIMS, preparedData, trainConfig } from './helpers/train-data.js';

const log = createLogger('test', 'silent');

/** Small and quick: checkpoints every 2 steps, no validation within the first 1000 steps. */
const TINY: Partial<TrainConfig> = {
  ...TINY_DIMS,
  dropout: 0.1,
  tokenBudget: 120,
  seed: 5,
  validEvery: 1000,
  checkpointEvery: 2,
  bleuSentences: 3,
};
const tinyConfig = (out: string, over: Partial<TrainConfig> = {}) => trainConfig(out, TINY, over);

/** The 30 bundled pairs, tokenized with small BPE vocabularies trained here; the first 3 validate. */
const sampleData = (dir: string): PreparedData =>
  preparedData(dir, readTsv(SAMPLE_CORPUS), { vocabSize: 200, validPairs: 3 });

/** A deep copy of every parameter's values (dataSync may hand out a view). */
function snapshot(t: Trainer): NamedArray[] {
  return readParams(t.model.params).map((p) => ({ ...p, values: Float32Array.from(p.values) }));
}

function expectSame(a: NamedArray[], b: NamedArray[], what: string): void {
  expect(b.map((x) => x.name)).to.deep.equal(a.map((x) => x.name));
  a.forEach((x, i) => {
    const same = x.values.every((v, k) => Object.is(v, b[i].values[k]));
    expect(same, `${what}: ${x.name} changed`).to.equal(true);
  });
}

function temps(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));
}

function events(out: string, event: string): Record<string, unknown>[] {
  return fs
    .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => r.event === event);
}

describe('reliability', function () {
  let dir: string;
  let data: PreparedData;
  before(async () => {
    await initBackend('wasm');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-reliability-'));
    data = sampleData(path.join(dir, 'vocab'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('SIGKILL during training (fast variant of npm run fault:train)', function () {
    it('3 kills (one inside a checkpoint write, one at random, one after the last step): every resume is exact', async function () {
      this.timeout(150_000);
      const report = await runFaultInjection({
        kills: 3,
        modes: ['write', 'random', 'at-end'],
        maxSteps: 16,
        checkpointEvery: 2,
        seed: 1,
        killSeed: 1,
        corpus: SAMPLE_CORPUS,
        backend: 'wasm',
        keep: false,
        childTimeout: 90,
      });
      if (!report.ok) console.log(formatReport(report));
      expect(report.failures).to.deep.equal([]);
      expect(report.kills).to.equal(3);
      expect(report.resumes).to.be.at.least(3);
      expect(report.maxStepsLost).to.be.at.most(2);
      expect(report.finalStep).to.equal(16);
      expect(report.maxWeightDiff).to.be.at.most(1e-6);
      expect(report.tempFilesLeft).to.deep.equal([]);
      this.test!.title += ` [${report.wallSeconds.toFixed(0)} s; ${report.killsDuringWrites} kill(s) landed inside a write]`;
    });
  });

  describe('disk problems while saving a checkpoint', function () {
    /**
     * Train to step 2 (checkpoint), resume in a new Trainer and run towards step 6 with `trap(tmp)` set
     * on the temporary file name of the next checkpoint write (Date.now is frozen so the name is known).
     * Returns the error of run(), the bytes of last.ckpt before, and the folder.
     */
    async function failingSave(name: string, trap: (tmp: string) => void, untrap: (tmp: string) => void) {
      const out = path.join(dir, name);
      const cfg = tinyConfig(out, { maxSteps: 2 });
      const t1 = new Trainer(cfg, data, log);
      await t1.run();
      t1.model.dispose();
      const last = path.join(out, 'last.ckpt');
      const before = fs.readFileSync(last);
      const t2 = new Trainer({ ...cfg, maxSteps: 6 }, data, log);
      await t2.restore(last);
      const realNow = Date.now;
      const frozen = realNow();
      const tmp = path.join(out, `.last.ckpt.${process.pid}.${frozen}.tmp`);
      trap(tmp);
      let error: Error | undefined;
      Date.now = () => frozen;
      try {
        await t2.run();
      } catch (err) {
        error = err as Error;
      } finally {
        Date.now = realNow;
        untrap(tmp);
      }
      await t2.stopEngine();
      t2.model.dispose();
      return { error, before, last, out, stepReached: t2.state.step };
    }

    /** The previous checkpoint is byte-identical, loads, and a new Trainer resumes from it. */
    async function expectIntact(last: string, before: Buffer, out: string) {
      expect(fs.readFileSync(last).equals(before), 'last.ckpt unchanged').to.equal(true);
      expect(readCheckpoint(last).header.state.step).to.equal(2);
      const t3 = new Trainer(tinyConfig(out), data, log);
      await t3.restore(last);
      expect(t3.state.step).to.equal(2);
      t3.model.dispose();
      expect(temps(out), 'temporary files left').to.deep.equal([]);
    }

    it('a checkpoint path below a regular file (ENOTDIR): the error names the checkpoint', async function () {
      const t = new Trainer(tinyConfig(path.join(dir, 'enotdir')), data, log);
      const blocker = path.join(dir, 'enotdir', 'a-file');
      fs.writeFileSync(blocker, 'not a folder');
      const target = path.join(blocker, 'last.ckpt');
      let error: Error | undefined;
      await t.saveCheckpoint(target).catch((err: Error) => (error = err));
      expect(error?.message).to.match(/ENOTDIR/);
      expect(error?.message).to.contain(`could not write ${target}:`);
      t.model.dispose();
    });

    it('the run folder becomes unwritable mid-run (root-proof): run() fails naming last.ckpt, the previous checkpoint stays intact', async function () {
      // chmod does not stop root, so the temporary file's name is taken by a directory: open() fails
      // with EISDIR for any user, as it would with EACCES in a read-only folder.
      const r = await failingSave(
        'unwritable',
        (tmp) => fs.mkdirSync(tmp),
        (tmp) => fs.rmdirSync(tmp),
      );
      expect(r.error?.message).to.match(/EISDIR/);
      expect(r.error?.message).to.contain(`could not write ${r.last}:`);
      expect(r.stepReached).to.equal(4); // the failing save was the step-4 checkpoint
      await expectIntact(r.last, r.before, r.out);
    });

    it('a read-only run folder (chmod 555; non-root only): same outcome, EACCES', async function () {
      if (process.getuid?.() === 0 || process.platform === 'win32') {
        this.test!.title += ' [skipped: root ignores folder permissions; see the EISDIR test above]';
        this.skip();
      }
      let out = '';
      const r = await failingSave(
        'readonly',
        (tmp) => {
          out = path.dirname(tmp);
          fs.chmodSync(out, 0o555);
        },
        () => fs.chmodSync(out, 0o755),
      );
      expect(r.error?.message).to.match(/EACCES/);
      expect(r.error?.message).to.contain(`could not write ${r.last}:`);
      await expectIntact(r.last, r.before, r.out);
    });

    it('disk full (real ENOSPC: the temporary file is a symlink to /dev/full): clear error, previous checkpoint intact', async function () {
      if (!fs.existsSync('/dev/full')) {
        this.test!.title += ' [skipped: no /dev/full on this system; see the injected ENOSPC test]';
        this.skip();
      }
      const r = await failingSave(
        'enospc',
        (tmp) => fs.symlinkSync('/dev/full', tmp),
        (tmp) => fs.rmSync(tmp, { force: true }),
      );
      expect(r.error?.message).to.contain(`could not write ${r.last}: ENOSPC: no space left on device`);
      expect(fs.existsSync('/dev/full')).to.equal(true);
      await expectIntact(r.last, r.before, r.out);
    });

    it('disk full at fsync (injected ENOSPC, any OS): clear error, temporary file removed, previous checkpoint intact', async function () {
      const realFsync = fs.fsyncSync;
      let injected = 0;
      const r = await failingSave(
        'enospc-fsync',
        () => {
          fs.fsyncSync = (fd: number) => {
            // Fail the fsync of a regular file (the temporary checkpoint), not of the folder.
            if (fs.fstatSync(fd).isFile()) {
              injected++;
              throw Object.assign(new Error('ENOSPC: no space left on device, fsync'), {
                code: 'ENOSPC',
                errno: -28,
                syscall: 'fsync',
              });
            }
            realFsync(fd);
          };
        },
        () => {
          fs.fsyncSync = realFsync;
        },
      );
      expect(injected).to.equal(1);
      expect(r.error?.message).to.contain(`could not write ${r.last}: ENOSPC`);
      await expectIntact(r.last, r.before, r.out);
    });
  });

  describe('non-finite losses', function () {
    it('a batch whose loss is NaN is skipped and logged; parameters and Adam state are unchanged by it', async function () {
      const out = path.join(dir, 'nan-batch');
      const t = new Trainer(tinyConfig(out, { maxSteps: 4, checkpointEvery: 100 }), data, log);
      const engine = await t.startEngine();
      const trainStep = t.trainStep.bind(t);
      const victim = t.model.params.entries()[0][1];
      let calls = 0;
      let poisonedLoss: number | undefined;
      t.trainStep = async (examples) => {
        calls++;
        if (calls !== 2) return trainStep(examples);
        // Poison one parameter for this batch only, then put it back.
        const params = snapshot(t);
        const adam = await engine.optimizerState();
        const saved = victim.clone();
        tf.tidy(() => victim.assign(tf.fill(victim.shape, NaN)));
        poisonedLoss = await trainStep(examples);
        victim.assign(saved);
        saved.dispose();
        expectSame(params, snapshot(t), 'parameters');
        expectSame(adam, await engine.optimizerState(), 'Adam state');
        return poisonedLoss;
      };
      const result = await t.run();
      expect(Number.isNaN(poisonedLoss), `loss ${poisonedLoss}`).to.equal(true);
      expect(result.stoppedBecause).to.equal('max steps (4) reached');
      expect(calls).to.equal(5); // 4 counted steps + the skipped batch
      expect(t.state.step).to.equal(4);
      const skipped = events(out, 'skipped-batch');
      expect(skipped).to.have.length(1);
      expect(skipped[0]).to.include({ step: 2, reason: 'non-finite loss' });
      for (const p of snapshot(t)) expect(p.values.every(Number.isFinite), p.name).to.equal(true);
      const ck = readCheckpoint(path.join(out, 'last.ckpt'));
      expect(ck.header.state.step).to.equal(4);
      await t.stopEngine();
      t.model.dispose();
    });

    it('a model whose weights are all NaN: the run stops after --max-skipped-batches with an error, saving nothing', async function () {
      const out = path.join(dir, 'nan-model');
      const t = new Trainer(
        tinyConfig(out, { maxSteps: 50, maxEpochs: 20, checkpointEvery: 1, maxSkippedBatches: 3 }),
        data,
        log,
      );
      for (const [, v] of t.model.params.entries()) tf.tidy(() => v.assign(tf.fill(v.shape, NaN)));
      let error: Error | undefined;
      await t.run().catch((err: Error) => (error = err));
      expect(error?.message).to.equal(
        '3 consecutive batches had a non-finite loss or gradient (from step 1): the parameters have diverged. ' +
          `Nothing was saved after step 0; resume from ${path.join(out, 'last.ckpt')} with a lower --learning-rate or --clip-norm`,
      );
      expect(t.state.step).to.equal(0);
      expect(events(out, 'skipped-batch')).to.have.length(3);
      // No checkpoint and no model holding NaN weights was written.
      for (const f of ['last.ckpt', 'best.ckpt', path.join('model', 'weights.bin')])
        expect(fs.existsSync(path.join(out, f)), f).to.equal(false);
      await t.stopEngine();
      t.model.dispose();
    });

    it('isolated non-finite batches do not add up: the limit counts consecutive ones', async function () {
      const out = path.join(dir, 'nan-every-other');
      const t = new Trainer(
        tinyConfig(out, { maxSteps: 6, checkpointEvery: 100, maxSkippedBatches: 2 }),
        data,
        log,
      );
      const trainStep = t.trainStep.bind(t);
      let calls = 0;
      // every other batch reports a NaN loss (as a poisoned batch would); the run must still reach max steps
      t.trainStep = async (examples) => (++calls % 2 === 0 ? NaN : trainStep(examples));
      const result = await t.run();
      expect(result.stoppedBecause).to.equal('max steps (6) reached');
      expect(events(out, 'skipped-batch')).to.have.length(5);
      await t.stopEngine();
      t.model.dispose();
    });
  });
});

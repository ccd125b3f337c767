/**
 * The training loop: token-budget bucketed batches, teacher forcing, label-smoothed cross-entropy,
 * Adam with global-norm gradient clipping, validation (loss + greedy BLEU) every `validEvery` steps,
 * learning-rate decay on plateau, early stopping, `last`/`best` checkpoints with exact resume, and the
 * best model exported as a model directory (<out>/model).
 *
 * run() in steps: trainEpochs → trainEpoch → (trainStep, countStep, validateOrCheckpoint) → finish.
 * Selection and the plateau schedule are in selection.ts, progress reports in progress.ts, test-set scoring
 * in test-sets.ts, the model card's info in trained-model.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Rng } from '../util/rng.js';
import { type Example, makeBatches, targetTokens } from '../data/batching.js';
import { Seq2Seq } from '../model/seq2seq.js';
import { assignWeights, readParams } from '../model/weights-io.js';
import { LocalEngine, type TrainingEngine } from './engine.js';
import { ParallelEngine, defaultWorkers } from './parallel.js';
import { currentBackend } from '../backend/select.js';
import { updateModelInfo } from '../translate/model-dir.js';
import type { TrainConfig } from './config.js';
import {
  type TrainState,
  checkpointOptimizer,
  initialTrainState,
  readCheckpoint,
  writeCheckpoint,
} from './checkpoint.js';
import type { PreparedData } from './prepare.js';
import { TrainProgress } from './progress.js';
import { keepValidationCheckpoint } from './run-folder.js';
import {
  type SetScores,
  advanceSchedule,
  bestScoresFromMetrics,
  earlyStopReason,
  logValidation,
  validateAll,
} from './selection.js';
import { TEST_BEAM, scoreTestSets } from './test-sets.js';
import { exportTrainedModel, modelConfigFor } from './trained-model.js';
import type { Logger } from '../util/log.js';

export interface TrainResult {
  state: TrainState;
  stoppedBecause: string;
  modelDir: string;
}

/**
 * Observers of the loop for tools that watch a run from outside (the crash-safety check records the steps
 * with them: src/faults/probe.ts). They see the run; they do not change it.
 */
export interface TrainerHooks {
  /** The update of step `step` is applied; called before any checkpoint of that step is saved. */
  stepDone?(step: number): void;
  /** restore() has loaded a checkpoint at step `step`. */
  resumed?(step: number): void;
}

/** What one run() keeps from step to step. */
interface RunContext {
  /** Wall-clock origin of state.elapsedSeconds (earlier than now when resumed). */
  start: number;
  progress: TrainProgress;
  /** Consecutive batches with a non-finite loss. */
  skippedInARow: number;
}

export class Trainer {
  readonly model: Seq2Seq;
  private engine?: TrainingEngine;
  private rng: Rng;
  state: TrainState;
  private stopRequested = false;
  /** Scores of every validation set at the best step (for the model card). */
  private bestValid?: SetScores;
  readonly paths: { last: string; best: string; metrics: string; modelDir: string };

  constructor(
    readonly cfg: TrainConfig,
    readonly data: PreparedData,
    private readonly log: Logger,
    private readonly hooks: TrainerHooks = {},
  ) {
    this.model = new Seq2Seq(
      modelConfigFor(
        cfg,
        data.srcTokenizer.vocabSize,
        data.tgtTokenizer.vocabSize,
        path.resolve(data.srcTokenizerFile) === path.resolve(data.tgtTokenizerFile),
      ),
      cfg.seed,
    );
    this.rng = new Rng(cfg.seed * 7919 + 1);
    this.state = initialTrainState(this.rng.state, cfg.learningRate);
    fs.mkdirSync(cfg.out, { recursive: true });
    this.paths = {
      last: path.join(cfg.out, 'last.ckpt'),
      best: path.join(cfg.out, 'best.ckpt'),
      metrics: path.join(cfg.out, 'metrics.jsonl'),
      modelDir: path.join(cfg.out, 'model'),
    };
  }

  /** Ask the loop to save and stop after the current step (Ctrl-C). */
  requestStop(): void {
    this.stopRequested = true;
  }

  /**
   * Batches of an epoch, as examples: a pure function of (seed, epoch) (the epoch's examples are too, see
   * prepare.ts), so resuming needs only the index.
   */
  private epochBatches(epoch: number): Example[][] {
    const examples = this.data.epochExamples(epoch);
    return makeBatches(
      examples,
      { tokenBudget: this.cfg.tokenBudget, maxSentences: this.cfg.maxSentences },
      new Rng(this.cfg.seed * 1_000_003 + epoch),
    ).map((batch) => batch.map((i) => examples[i]));
  }

  /** Start the engine: data-parallel worker threads, or this thread when one worker is asked for. */
  async startEngine(): Promise<TrainingEngine> {
    if (this.engine) return this.engine;
    const backend = currentBackend()?.name ?? 'cpu';
    const workers = this.cfg.workers > 0 ? this.cfg.workers : defaultWorkers(backend);
    const settings = {
      labelSmoothing: this.cfg.labelSmoothing,
      guidedAlignment: this.cfg.guidedAlignment,
      clipNorm: this.cfg.clipNorm,
      learningRate: this.state.learningRate,
    };
    if (workers <= 1) {
      this.engine = new LocalEngine(this.model, settings);
    } else {
      this.engine = await ParallelEngine.start({
        workers,
        backend,
        model: this.model,
        seed: this.cfg.seed,
        settings,
      });
      // Replicas start from the Trainer's weights (the same seed gives the same init; this also covers restores).
      await this.engine.loadState(this.model, []);
    }
    this.log.info(
      `training engine: ${workers <= 1 ? 'this thread' : `${workers} data-parallel worker threads`} on ${backend}`,
    );
    return this.engine;
  }

  async stopEngine(): Promise<void> {
    await this.engine?.dispose();
    this.engine = undefined;
  }

  /** One optimisation step on `examples`; returns the mean token loss. */
  async trainStep(examples: Example[]): Promise<number> {
    const engine = await this.startEngine();
    const stepSeed = this.rng.int(2 ** 31 - 1);
    this.state.rngState = this.rng.state;
    return engine.step(examples, stepSeed);
  }

  async run(): Promise<TrainResult> {
    const run: RunContext = {
      start: Date.now() - this.state.elapsedSeconds * 1000,
      progress: new TrainProgress(this.log, (record) => this.appendMetrics(record)),
      skippedInARow: 0,
    };
    const stoppedBecause = await this.trainEpochs(run);
    return this.finish(stoppedBecause, run);
  }

  /** Epochs from the current position on; returns why training stopped. */
  private async trainEpochs(run: RunContext): Promise<string> {
    for (; this.state.epoch < this.cfg.maxEpochs; this.state.epoch++, this.state.batchInEpoch = 0) {
      const stop = await this.trainEpoch(run);
      if (stop) return stop;
    }
    return 'max epochs reached';
  }

  /** The rest of the current epoch; returns a reason to stop, if any. */
  private async trainEpoch(run: RunContext): Promise<string | undefined> {
    const batches = this.epochBatches(this.state.epoch);
    run.progress.start(batches.length, this.state);
    while (this.state.batchInEpoch < batches.length) {
      // Also checked before the first step: resuming a run that already reached --max-steps (killed
      // during its final validation/export) must not train one step more.
      const limit = this.maxStepsReached();
      if (limit) return limit;
      const examples = batches[this.state.batchInEpoch];
      const tokens = targetTokens(examples);
      const loss = await this.trainStep(examples);
      this.state.batchInEpoch++;
      if (!Number.isFinite(loss)) {
        this.skipBatch(run);
        continue;
      }
      run.skippedInARow = 0;
      this.countStep(run, batches.length, loss, tokens);
      const stop = (await this.validateOrCheckpoint(run, batches.length)) ?? this.stopReason();
      if (stop) return stop;
      // Let signal handlers (Ctrl-C) run between steps.
      await new Promise((r) => setImmediate(r));
    }
    run.progress.stop();
    return undefined;
  }

  /** A batch whose loss or gradient is not finite: logged and skipped; too many in a row end the run. */
  private skipBatch(run: RunContext): void {
    const step = this.state.step + 1;
    this.log.warn({ step }, 'non-finite loss or gradient: batch skipped, parameters unchanged');
    this.appendMetrics({ event: 'skipped-batch', step, reason: 'non-finite loss' });
    if (++run.skippedInARow >= this.cfg.maxSkippedBatches) {
      run.progress.stop();
      // Nothing is saved: the checkpoints on disk hold the last finite parameters.
      throw new Error(
        `${run.skippedInARow} consecutive batches had a non-finite loss or gradient (from step ${step}): ` +
          `the parameters have diverged. Nothing was saved after step ${this.state.step}; ` +
          `resume from ${this.paths.last} with a lower --learning-rate or --clip-norm`,
      );
    }
  }

  /** Counts a step whose update is applied: its number, target tokens, training time, progress. */
  private countStep(run: RunContext, batches: number, loss: number, tokens: number): void {
    this.state.step++;
    this.state.targetTokensSeen += tokens;
    this.hooks.stepDone?.(this.state.step);
    this.state.elapsedSeconds = (Date.now() - run.start) / 1000;
    run.progress.step(this.state, batches, loss, tokens);
  }

  /**
   * Every `validEvery` steps a validation (which saves the checkpoints), else every `checkpointEvery` steps
   * a `last` checkpoint; returns a reason to stop (early stopping), if any.
   */
  private async validateOrCheckpoint(run: RunContext, batches: number): Promise<string | undefined> {
    if (this.state.step % this.cfg.validEvery === 0) {
      run.progress.stop();
      const stop = await this.validateAndSchedule();
      if (stop) return stop;
      run.progress.restart(batches, this.state);
    } else if (this.state.step % this.cfg.checkpointEvery === 0) {
      await this.saveCheckpoint(this.paths.last);
    }
    return undefined;
  }

  private maxStepsReached(): string | undefined {
    const { maxSteps } = this.cfg;
    if (maxSteps !== undefined && this.state.step >= maxSteps) return `max steps (${maxSteps}) reached`;
    return undefined;
  }

  /** After a step: the step or time limit reached, or a stop requested (Ctrl-C). */
  private stopReason(): string | undefined {
    const { maxMinutes } = this.cfg;
    const limit = this.maxStepsReached();
    if (limit) return limit;
    if (maxMinutes !== undefined && this.state.elapsedSeconds >= maxMinutes * 60)
      return `time limit (${maxMinutes} min) reached`;
    if (this.stopRequested) return 'interrupted';
    return undefined;
  }

  /**
   * Saves `last`; unless interrupted, validates the final step if it was not validated yet (so the exported
   * model is the best one seen) and scores the test sets; logs and records why training stopped.
   */
  private async finish(stoppedBecause: string, run: RunContext): Promise<TrainResult> {
    const interrupted = stoppedBecause === 'interrupted';
    run.progress.stop();
    await this.saveCheckpoint(this.paths.last);
    if (!interrupted && this.state.lastValidStep !== this.state.step) await this.validateAndSchedule(true);
    await this.stopEngine();
    if (!interrupted) this.recordTestScores();
    const s = this.state;
    this.log.info(
      s.bestBleu < 0
        ? `stopped: ${stoppedBecause} at step ${s.step}, before the first validation; resume with --resume`
        : `stopped: ${stoppedBecause}; best validation BLEU ${s.bestBleu.toFixed(2)} at step ${s.bestStep}; model in ${this.paths.modelDir}`,
    );
    this.appendMetrics({
      event: 'stop',
      step: s.step,
      reason: stoppedBecause,
      bestBleu: s.bestBleu,
      bestStep: s.bestStep,
      elapsedSeconds: s.elapsedSeconds,
    });
    return { state: s, stoppedBecause, modelDir: this.paths.modelDir };
  }

  /**
   * Validates, keeps the best (best.ckpt and the exported model), decays the learning rate on plateau and
   * saves `last`; returns a reason to stop (early stopping), if any. The `final` validation only selects.
   */
  private async validateAndSchedule(final = false): Promise<string | undefined> {
    const t0 = Date.now();
    await this.engine?.syncTo(this.model);
    const v = validateAll(this.model, this.data, this.cfg);
    const s = this.state;
    const { improved, decayedTo } = advanceSchedule(s, this.cfg, v.selected.bleu, final);
    if (decayedTo !== undefined) {
      this.setLearningRate(decayedTo);
      this.log.info(`learning rate → ${decayedTo.toExponential(2)}`);
    }
    logValidation(this.log, v, s.step, improved, t0);
    this.appendMetrics({
      event: 'valid',
      step: s.step,
      epoch: s.epoch + 1,
      validLoss: v.selected.loss,
      bleu: v.selected.bleu,
      chrf: v.selected.chrf,
      selectOn: v.chosen,
      sets: v.sets,
      learningRate: s.learningRate,
      elapsedSeconds: s.elapsedSeconds,
      best: improved,
    });
    if (improved) {
      this.bestValid = v.sets;
      await this.saveCheckpoint(this.paths.best);
      this.exportModel();
    }
    await this.saveCheckpoint(this.paths.last);
    if (this.cfg.keepCheckpoints > 0)
      keepValidationCheckpoint(this.paths.last, s.step, this.cfg.keepCheckpoints);
    return final ? undefined : earlyStopReason(s, this.cfg);
  }

  /** The --test files scored with the exported (best) model: logged, in metrics.jsonl and in info.tests. */
  private recordTestScores(): void {
    const sets = scoreTestSets(this.paths.modelDir, this.data.testSets, this.log);
    if (!sets) return;
    const tests = { step: this.state.bestStep, beam: TEST_BEAM, sets };
    this.appendMetrics({ event: 'test', ...tests });
    updateModelInfo(this.paths.modelDir, { tests });
  }

  private setLearningRate(lr: number): void {
    this.engine?.setLearningRate(lr);
  }

  exportModel(): void {
    exportTrainedModel(this.paths.modelDir, this.model, this.cfg, this.state, this.data, this.bestValid);
  }

  async saveCheckpoint(file: string): Promise<void> {
    const engine = await this.startEngine();
    await engine.syncTo(this.model);
    // Weights are read after the last await: dataSync may hand out views of backend memory.
    const optimizer = await engine.optimizerState();
    writeCheckpoint(
      file,
      {
        config: this.cfg,
        state: { ...this.state },
        srcTokenizerFile: this.data.srcTokenizerFile,
        tgtTokenizerFile: this.data.tgtTokenizerFile,
      },
      readParams(this.model.params),
      optimizer,
    );
  }

  /**
   * Restore weights, optimizer and position from a checkpoint file. A `learningRate` given now (the user
   * typed --learning-rate beside --resume) replaces the checkpoint's: that is the advice after a
   * divergence, and the way to finish a run at a lower rate.
   */
  async restore(file: string, learningRate?: number): Promise<void> {
    const ck = readCheckpoint(file);
    assignWeights(this.model.params, ck.header.weights, ck.weightBytes, file);
    const optimizer = checkpointOptimizer(ck);
    this.state = { ...ck.header.state };
    if (learningRate !== undefined && learningRate !== this.state.learningRate) {
      this.log.info(
        `--learning-rate ${learningRate} replaces the checkpoint's ${this.state.learningRate}; the next ` +
          'plateau decay starts from it',
      );
      this.state.learningRate = learningRate;
      this.state.evalsSinceDecay = 0;
    }
    // The scores of every set at the best step (for the model card) are not in a checkpoint; metrics.jsonl
    // has them. Without this, an export before the next improvement would lose them.
    this.bestValid =
      this.state.bestBleu < 0 ? undefined : bestScoresFromMetrics(this.paths.metrics, this.state.bestStep);
    const engine = await this.startEngine();
    await engine.loadState(this.model, optimizer);
    this.rng = Rng.fromState(this.state.rngState);
    this.setLearningRate(this.state.learningRate);
    this.log.info(
      `resumed from ${file}: step ${this.state.step}, epoch ${this.state.epoch + 1}, batch ${this.state.batchInEpoch}`,
    );
    this.hooks.resumed?.(this.state.step);
  }

  appendMetrics(record: Record<string, unknown>): void {
    fs.appendFileSync(
      this.paths.metrics,
      JSON.stringify({ time: new Date().toISOString(), ...record }) + '\n',
    );
  }
}

/**
 * The training loop: token-budget bucketed batches, teacher forcing, label-smoothed cross-entropy,
 * Adam with global-norm gradient clipping, validation (loss + greedy BLEU) every `validEvery` steps,
 * learning-rate decay on plateau, early stopping, `last`/`best` checkpoints with exact resume, and the
 * best model exported as a model directory (<out>/model).
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import cliProgress from 'cli-progress';
import { Rng } from '../data/rng.js';
import { type Example, makeBatches, toTensorBatch, disposeBatch, targetTokens } from '../data/batching.js';
import { Seq2Seq } from '../model/seq2seq.js';
import { ModelConfigSchema, type ModelConfig } from '../model/config.js';
import { assignWeights, encodeWeights, readParams } from '../model/weights-io.js';
import { saveModelDir } from '../model/model-dir.js';
import type { TrainConfig } from './config.js';
import { type TrainState, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { prepareData, type PreparedData } from './prepare.js';
import { validate } from './validate.js';
import type { Logger } from '../util/log.js';

export interface TrainResult {
  state: TrainState;
  stoppedBecause: string;
  modelDir: string;
}

export function modelConfigFor(cfg: TrainConfig, srcVocab: number, tgtVocab: number): ModelConfig {
  return ModelConfigSchema.parse({
    srcVocabSize: srcVocab,
    tgtVocabSize: tgtVocab,
    embeddingSize: cfg.embeddingSize,
    encoderHiddenSize: cfg.hiddenSize,
    encoderLayers: cfg.encoderLayers,
    decoderHiddenSize: cfg.hiddenSize,
    attentionSize: cfg.attentionSize,
    outputSize: cfg.outputSize,
    dropout: cfg.dropout,
  });
}

export class Trainer {
  readonly model: Seq2Seq;
  private readonly optimizer: tf.AdamOptimizer;
  private readonly vars: tf.Variable[];
  private rng: Rng;
  state: TrainState;
  private stopRequested = false;
  readonly paths: { last: string; best: string; metrics: string; modelDir: string };

  constructor(
    readonly cfg: TrainConfig,
    readonly data: PreparedData,
    private readonly log: Logger,
  ) {
    this.model = new Seq2Seq(modelConfigFor(cfg, data.srcTokenizer.vocabSize, data.tgtTokenizer.vocabSize), cfg.seed);
    this.vars = this.model.params.entries().map(([, v]) => v);
    this.optimizer = tf.train.adam(cfg.learningRate);
    this.rng = new Rng(cfg.seed * 7919 + 1);
    this.state = {
      step: 0,
      epoch: 0,
      batchInEpoch: 0,
      rngState: this.rng.state,
      learningRate: cfg.learningRate,
      bestBleu: -1,
      bestStep: 0,
      lastValidStep: -1,
      evalsWithoutImprovement: 0,
      evalsSinceDecay: 0,
      elapsedSeconds: 0,
      targetTokensSeen: 0,
    };
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

  /** Batches of an epoch: a pure function of (seed, epoch), so resuming needs only the index. */
  private epochBatches(epoch: number): number[][] {
    return makeBatches(this.data.train, { tokenBudget: this.cfg.tokenBudget, maxSentences: this.cfg.maxSentences }, new Rng(this.cfg.seed * 1_000_003 + epoch));
  }

  /** One optimisation step on `examples`; returns the mean token loss. */
  trainStep(examples: Example[]): number {
    const batch = toTensorBatch(examples);
    const seeds = () => this.rng.int(2 ** 31 - 1);
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => this.model.loss(batch, true, seeds, this.cfg.labelSmoothing), this.vars);
      const names = Object.keys(grads);
      const norm = tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n])))));
      const scale = tf.minimum(1, tf.div(this.cfg.clipNorm, tf.add(norm, 1e-6)));
      const clipped: { name: string; tensor: tf.Tensor }[] = names.map((name) => ({ name, tensor: tf.mul(grads[name], scale) }));
      const finite = tf.all(tf.isFinite(value)).dataSync()[0] === 1 && tf.all(tf.isFinite(norm)).dataSync()[0] === 1;
      if (finite) this.optimizer.applyGradients(clipped);
      return finite ? value : tf.scalar(NaN);
    });
    const value = loss.dataSync()[0];
    loss.dispose();
    disposeBatch(batch);
    this.state.rngState = this.rng.state;
    return value;
  }

  async run(): Promise<TrainResult> {
    const { cfg, log } = this;
    const start = Date.now() - this.state.elapsedSeconds * 1000;
    let stoppedBecause = 'max epochs reached';
    const tty = process.stderr.isTTY;
    const bar = tty
      ? new cliProgress.SingleBar(
          { format: 'epoch {epoch} |{bar}| {value}/{total} batches | step {step} | loss {loss} | {tps} tgt tok/s | ETA {eta_formatted}', stream: process.stderr, etaBuffer: 50 },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
    let recentLoss = 0;
    let recentTokens = 0;
    let windowStart = Date.now();
    let windowTokens = 0;
    outer: for (; this.state.epoch < cfg.maxEpochs; this.state.epoch++, this.state.batchInEpoch = 0) {
      const batches = this.epochBatches(this.state.epoch);
      bar?.start(batches.length, this.state.batchInEpoch, { epoch: this.state.epoch + 1, step: this.state.step, loss: '-', tps: '-' });
      while (this.state.batchInEpoch < batches.length) {
        const examples = batches[this.state.batchInEpoch].map((i) => this.data.train[i]);
        const n = targetTokens(examples);
        const loss = this.trainStep(examples);
        this.state.batchInEpoch++;
        if (!Number.isFinite(loss)) {
          log.warn({ step: this.state.step + 1 }, 'non-finite loss or gradient: batch skipped, parameters unchanged');
          this.appendMetrics({ event: 'skipped-batch', step: this.state.step + 1, reason: 'non-finite loss' });
          continue;
        }
        this.state.step++;
        this.state.targetTokensSeen += n;
        recentLoss += loss * n;
        recentTokens += n;
        windowTokens += n;
        this.state.elapsedSeconds = (Date.now() - start) / 1000;
        const tps = windowTokens / Math.max(1e-3, (Date.now() - windowStart) / 1000);
        bar?.update(this.state.batchInEpoch, { step: this.state.step, loss: (recentLoss / recentTokens).toFixed(3), tps: tps.toFixed(0) });
        if (this.state.step % 50 === 0) {
          if (!tty) log.info(`epoch ${this.state.epoch + 1} batch ${this.state.batchInEpoch}/${batches.length} step ${this.state.step} loss ${(recentLoss / recentTokens).toFixed(3)} ${tps.toFixed(0)} tgt tok/s`);
          this.appendMetrics({ event: 'train', step: this.state.step, epoch: this.state.epoch + 1, loss: recentLoss / recentTokens, targetTokensPerSec: tps, learningRate: this.state.learningRate, elapsedSeconds: this.state.elapsedSeconds });
          recentLoss = 0;
          recentTokens = 0;
          windowStart = Date.now();
          windowTokens = 0;
        }
        if (this.state.step % cfg.validEvery === 0) {
          bar?.stop();
          const stop = await this.validateAndSchedule();
          if (stop) {
            stoppedBecause = stop;
            break outer;
          }
          bar?.start(batches.length, this.state.batchInEpoch, { epoch: this.state.epoch + 1, step: this.state.step, loss: '-', tps: '-' });
          windowStart = Date.now();
          windowTokens = 0;
        } else if (this.state.step % cfg.checkpointEvery === 0) {
          await this.saveCheckpoint(this.paths.last);
        }
        if (cfg.maxSteps !== undefined && this.state.step >= cfg.maxSteps) {
          stoppedBecause = `max steps (${cfg.maxSteps}) reached`;
          break outer;
        }
        if (cfg.maxMinutes !== undefined && this.state.elapsedSeconds >= cfg.maxMinutes * 60) {
          stoppedBecause = `time limit (${cfg.maxMinutes} min) reached`;
          break outer;
        }
        if (this.stopRequested) {
          stoppedBecause = 'interrupted';
          break outer;
        }
        // Let signal handlers (Ctrl-C) run between steps.
        await new Promise((r) => setImmediate(r));
      }
      bar?.stop();
    }
    bar?.stop();
    await this.saveCheckpoint(this.paths.last);
    if (stoppedBecause !== 'interrupted' && this.state.lastValidStep !== this.state.step) {
      // Make sure the exported model is the best one seen, including a final validation.
      await this.validateAndSchedule(true);
    }
    log.info(`stopped: ${stoppedBecause}; best validation BLEU ${this.state.bestBleu.toFixed(2)} at step ${this.state.bestStep}; model in ${this.paths.modelDir}`);
    this.appendMetrics({ event: 'stop', step: this.state.step, reason: stoppedBecause, bestBleu: this.state.bestBleu, bestStep: this.state.bestStep, elapsedSeconds: this.state.elapsedSeconds });
    return { state: this.state, stoppedBecause, modelDir: this.paths.modelDir };
  }

  /** Validate, keep the best, decay the learning rate on plateau; returns a reason to stop, if any. */
  private async validateAndSchedule(final = false): Promise<string | undefined> {
    const t0 = Date.now();
    const r = validate(this.model, this.data.valid, this.data.splits.valid, this.data.tgtTokenizer, { tokenBudget: this.cfg.tokenBudget, bleuSentences: this.cfg.bleuSentences });
    const s = this.state;
    s.lastValidStep = s.step;
    const improved = r.bleu > s.bestBleu;
    if (improved) {
      s.bestBleu = r.bleu;
      s.bestStep = s.step;
      s.evalsWithoutImprovement = 0;
      s.evalsSinceDecay = 0;
    } else {
      s.evalsWithoutImprovement++;
      s.evalsSinceDecay++;
    }
    if (!final && !improved && s.evalsSinceDecay >= this.cfg.lrPatience && s.learningRate > this.cfg.minLearningRate) {
      s.learningRate = Math.max(this.cfg.minLearningRate, s.learningRate * this.cfg.lrDecay);
      s.evalsSinceDecay = 0;
      this.setLearningRate(s.learningRate);
      this.log.info(`learning rate → ${s.learningRate.toExponential(2)}`);
    }
    this.log.info(
      `validation at step ${s.step}: loss ${r.loss.toFixed(3)}, greedy BLEU ${r.bleu.toFixed(2)}, chrF ${r.chrf.toFixed(2)}${improved ? ' (best)' : ''} [${((Date.now() - t0) / 1000).toFixed(0)} s]`,
    );
    for (const smp of r.samples) this.log.info(`  ${smp.src} → ${smp.hyp}  (ref: ${smp.ref})`);
    this.appendMetrics({ event: 'valid', step: s.step, epoch: s.epoch + 1, validLoss: r.loss, bleu: r.bleu, chrf: r.chrf, learningRate: s.learningRate, elapsedSeconds: s.elapsedSeconds, best: improved });
    if (improved) {
      await this.saveCheckpoint(this.paths.best);
      this.exportModel();
    }
    await this.saveCheckpoint(this.paths.last);
    if (final) return undefined;
    if (s.evalsWithoutImprovement >= this.cfg.earlyStopPatience) return `early stopping (${s.evalsWithoutImprovement} validations without improvement)`;
    return undefined;
  }

  private setLearningRate(lr: number): void {
    (this.optimizer as unknown as { learningRate: number }).learningRate = lr;
  }

  exportModel(): void {
    saveModelDir(this.paths.modelDir, this.model, {
      srcLang: this.cfg.srcLang,
      tgtLang: this.cfg.tgtLang,
      srcTokenizerFile: this.data.srcTokenizerFile,
      tgtTokenizerFile: this.data.tgtTokenizerFile,
      dtype: this.cfg.saveDtype,
      info: {
        corpus: this.cfg.corpus,
        reverse: this.cfg.reverse,
        split: { seed: this.cfg.seed, validSize: this.cfg.validSize, testSize: this.cfg.testSize, maxChars: this.cfg.maxChars, maxRatio: this.cfg.maxRatio },
        step: this.state.step,
        validBleu: this.state.bestBleu,
        elapsedSeconds: this.state.elapsedSeconds,
        parameters: this.model.parameterCount(),
      },
    });
  }

  async saveCheckpoint(file: string): Promise<void> {
    const weights = encodeWeights(readParams(this.model.params), 'float32');
    const named = await this.optimizer.getWeights();
    const opt = encodeWeights(
      named.map((w) => ({ name: w.name, shape: w.tensor.shape, values: Float32Array.from(w.tensor.dataSync() as Float32Array) })),
      'float32',
    );
    writeCheckpoint(
      file,
      { config: this.cfg, state: { ...this.state }, srcTokenizerFile: this.data.srcTokenizerFile, tgtTokenizerFile: this.data.tgtTokenizerFile, weights: weights.manifest, optimizer: opt.manifest },
      weights.bytes,
      opt.bytes,
    );
    // getWeights returns the iteration counter as a new tensor; moments are the optimizer's own.
    const iter = named.find((w) => w.name === 'iter');
    iter?.tensor.dispose();
  }

  /** Restore weights, optimizer and position from a checkpoint file. */
  async restore(file: string): Promise<void> {
    const ck = readCheckpoint(file);
    assignWeights(this.model.params, ck.header.weights, ck.weightBytes, file);
    const m = ck.header.optimizer;
    const tensors = m.tensors.map((t) => {
      const n = t.shape.reduce((a, b) => a * b, 1);
      const values = new Float32Array(new Uint8Array(ck.optimizerBytes.subarray(t.offset, t.offset + n * 4)).buffer);
      return { name: t.name, tensor: tf.tensor(values, t.shape, 'float32') };
    });
    await this.optimizer.setWeights(tensors);
    tf.dispose(tensors.map((t) => t.tensor));
    this.state = { ...ck.header.state };
    this.rng = Rng.fromState(this.state.rngState);
    this.setLearningRate(this.state.learningRate);
    this.log.info(`resumed from ${file}: step ${this.state.step}, epoch ${this.state.epoch + 1}, batch ${this.state.batchInEpoch}`);
  }

  appendMetrics(record: Record<string, unknown>): void {
    fs.appendFileSync(this.paths.metrics, JSON.stringify({ time: new Date().toISOString(), ...record }) + '\n');
  }
}

export { prepareData, readCheckpoint };

/**
 * The training loop: token-budget bucketed batches, teacher forcing, label-smoothed cross-entropy,
 * Adam with global-norm gradient clipping, validation (loss + greedy BLEU) every `validEvery` steps,
 * learning-rate decay on plateau, early stopping, `last`/`best` checkpoints with exact resume, and the
 * best model exported as a model directory (<out>/model).
 */
import fs from 'node:fs';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { Rng } from '../util/rng.js';
import { type Example, makeBatches, targetTokens } from '../data/batching.js';
import { Seq2Seq } from '../model/seq2seq.js';
import { ModelConfigSchema, type ModelConfig } from '../model/config.js';
import { assignWeights, encodeWeights, readParams } from '../model/weights-io.js';
import { LocalEngine, type TrainingEngine } from './engine.js';
import type { NamedArray } from './named-array.js';
import { ParallelEngine, defaultWorkers } from './parallel.js';
import { currentBackend } from '../backend/select.js';
import { loadModelDir, saveModelDir, updateModelInfo } from '../translate/model-dir.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { TrainConfig } from './config.js';
import { type TrainState, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { prepareData, type PreparedData } from './prepare.js';
import { heldOutTestPairs } from './run-folder.js';
import { greedyTranslateIds, validate } from './validate.js';
import { corpusBleu, corpusChrf } from '../metrics/index.js';
import { attachProgressBar, type Logger } from '../util/log.js';

export interface TrainResult {
  state: TrainState;
  stoppedBecause: string;
  modelDir: string;
}

/**
 * The model of a training config. A shared vocabulary (both tokenizers one file) allows copying and tying
 * all embeddings; with tied embeddings the deep output has the embedding's size (O = E).
 */
export function modelConfigFor(
  cfg: TrainConfig,
  srcVocab: number,
  tgtVocab: number,
  sharedVocab = false,
): ModelConfig {
  const tie = cfg.tieEmbeddings === 'auto' ? (sharedVocab ? 'all' : 'target') : cfg.tieEmbeddings;
  if (tie === 'all' && !sharedVocab)
    throw new Error(`--tie-embeddings all needs one shared vocabulary (--shared-vocab yes)`);
  return ModelConfigSchema.parse({
    srcVocabSize: srcVocab,
    tgtVocabSize: tgtVocab,
    embeddingSize: cfg.embeddingSize,
    encoderHiddenSize: cfg.hiddenSize,
    encoderLayers: cfg.encoderLayers,
    decoderHiddenSize: cfg.hiddenSize,
    attentionSize: cfg.attentionSize,
    outputSize: tie === 'none' ? cfg.outputSize : cfg.embeddingSize,
    dropout: cfg.dropout,
    tiedEmbeddings: tie,
    // Copying needs source and target ids in one vocabulary; without one it is off.
    copyAttention: cfg.copyAttention && sharedVocab,
  });
}

/** What a model directory records about its training (`info` in config.json; `--split` reads it back). */
export function trainedModelInfo(
  cfg: TrainConfig,
  state: TrainState,
  parameters: number,
  data?: PreparedData,
  validScores?: Record<string, { bleu: number; chrf: number; loss: number }>,
): Record<string, unknown> {
  return {
    // One corpus stays a string, as older model folders (and `evaluate --split`) have it.
    corpus: cfg.corpus.length === 1 ? cfg.corpus[0] : cfg.corpus,
    /** Every corpus the model saw or was measured on; licences are added by hand in the model card. */
    corpora: data && corporaInfo(data),
    validation: validScores && {
      step: state.bestStep,
      selectOn: selectionName(cfg, data),
      sets: validScores,
    },
    reverse: cfg.reverse,
    split: {
      seed: cfg.seed,
      validSize: cfg.validSize,
      testSize: cfg.testSize,
      maxChars: cfg.maxChars,
      maxRatio: cfg.maxRatio,
    },
    step: state.step,
    validBleu: state.bestBleu,
    elapsedSeconds: state.elapsedSeconds,
    parameters,
  };
}

/**
 * What `<corpus>.about.json` beside a corpus file says of it (licence, source, attribution), for the model
 * card and the page: training cannot know a licence otherwise. Absent or unreadable: nothing.
 */
export function corpusAbout(file: string | undefined): Record<string, string> {
  if (!file) return {};
  const about = file.split(',')[0].replace(/\.(tsv|txt)$/i, '') + '.about.json';
  try {
    const json = JSON.parse(fs.readFileSync(about, 'utf8')) as Record<string, unknown>;
    return Object.fromEntries(
      ['licence', 'source', 'attribution']
        .filter((k) => typeof json[k] === 'string')
        .map((k) => [k, json[k] as string]),
    );
  } catch {
    return {};
  }
}

function corporaInfo(data: PreparedData): Record<string, unknown>[] {
  return corporaEntries(data).map((c) => ({ ...c, ...corpusAbout(c.file as string | undefined) }));
}

function corporaEntries(data: PreparedData): Record<string, unknown>[] {
  return [
    ...data.trainCorpora.map((c) => ({
      name: c.name,
      file: c.spec,
      role: 'train',
      pairs: c.pairs.length,
      weight: c.weight,
    })),
    ...data.validSets.map((v) => ({ name: v.name, file: v.source, role: 'valid', pairs: v.pairs.length })),
    ...data.testSets.map((t) => ({ name: t.name, file: t.source, role: 'test', pairs: t.pairs.length })),
    ...(data.splits.test.length > 0
      ? [{ name: 'split', file: data.trainCorpora[0]?.spec, role: 'test', pairs: data.splits.test.length }]
      : []),
  ];
}

/** The validation set that chooses checkpoints (see TrainConfig.selectOn). */
export function selectionName(
  cfg: Pick<TrainConfig, 'selectOn'>,
  data?: Pick<PreparedData, 'validSets'>,
): string {
  if (cfg.selectOn) return cfg.selectOn;
  return data?.validSets[0]?.name ?? 'split';
}

/**
 * Keeps the checkpoint just written to `last` as step-<step>.ckpt beside it and removes the oldest ones
 * beyond `keep`. A hard link costs nothing: `last` is always replaced by a rename, so the link keeps the
 * old file. Filesystems without hard links get a copy, written atomically like every checkpoint.
 */
function keepValidationCheckpoint(last: string, step: number, keep: number): void {
  const dir = path.dirname(last);
  const kept = path.join(dir, `step-${step}.ckpt`);
  fs.rmSync(kept, { force: true });
  try {
    fs.linkSync(last, kept);
  } catch {
    writeFileAtomic(kept, fs.readFileSync(last));
  }
  const steps = fs
    .readdirSync(dir)
    .map((f) => /^step-(\d+)\.ckpt$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  for (const old of steps.slice(0, Math.max(0, steps.length - keep))) {
    fs.rmSync(path.join(dir, `step-${old}.ckpt`), { force: true });
  }
}

export class Trainer {
  readonly model: Seq2Seq;
  private engine?: TrainingEngine;
  private rng: Rng;
  state: TrainState;
  private stopRequested = false;
  /** Scores of every validation set at the best step (for the model card). */
  private bestValid?: Record<string, { bleu: number; chrf: number; loss: number }>;
  readonly paths: { last: string; best: string; metrics: string; modelDir: string };

  constructor(
    readonly cfg: TrainConfig,
    readonly data: PreparedData,
    private readonly log: Logger,
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
    const { cfg, log } = this;
    const start = Date.now() - this.state.elapsedSeconds * 1000;
    let stoppedBecause = 'max epochs reached';
    const tty = process.stderr.isTTY;
    const bar = tty
      ? new cliProgress.SingleBar(
          {
            format:
              'epoch {epoch} |{bar}| {value}/{total} batches | step {step} | loss {loss} | {tps} tgt tok/s | ETA {eta_formatted}',
            stream: process.stderr,
            etaBuffer: 50,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
    // Log lines (validation results, Ctrl-C) then clear the bar's line instead of printing into it.
    attachProgressBar(bar);
    let recentLoss = 0;
    let recentTokens = 0;
    let windowStart = Date.now();
    let windowTokens = 0;
    let skippedInARow = 0;
    outer: for (; this.state.epoch < cfg.maxEpochs; this.state.epoch++, this.state.batchInEpoch = 0) {
      const batches = this.epochBatches(this.state.epoch);
      bar?.start(batches.length, this.state.batchInEpoch, {
        epoch: this.state.epoch + 1,
        step: this.state.step,
        loss: '-',
        tps: '-',
      });
      while (this.state.batchInEpoch < batches.length) {
        // Also checked before the first step: resuming a run that already reached --max-steps (killed
        // during its final validation/export) must not train one step more.
        if (cfg.maxSteps !== undefined && this.state.step >= cfg.maxSteps) {
          stoppedBecause = `max steps (${cfg.maxSteps}) reached`;
          break outer;
        }
        const examples = batches[this.state.batchInEpoch];
        const n = targetTokens(examples);
        const loss = await this.trainStep(examples);
        this.state.batchInEpoch++;
        if (!Number.isFinite(loss)) {
          log.warn(
            { step: this.state.step + 1 },
            'non-finite loss or gradient: batch skipped, parameters unchanged',
          );
          this.appendMetrics({
            event: 'skipped-batch',
            step: this.state.step + 1,
            reason: 'non-finite loss',
          });
          if (++skippedInARow >= cfg.maxSkippedBatches) {
            bar?.stop();
            // Nothing is saved: the checkpoints on disk hold the last finite parameters.
            throw new Error(
              `${skippedInARow} consecutive batches had a non-finite loss or gradient (from step ${this.state.step + 1}): ` +
                `the parameters have diverged. Nothing was saved after step ${this.state.step}; ` +
                `resume from ${this.paths.last} with a lower --learning-rate or --clip-norm`,
            );
          }
          continue;
        }
        skippedInARow = 0;
        this.state.step++;
        this.state.targetTokensSeen += n;
        recentLoss += loss * n;
        recentTokens += n;
        windowTokens += n;
        this.state.elapsedSeconds = (Date.now() - start) / 1000;
        const tps = windowTokens / Math.max(1e-3, (Date.now() - windowStart) / 1000);
        bar?.update(this.state.batchInEpoch, {
          step: this.state.step,
          loss: (recentLoss / recentTokens).toFixed(3),
          tps: tps.toFixed(0),
        });
        if (this.state.step % 50 === 0) {
          if (!tty)
            log.info(
              `epoch ${this.state.epoch + 1} batch ${this.state.batchInEpoch}/${batches.length} step ${this.state.step} loss ${(recentLoss / recentTokens).toFixed(3)} ${tps.toFixed(0)} tgt tok/s`,
            );
          this.appendMetrics({
            event: 'train',
            step: this.state.step,
            epoch: this.state.epoch + 1,
            loss: recentLoss / recentTokens,
            targetTokensPerSec: tps,
            learningRate: this.state.learningRate,
            elapsedSeconds: this.state.elapsedSeconds,
          });
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
          bar?.start(batches.length, this.state.batchInEpoch, {
            epoch: this.state.epoch + 1,
            step: this.state.step,
            loss: '-',
            tps: '-',
          });
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
    await this.stopEngine();
    if (stoppedBecause !== 'interrupted') this.scoreTestSets();
    log.info(
      this.state.bestBleu < 0
        ? `stopped: ${stoppedBecause} at step ${this.state.step}, before the first validation; resume with --resume`
        : `stopped: ${stoppedBecause}; best validation BLEU ${this.state.bestBleu.toFixed(2)} at step ${this.state.bestStep}; model in ${this.paths.modelDir}`,
    );
    this.appendMetrics({
      event: 'stop',
      step: this.state.step,
      reason: stoppedBecause,
      bestBleu: this.state.bestBleu,
      bestStep: this.state.bestStep,
      elapsedSeconds: this.state.elapsedSeconds,
    });
    return { state: this.state, stoppedBecause, modelDir: this.paths.modelDir };
  }

  /** Validate, keep the best, decay the learning rate on plateau; returns a reason to stop, if any. */
  private async validateAndSchedule(final = false): Promise<string | undefined> {
    const t0 = Date.now();
    await this.engine?.syncTo(this.model);
    const results = this.data.validSets.map((set) => ({
      set,
      r: validate(this.model, set.examples, set.pairs, this.data.tgtTokenizer, {
        tokenBudget: this.cfg.tokenBudget,
        bleuSentences: this.cfg.bleuSentences,
      }),
    }));
    if (results.length === 0)
      throw new Error('no validation set: give --valid FILE or keep a held-out split (--valid-size above 0)');
    const chosen = selectionName(this.cfg, this.data);
    const names = chosen.split(',').map((n) => n.trim());
    const picked = results.filter(({ set }) => chosen === 'mean' || names.includes(set.name));
    if (picked.length === 0 || (chosen !== 'mean' && picked.length !== names.length))
      throw new Error(
        `--select-on ${chosen}: no validation set of that name (have: ${results.map((x) => x.set.name).join(', ')}, mean)`,
      );
    const mean = (f: (r: (typeof results)[number]['r']) => number) =>
      picked.reduce((sum, x) => sum + f(x.r), 0) / picked.length;
    const r = { loss: mean((x) => x.loss), bleu: mean((x) => x.bleu), chrf: mean((x) => x.chrf) };
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
    if (
      !final &&
      !improved &&
      s.evalsSinceDecay >= this.cfg.lrPatience &&
      s.learningRate > this.cfg.minLearningRate
    ) {
      s.learningRate = Math.max(this.cfg.minLearningRate, s.learningRate * this.cfg.lrDecay);
      s.evalsSinceDecay = 0;
      this.setLearningRate(s.learningRate);
      this.log.info(`learning rate → ${s.learningRate.toExponential(2)}`);
    }
    for (const { set, r: v } of results)
      this.log.info(
        `validation ${set.name} at step ${s.step}: loss ${v.loss.toFixed(3)}, greedy BLEU ${v.bleu.toFixed(2)}, chrF ${v.chrf.toFixed(2)}`,
      );
    this.log.info(
      `validation at step ${s.step} (${chosen}): greedy BLEU ${r.bleu.toFixed(2)}${improved ? ' (best)' : ''} [${((Date.now() - t0) / 1000).toFixed(0)} s]`,
    );
    for (const smp of results[0].r.samples) this.log.info(`  ${smp.src} → ${smp.hyp}  (ref: ${smp.ref})`);
    const sets = Object.fromEntries(
      results.map(({ set, r: v }) => [set.name, { loss: v.loss, bleu: v.bleu, chrf: v.chrf }]),
    );
    this.appendMetrics({
      event: 'valid',
      step: s.step,
      epoch: s.epoch + 1,
      validLoss: r.loss,
      bleu: r.bleu,
      chrf: r.chrf,
      selectOn: chosen,
      sets,
      learningRate: s.learningRate,
      elapsedSeconds: s.elapsedSeconds,
      best: improved,
    });
    if (improved) {
      this.bestValid = sets;
      await this.saveCheckpoint(this.paths.best);
      this.exportModel();
    }
    await this.saveCheckpoint(this.paths.last);
    if (this.cfg.keepCheckpoints > 0)
      keepValidationCheckpoint(this.paths.last, s.step, this.cfg.keepCheckpoints);
    if (final) return undefined;
    if (s.evalsWithoutImprovement >= this.cfg.earlyStopPatience)
      return `early stopping (${s.evalsWithoutImprovement} validations without improvement)`;
    return undefined;
  }

  /**
   * The --test files, scored with the exported (best) model, beam 5 as `evaluate` scores them; logged,
   * kept in metrics.jsonl and in the model card's info.tests.
   */
  private scoreTestSets(): void {
    if (this.data.testSets.length === 0 || !fs.existsSync(path.join(this.paths.modelDir, 'config.json')))
      return;
    const loaded = loadModelDir(this.paths.modelDir);
    const tests: Record<string, { bleu: number; chrf: number; sentences: number }> = {};
    try {
      for (const set of this.data.testSets) {
        const t0 = Date.now();
        const ids = set.pairs.map((p) => loaded.srcTokenizer.encode(p.src));
        const hyps = greedyTranslateIds(loaded.model, ids, loaded.tgtTokenizer, 64, 5);
        const refs = set.pairs.map((p) => p.tgt);
        tests[set.name] = {
          bleu: corpusBleu(hyps, refs).score,
          chrf: corpusChrf(hyps, refs).score,
          sentences: hyps.length,
        };
        this.log.info(
          `test ${set.name} (beam 5, best model): BLEU ${tests[set.name].bleu.toFixed(2)}, chrF ${tests[set.name].chrf.toFixed(2)}, ${hyps.length} sentences [${((Date.now() - t0) / 1000).toFixed(0)} s]`,
        );
      }
    } finally {
      loaded.model.dispose();
    }
    this.appendMetrics({ event: 'test', step: this.state.bestStep, beam: 5, sets: tests });
    updateModelInfo(this.paths.modelDir, { tests: { step: this.state.bestStep, beam: 5, sets: tests } });
  }

  private setLearningRate(lr: number): void {
    this.engine?.setLearningRate(lr);
  }

  exportModel(): void {
    saveModelDir(this.paths.modelDir, this.model, {
      srcLang: this.cfg.srcLang,
      tgtLang: this.cfg.tgtLang,
      srcTokenizerFile: this.data.srcTokenizerFile,
      tgtTokenizerFile: this.data.tgtTokenizerFile,
      dtype: this.cfg.saveDtype,
      info: trainedModelInfo(this.cfg, this.state, this.model.parameterCount(), this.data, this.bestValid),
      testPairs: heldOutTestPairs(this.cfg, this.data.splits, [
        ...this.data.validSets,
        ...this.data.testSets,
      ]),
    });
  }

  async saveCheckpoint(file: string): Promise<void> {
    const engine = await this.startEngine();
    await engine.syncTo(this.model);
    const weights = encodeWeights(readParams(this.model.params), 'float32');
    const opt = encodeWeights(await engine.optimizerState(), 'float32');
    writeCheckpoint(
      file,
      {
        config: this.cfg,
        state: { ...this.state },
        srcTokenizerFile: this.data.srcTokenizerFile,
        tgtTokenizerFile: this.data.tgtTokenizerFile,
        weights: weights.manifest,
        optimizer: opt.manifest,
      },
      weights.bytes,
      opt.bytes,
    );
  }

  /** Restore weights, optimizer and position from a checkpoint file. */
  async restore(file: string): Promise<void> {
    const ck = readCheckpoint(file);
    assignWeights(this.model.params, ck.header.weights, ck.weightBytes, file);
    const optimizer: NamedArray[] = ck.header.optimizer.tensors.map((t) => {
      const n = t.shape.reduce((a, b) => a * b, 1);
      const values = new Float32Array(
        new Uint8Array(ck.optimizerBytes.subarray(t.offset, t.offset + n * 4)).buffer,
      );
      return { name: t.name, shape: t.shape, values };
    });
    this.state = { ...ck.header.state };
    const engine = await this.startEngine();
    await engine.loadState(this.model, optimizer);
    this.rng = Rng.fromState(this.state.rngState);
    this.setLearningRate(this.state.learningRate);
    this.log.info(
      `resumed from ${file}: step ${this.state.step}, epoch ${this.state.epoch + 1}, batch ${this.state.batchInEpoch}`,
    );
  }

  appendMetrics(record: Record<string, unknown>): void {
    fs.appendFileSync(
      this.paths.metrics,
      JSON.stringify({ time: new Date().toISOString(), ...record }) + '\n',
    );
  }
}

export { prepareData, readCheckpoint };

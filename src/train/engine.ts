/**
 * How an optimisation step is computed. The Trainer owns the schedule, data order and checkpoints;
 * an engine owns the forward/backward/update:
 * - LocalEngine: this thread, on the Trainer's own model.
 * - ParallelEngine (parallel.ts): data-parallel over worker threads, one model replica each.
 */
import * as tf from '@tensorflow/tfjs-core';
import { float32Values } from '../backend/kernels.js';
import type { Example } from '../data/batching.js';
import { toTensorBatch, disposeBatch, targetTokens } from '../data/batching.js';
import type { Seq2Seq } from '../model/seq2seq.js';
import { FusedAdam, type ParamLayout } from './adam.js';
import type { NamedArray } from './named-array.js';

export interface StepSettings {
  labelSmoothing: number;
  /** λ of the guided-alignment cost (0 = off; see src/train/guided-alignment.ts). */
  guidedAlignment?: number;
  clipNorm: number;
  learningRate: number;
}

export interface TrainingEngine {
  /** One step on `examples`; returns the mean token loss, or NaN when the step was skipped (non-finite). */
  step(examples: Example[], stepSeed: number): Promise<number>;
  setLearningRate(lr: number): void;
  /** Copy the engine's current weights into `model` (validation, export). */
  syncTo(model: Seq2Seq): Promise<void>;
  optimizerState(): Promise<NamedArray[]>;
  /** Load weights (already assigned to the Trainer's model) and optimizer state into the engine. */
  loadState(model: Seq2Seq, optimizer: NamedArray[]): Promise<void>;
  dispose(): Promise<void>;
}

/** A seed source for the dropout sites of one step (deterministic in the step seed). */
export function seedSequence(stepSeed: number, stream: number): () => number {
  let i = 0;
  return () => (stepSeed * 31 + stream * 1_000_003 + i++ * 7919) % 2_147_483_647;
}

/** Global-norm clipping factor min(1, clip / ‖g‖). */
export function clipScale(norm: number, clipNorm: number): number {
  return Math.min(1, clipNorm / (norm + 1e-6));
}

/** Σ g² over `grads` in float64, then the square root: the global gradient norm. */
export function globalNorm(grads: Float32Array): number {
  let sq = 0;
  for (let i = 0; i < grads.length; i++) sq += grads[i] * grads[i];
  return Math.sqrt(sq);
}

/** The layout of a model's parameters as FusedAdam (and the flat gradient buffers) see them. */
export function paramLayout(vars: tf.Variable[]): ParamLayout[] {
  return vars.map((v) => ({ name: v.name, shape: v.shape, size: v.size }));
}

/** Copy the values of `tensors` (variables, or their gradients in the same order) into `flat`. */
export function readFlat(tensors: tf.Tensor[], flat: Float32Array): void {
  let offset = 0;
  for (const t of tensors) {
    flat.set(float32Values(t), offset); // nothing allocates between the view and the copy
    offset += t.size;
  }
}

/** Assign `flat` (in `vars` order) back to the variables. */
export function writeFlat(vars: tf.Variable[], flat: Float32Array): void {
  let offset = 0;
  for (const v of vars) {
    const t = tf.tensor(flat.subarray(offset, offset + v.size), v.shape, 'float32');
    v.assign(t);
    t.dispose();
    offset += v.size;
  }
}

/**
 * Gradients of (Σ token losses of `examples`) / normalizer. With normalizer = the whole batch's target
 * tokens, the gradients of the parts of a split batch add up to the gradient of the whole batch's mean.
 */
export function lossAndGrads(
  model: Seq2Seq,
  vars: tf.Variable[],
  examples: Example[],
  normalizer: number,
  labelSmoothing: number,
  seeds: () => number,
  guideWeight = 0,
): { loss: tf.Scalar; grads: tf.NamedTensorMap } {
  const batch = toTensorBatch(examples, model.config.copyAttention, guideWeight > 0);
  try {
    const { value, grads } = tf.variableGrads(
      () => model.loss(batch, true, seeds, labelSmoothing, normalizer, guideWeight),
      vars,
    );
    return { loss: value, grads };
  } finally {
    disposeBatch(batch);
  }
}

export class LocalEngine implements TrainingEngine {
  private readonly adam: FusedAdam;
  private readonly vars: tf.Variable[];
  private readonly weights: Float32Array;
  private readonly grads: Float32Array;

  constructor(
    private readonly model: Seq2Seq,
    private readonly settings: StepSettings,
  ) {
    this.vars = model.params.entries().map(([, v]) => v);
    this.adam = new FusedAdam(paramLayout(this.vars), settings.learningRate);
    this.weights = new Float32Array(this.adam.size);
    this.grads = new Float32Array(this.adam.size);
  }

  async step(examples: Example[], stepSeed: number): Promise<number> {
    const n = targetTokens(examples);
    const lossValue = tf.tidy(() => {
      const { loss, grads } = lossAndGrads(
        this.model,
        this.vars,
        examples,
        n,
        this.settings.labelSmoothing,
        seedSequence(stepSeed, 0),
        this.settings.guidedAlignment,
      );
      readFlat(
        this.vars.map((v) => grads[v.name]),
        this.grads,
      );
      return loss.dataSync()[0];
    });
    const norm = globalNorm(this.grads);
    if (!Number.isFinite(norm) || !Number.isFinite(lossValue)) return NaN;
    // The variables are the source of truth (the Trainer may assign them); read, update, write back.
    readFlat(this.vars, this.weights);
    this.adam.step(this.weights, this.grads, clipScale(norm, this.settings.clipNorm));
    writeFlat(this.vars, this.weights);
    return lossValue;
  }

  setLearningRate(lr: number): void {
    this.adam.learningRate = lr;
  }

  async syncTo(model: Seq2Seq): Promise<void> {
    if (model !== this.model) throw new Error('LocalEngine trains the Trainer model in place');
  }

  async optimizerState(): Promise<NamedArray[]> {
    return this.adam.state();
  }

  async loadState(_model: Seq2Seq, optimizer: NamedArray[]): Promise<void> {
    if (optimizer.length > 0) this.adam.load(optimizer);
  }

  async dispose(): Promise<void> {}
}

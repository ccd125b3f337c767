/**
 * How an optimisation step is computed. The Trainer owns the schedule, data order and checkpoints;
 * an engine owns the forward/backward/update:
 * - LocalEngine: this thread, on the Trainer's own model.
 * - ParallelEngine (parallel.ts): data-parallel over worker threads, one model replica each.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Example } from '../data/batching.js';
import { toTensorBatch, disposeBatch, targetTokens } from '../data/batching.js';
import type { Seq2Seq } from '../model/seq2seq.js';

export interface NamedArray {
  name: string;
  shape: number[];
  values: Float32Array;
}

export interface StepSettings {
  labelSmoothing: number;
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

export async function readOptimizer(opt: tf.Optimizer): Promise<NamedArray[]> {
  const named = await opt.getWeights();
  const out = named.map((w) => ({
    name: w.name,
    shape: w.tensor.shape,
    values: Float32Array.from(w.tensor.dataSync() as Float32Array),
  }));
  named.find((w) => w.name === 'iter')?.tensor.dispose(); // a fresh scalar; the moments are the optimizer's own
  return out;
}

export async function writeOptimizer(opt: tf.Optimizer, state: NamedArray[]): Promise<void> {
  const tensors = state.map((s) => ({ name: s.name, tensor: tf.tensor(s.values, s.shape, 'float32') }));
  await opt.setWeights(tensors);
  tf.dispose(tensors.map((t) => t.tensor));
  const iterations = state.find((s) => s.name === 'iter')?.values[0];
  if (iterations !== undefined) restoreAdamPowers(opt, iterations);
}

/**
 * Adam's bias-correction powers β^(t+1): tfjs's setWeights recomputes them with pow(), which differs in
 * the last bits from the running float32 product that applyGradients keeps, and a resumed run drifted
 * from an uninterrupted one (≈1e-5 in the weights after some steps). Recompute them as applyGradients
 * does: t float32 multiplications (Math.fround of a product of two float32 values is exactly the float32
 * product).
 */
function restoreAdamPowers(opt: tf.Optimizer, iterations: number): void {
  const adam = opt as unknown as Partial<Record<'accBeta1' | 'accBeta2', tf.Variable>> &
    Partial<Record<'beta1' | 'beta2', number>>;
  if (!adam.accBeta1 || !adam.accBeta2 || adam.beta1 === undefined || adam.beta2 === undefined) return;
  const power = (beta: number) => {
    const b = Math.fround(beta);
    let acc = b;
    for (let i = 0; i < iterations; i++) acc = Math.fround(acc * b);
    return acc;
  };
  const b1 = tf.scalar(power(adam.beta1));
  const b2 = tf.scalar(power(adam.beta2));
  adam.accBeta1.assign(b1);
  adam.accBeta2.assign(b2);
  tf.dispose([b1, b2]);
}

export function setLr(opt: tf.Optimizer, lr: number): void {
  (opt as unknown as { learningRate: number }).learningRate = lr;
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
): { loss: tf.Scalar; grads: tf.NamedTensorMap } {
  const batch = toTensorBatch(examples);
  try {
    const { value, grads } = tf.variableGrads(
      () => model.loss(batch, true, seeds, labelSmoothing, normalizer),
      vars,
    );
    return { loss: value, grads };
  } finally {
    disposeBatch(batch);
  }
}

export class LocalEngine implements TrainingEngine {
  private readonly optimizer: tf.AdamOptimizer;
  private readonly vars: tf.Variable[];

  constructor(
    private readonly model: Seq2Seq,
    private readonly settings: StepSettings,
  ) {
    this.optimizer = tf.train.adam(settings.learningRate);
    this.vars = model.params.entries().map(([, v]) => v);
  }

  async step(examples: Example[], stepSeed: number): Promise<number> {
    const n = targetTokens(examples);
    const loss = tf.tidy(() => {
      const { loss, grads } = lossAndGrads(
        this.model,
        this.vars,
        examples,
        n,
        this.settings.labelSmoothing,
        seedSequence(stepSeed, 0),
      );
      const names = Object.keys(grads);
      const norm = tf.sqrt(tf.addN(names.map((k) => tf.sum(tf.square(grads[k]))))).dataSync()[0];
      const lossValue = loss.dataSync()[0];
      if (!Number.isFinite(norm) || !Number.isFinite(lossValue)) return tf.scalar(NaN);
      const scale = clipScale(norm, this.settings.clipNorm);
      this.optimizer.applyGradients(names.map((name) => ({ name, tensor: tf.mul(grads[name], scale) })));
      return loss;
    });
    const value = loss.dataSync()[0];
    loss.dispose();
    return value;
  }

  setLearningRate(lr: number): void {
    setLr(this.optimizer, lr);
  }

  async syncTo(model: Seq2Seq): Promise<void> {
    if (model !== this.model) throw new Error('LocalEngine trains the Trainer model in place');
  }

  optimizerState(): Promise<NamedArray[]> {
    return readOptimizer(this.optimizer);
  }

  async loadState(_model: Seq2Seq, optimizer: NamedArray[]): Promise<void> {
    await writeOptimizer(this.optimizer, optimizer);
  }

  async dispose(): Promise<void> {
    this.optimizer.dispose();
  }
}

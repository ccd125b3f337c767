/**
 * Op-level profile of one training step and one greedy translation: kernel counts and time per kernel
 * kind (tf.profile). Kernel times include each kernel's own dispatch; the difference between the wall
 * time and the kernel sum is the framework's per-op overhead (tape, scopes, allocation).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Example } from '../data/batching.js';
import { makeBatches } from '../data/batching.js';
import { Rng } from '../util/rng.js';
import type { Seq2Seq } from '../model/seq2seq.js';
import { LocalEngine } from '../train/engine.js';
import { greedySearch } from '../search/greedy.js';
import { randomSources } from './translate-speed.js';

export interface KernelRow {
  kernel: string;
  count: number;
  ms: number;
}

export interface Profile {
  wallMs: number;
  kernelMs: number;
  kernels: number;
  rows: KernelRow[];
}

async function profileOf(f: () => Promise<void> | void): Promise<Profile> {
  const t0 = performance.now();
  const info = await tf.profile(async () => {
    await f();
  });
  const wallMs = performance.now() - t0;
  const by = new Map<string, KernelRow>();
  for (const k of info.kernels) {
    const row = by.get(k.name) ?? { kernel: k.name, count: 0, ms: 0 };
    row.count++;
    row.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    by.set(k.name, row);
  }
  const rows = [...by.values()].sort((a, b) => b.ms - a.ms);
  return { wallMs, kernelMs: rows.reduce((s, r) => s + r.ms, 0), kernels: info.kernels.length, rows };
}

export async function profileTrainingStep(
  model: Seq2Seq,
  examples: Example[],
  tokenBudget: number,
): Promise<Profile> {
  const engine = new LocalEngine(model, { labelSmoothing: 0.1, clipNorm: 1, learningRate: 1e-3 });
  const [batch] = makeBatches(examples, { tokenBudget }, new Rng(3));
  const exs = batch.map((i) => examples[i]);
  await engine.step(exs, 1); // warm-up
  const p = await profileOf(() => engine.step(exs, 2).then(() => undefined));
  await engine.dispose();
  return p;
}

export async function profileGreedy(model: Seq2Seq): Promise<Profile> {
  const src = randomSources(1, 15, model.config.srcVocabSize);
  const opts = { maxLenRatio: 0, maxLenExtra: 20 };
  greedySearch(model, src, opts);
  return profileOf(() => {
    greedySearch(model, src, opts);
  });
}

export function formatProfile(title: string, p: Profile, top = 15): string {
  const lines = [
    `${title}: wall ${p.wallMs.toFixed(0)} ms, ${p.kernels} kernels, kernel time ${p.kernelMs.toFixed(0)} ms`,
    '| kernel | count | ms | share |',
    '|---|---|---|---|',
  ];
  for (const r of p.rows.slice(0, top))
    lines.push(
      `| ${r.kernel} | ${r.count} | ${r.ms.toFixed(1)} | ${((100 * r.ms) / p.kernelMs).toFixed(1)}% |`,
    );
  return lines.join('\n');
}

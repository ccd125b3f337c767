/** Measurement helpers for the benchmarks: timing statistics, memory, the PyTorch reference. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';

export interface Timing {
  medianMs: number;
  p95Ms: number;
  runs: number;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** Time `f` `runs` times after `warmup` runs. */
export function timeRuns(f: () => void, runs: number, warmup = 2): Timing {
  for (let i = 0; i < warmup; i++) f();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    ms.push(performance.now() - t0);
  }
  return { medianMs: percentile(ms, 50), p95Ms: percentile(ms, 95), runs };
}

export interface MemoryFigures {
  rssMB: number;
  peakRssMB: number;
  numTensors: number;
  tensorMB: number;
}

export function memoryFigures(): MemoryFigures {
  const m = tf.memory();
  return {
    rssMB: process.memoryUsage().rss / 2 ** 20,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    numTensors: m.numTensors,
    tensorMB: m.numBytes / 2 ** 20,
  };
}

export interface TorchFigures {
  params: number;
  trainTokensPerSec: number;
  greedyMs: number;
  batchSentencesPerSec: number;
}

/**
 * Run ../shared/bench/torch_reference.py (Debian python3-torch) with the same dimensions.
 * Returns undefined with a reason when PyTorch or the script is not available.
 */
export function runTorchReference(
  script: string,
  dims: { emb: number; hid: number; vocab: number; batch: number; len: number; steps: number },
): TorchFigures | { unavailable: string } {
  if (!fs.existsSync(script)) return { unavailable: `${script} not found` };
  const args = [
    script,
    '--emb',
    dims.emb,
    '--hid',
    dims.hid,
    '--vocab',
    dims.vocab,
    '--batch',
    dims.batch,
    '--len',
    dims.len,
    '--steps',
    dims.steps,
    '--threads',
    1,
    '--json',
  ].map(String);
  const r = spawnSync('/usr/bin/python3', args, { encoding: 'utf8', timeout: 30 * 60 * 1000 });
  if (r.status !== 0)
    return {
      unavailable: `torch_reference.py failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`,
    };
  const j = JSON.parse(r.stdout.trim().split('\n').pop() as string) as Record<string, number>;
  return {
    params: j.params,
    trainTokensPerSec: j.train_target_tokens_per_s,
    greedyMs: j.greedy_one_sentence_ms,
    batchSentencesPerSec: j.greedy_batch32_sentences_per_s,
  };
}

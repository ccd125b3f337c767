/**
 * What the pages know about the served model: `ModelInfo`, built from a TranslationService's info plus
 * the trainer's optional `metrics.jsonl` log in the model directory (training/validation curves).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ModelConfig } from '../model/config.js';
import type { ServiceInfo } from './service.js';

export interface MetricPoint {
  step: number;
  value: number;
}

export interface TrainingMetrics {
  trainLoss: MetricPoint[];
  validLoss: MetricPoint[];
  bleu: MetricPoint[];
  chrf: MetricPoint[];
}

/** Everything the pages show about the model: plain data, no tensors. */
export interface ModelInfo {
  srcLang: string;
  tgtLang: string;
  parameters: number;
  backend: string;
  model: ModelConfig;
  /** config.json `info`: corpus, step, validBleu, testBleu, testChrf, elapsedSeconds, … */
  info: Record<string, unknown>;
  metrics?: TrainingMetrics;
}

/** Model info from a service plus the optional `metrics.jsonl` in the model directory. */
export function loadModelInfo(service: ServiceInfo): ModelInfo {
  const c = service.config;
  return {
    srcLang: c.srcLang,
    tgtLang: c.tgtLang,
    parameters: service.parameters,
    backend: service.backend,
    model: c.model,
    info: c.info,
    metrics: readMetrics(path.join(service.dir, 'metrics.jsonl')),
  };
}

/** Parse a trainer metrics log (JSON lines); unknown events and malformed lines are skipped. */
export function readMetrics(file: string): TrainingMetrics | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const m: TrainingMetrics = { trainLoss: [], validLoss: [], bleu: [], chrf: [] };
  const push = (list: MetricPoint[], step: unknown, value: unknown) => {
    if (typeof step === 'number' && typeof value === 'number' && Number.isFinite(value))
      list.push({ step, value });
  };
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (e.event === 'train') push(m.trainLoss, e.step, e.loss);
    if (e.event === 'valid') {
      push(m.validLoss, e.step, e.validLoss);
      push(m.bleu, e.step, e.bleu);
      push(m.chrf, e.step, e.chrf);
    }
  }
  return m;
}

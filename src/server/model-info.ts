/**
 * What the pages know about the served model: `ModelInfo`, built from a TranslationService's info plus
 * the trainer's optional `metrics.jsonl` log in the model directory (training/validation curves), and the
 * corpora it was trained and tested on, read from its own config.json (`corporaOf`): never assumed.
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
  /** config.json `info`: corpus, corpora, step, validBleu, testBleu, testChrf, elapsedSeconds, … */
  info: Record<string, unknown>;
  metrics?: TrainingMetrics;
  /** Whether the model folder keeps a word aligner (config.json `lexicon`), which gives the links. */
  lexicon: boolean;
}

/** One corpus a model was trained, validated or tested on, as config.json `info.corpora` lists it. */
export interface CorpusInfo {
  name: string;
  /** The file read, as given to the trainer. */
  file?: string;
  role?: 'train' | 'valid' | 'test';
  pairs?: number;
  /**
   * A training corpus's weight (`--corpus file@12`): each of its pairs is seen this many times an epoch
   * (src/train/augment.ts, weightedEpochPairs). Absent when 1 or not recorded.
   */
  weight?: number;
  /** e.g. "CC-BY 2.0 FR"; absent when nobody recorded it (the page says so rather than guess). */
  licence?: string;
  /** Where the data comes from: a URL (linked on the page) or a description. */
  source?: string;
}

const ROLES = new Set(['train', 'valid', 'test']);

/**
 * The corpora of a model from its config.json `info`: `info.corpora` (entries without a string `name` are
 * left out, fields of the wrong type are dropped), else the older `info.corpus` path alone, else none.
 */
export function corporaOf(info: Record<string, unknown>): CorpusInfo[] {
  if (Array.isArray(info.corpora)) {
    const out: CorpusInfo[] = [];
    for (const e of info.corpora as unknown[]) {
      if (typeof e !== 'object' || e === null) continue;
      const r = e as Record<string, unknown>;
      if (typeof r.name !== 'string' || r.name.trim() === '') continue;
      const str = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v : undefined);
      out.push({
        name: r.name,
        file: str(r.file),
        role: typeof r.role === 'string' && ROLES.has(r.role) ? (r.role as CorpusInfo['role']) : undefined,
        pairs: typeof r.pairs === 'number' && Number.isInteger(r.pairs) && r.pairs >= 0 ? r.pairs : undefined,
        weight:
          r.role === 'train' && typeof r.weight === 'number' && r.weight > 0 && r.weight !== 1
            ? r.weight
            : undefined,
        licence: str(r.licence),
        source: str(r.source),
      });
    }
    if (out.length > 0) return out;
  }
  if (typeof info.corpus === 'string' && info.corpus.trim() !== '') {
    return [{ name: path.basename(info.corpus), file: info.corpus, role: 'train' }];
  }
  return [];
}

/** A source that may be linked: http(s) URLs only (no javascript: or data: links from a config file). */
export function linkableSource(source: string | undefined): string | undefined {
  return source && /^https?:\/\/[^\s"'<>]+$/i.test(source) ? source : undefined;
}

/**
 * The footer's one line about the data: the training corpora (or all, if no roles are recorded) with their
 * licences, each named once.
 */
export function trainingDataLine(corpora: readonly CorpusInfo[]): string {
  if (corpora.length === 0) return 'Training data not recorded in the model.';
  const train = corpora.filter((c) => c.role === 'train');
  const shown = train.length > 0 ? train : corpora;
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const c of shown) {
    const part = `${c.name} (${c.licence ?? 'licence not recorded'})`;
    if (!seen.has(part)) parts.push(part);
    seen.add(part);
  }
  return `Trained on ${parts.join(', ')}.`;
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
    lexicon: Boolean(c.lexicon),
  };
}

/**
 * Parse a trainer metrics log (JSON lines); unknown events and malformed lines are skipped. A run resumed
 * after a crash replays the steps since its last checkpoint and logs them again: a record at or before a
 * step already read replaces the points from there on, so each curve has one point per step.
 */
export function readMetrics(file: string): TrainingMetrics | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const m: TrainingMetrics = { trainLoss: [], validLoss: [], bleu: [], chrf: [] };
  const push = (list: MetricPoint[], step: unknown, value: unknown) => {
    if (typeof step !== 'number' || typeof value !== 'number' || !Number.isFinite(value)) return;
    while (list.length > 0 && list[list.length - 1].step >= step) list.pop();
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

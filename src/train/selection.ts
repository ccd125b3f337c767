/**
 * Checkpoint selection: every validation set scored, the selected score (one set, several, or their mean;
 * see TrainConfig.selectOn), and the plateau schedule it drives: best step, learning-rate decay, early stop.
 */
import fs from 'node:fs';
import type { Seq2Seq } from '../model/seq2seq.js';
import type { Logger } from '../util/log.js';
import type { TrainState } from './checkpoint.js';
import type { TrainConfig } from './config.js';
import type { EncodedSet, PreparedData } from './prepare.js';
import { type ValidationResult, validate } from './validate.js';
import { oneVocabulary } from '../tokenizer/subword.js';

/** Scores of one validation set (BLEU and chrF of greedy translations). */
export interface ValidScores {
  loss: number;
  bleu: number;
  chrf: number;
}

/** Scores of every validation set, by name (metrics.jsonl `sets`; the model card's `validation.sets`). */
export type SetScores = Record<string, ValidScores>;

/** The validation set that chooses checkpoints (see TrainConfig.selectOn). */
export function selectionName(
  cfg: Pick<TrainConfig, 'selectOn'>,
  data?: Pick<PreparedData, 'validSets'>,
): string {
  if (cfg.selectOn) return cfg.selectOn;
  return data?.validSets[0]?.name ?? 'split';
}

export interface Validation {
  results: { set: EncodedSet; r: ValidationResult }[];
  /** The --select-on value (a set name, names separated by commas, or mean). */
  chosen: string;
  /** Mean scores of the chosen sets: what selects checkpoints. */
  selected: ValidScores;
  sets: SetScores;
}

/** Validates `model` on every validation set; throws when there is none or --select-on names none of them. */
export function validateAll(
  model: Seq2Seq,
  data: PreparedData,
  cfg: Pick<TrainConfig, 'tokenBudget' | 'bleuSentences' | 'selectOn'>,
): Validation {
  const results = data.validSets.map((set) => ({
    set,
    r: validate(model, set.examples, set.pairs, data.tgtTokenizer, {
      tokenBudget: cfg.tokenBudget,
      bleuSentences: cfg.bleuSentences,
      blockStutter: oneVocabulary(data.srcTokenizer, data.tgtTokenizer),
    }),
  }));
  if (results.length === 0)
    throw new Error('no validation set: give --valid FILE or keep a held-out split (--valid-size above 0)');
  const chosen = selectionName(cfg, data);
  const names = chosen.split(',').map((n) => n.trim());
  const picked = results.filter(({ set }) => chosen === 'mean' || names.includes(set.name));
  if (picked.length === 0 || (chosen !== 'mean' && picked.length !== names.length))
    throw new Error(
      `--select-on ${chosen}: no validation set of that name (have: ${results.map((x) => x.set.name).join(', ')}, mean)`,
    );
  const mean = (f: (r: ValidationResult) => number) =>
    picked.reduce((sum, x) => sum + f(x.r), 0) / picked.length;
  const selected = { loss: mean((x) => x.loss), bleu: mean((x) => x.bleu), chrf: mean((x) => x.chrf) };
  const sets = Object.fromEntries(
    results.map(({ set, r: v }) => [set.name, { loss: v.loss, bleu: v.bleu, chrf: v.chrf }]),
  );
  return { results, chosen, selected, sets };
}

/**
 * Moves the schedule in `s` on by one validation with selected BLEU `bleu`: a new best, or one more
 * validation without improvement, after which the learning rate may decay (never at the final validation).
 * Returns whether it improved and the new learning rate when it decayed.
 */
export function advanceSchedule(
  s: TrainState,
  cfg: Pick<TrainConfig, 'lrPatience' | 'lrDecay' | 'minLearningRate'>,
  bleu: number,
  final: boolean,
): { improved: boolean; decayedTo?: number } {
  s.lastValidStep = s.step;
  const improved = bleu > s.bestBleu;
  if (improved) {
    s.bestBleu = bleu;
    s.bestStep = s.step;
    s.evalsWithoutImprovement = 0;
    s.evalsSinceDecay = 0;
  } else {
    s.evalsWithoutImprovement++;
    s.evalsSinceDecay++;
  }
  if (!final && !improved && s.evalsSinceDecay >= cfg.lrPatience && s.learningRate > cfg.minLearningRate) {
    s.learningRate = Math.max(cfg.minLearningRate, s.learningRate * cfg.lrDecay);
    s.evalsSinceDecay = 0;
    return { improved, decayedTo: s.learningRate };
  }
  return { improved };
}

/** The reason to stop after too many validations without improvement, if it is time. */
export function earlyStopReason(
  s: TrainState,
  cfg: Pick<TrainConfig, 'earlyStopPatience'>,
): string | undefined {
  if (s.evalsWithoutImprovement >= cfg.earlyStopPatience)
    return `early stopping (${s.evalsWithoutImprovement} validations without improvement)`;
  return undefined;
}

/** The validation lines of the log: each set, the selected score, and a few sample translations. */
export function logValidation(
  log: Logger,
  v: Validation,
  step: number,
  improved: boolean,
  startedAt: number,
): void {
  for (const { set, r } of v.results)
    log.info(
      `validation ${set.name} at step ${step}: loss ${r.loss.toFixed(3)}, greedy BLEU ${r.bleu.toFixed(2)}, chrF ${r.chrf.toFixed(2)}`,
    );
  log.info(
    `validation at step ${step} (${v.chosen}): greedy BLEU ${v.selected.bleu.toFixed(2)}${improved ? ' (best)' : ''} [${((Date.now() - startedAt) / 1000).toFixed(0)} s]`,
  );
  for (const smp of v.results[0].r.samples) log.info(`  ${smp.src} → ${smp.hyp}  (ref: ${smp.ref})`);
}

/**
 * The scores of every set at the best step, read back from metrics.jsonl (the `valid` record marked best at
 * `bestStep`; the last one, should a killed run have validated that step twice). A checkpoint does not hold
 * them: this is how a resumed run's model card keeps them. Undefined when the file has none.
 */
export function bestScoresFromMetrics(metricsFile: string, bestStep: number): SetScores | undefined {
  let text: string;
  try {
    text = fs.readFileSync(metricsFile, 'utf8');
  } catch {
    return undefined;
  }
  let found: SetScores | undefined;
  for (const line of text.split('\n')) {
    let record: { event?: unknown; step?: unknown; best?: unknown; sets?: unknown };
    try {
      record = JSON.parse(line) as typeof record;
    } catch {
      continue; // an empty line, or the last line cut short by a kill
    }
    if (record?.event === 'valid' && record.best === true && record.step === bestStep && record.sets)
      found = record.sets as SetScores;
  }
  return found;
}

/**
 * What a training run may do with its `--out` folder.
 *
 * A folder that already holds a run (checkpoints, metrics.jsonl, model/) is never reused silently: training
 * into it again without `--resume` used to replace a trained model with a fresh one a few steps old. So
 * `train` refuses such a folder unless told what to do with it: `--resume` continues the run there,
 * `--overwrite` deletes that run's files and starts a new one.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CorpusSplits, SentencePair } from '../data/types.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { TrainConfig } from './config.js';

/** Files and folders a training run writes into its folder (trainer.ts). */
const RUN_ENTRIES = ['last.ckpt', 'best.ckpt', 'metrics.jsonl', 'model'];
const KEPT_CHECKPOINT = /^step-\d+\.ckpt$/;

/** The entries of `out` that belong to a training run, sorted; empty when there is none (or no folder). */
export function runEntries(out: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(out);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`cannot read the run folder ${out}: ${(err as Error).message}`, { cause: err });
  }
  return names.filter((n) => RUN_ENTRIES.includes(n) || KEPT_CHECKPOINT.test(n)).sort();
}

export interface RunFolderChoice {
  /** `--resume`: continue the run in the folder. */
  resume?: boolean;
  /** `--overwrite`: delete the run in the folder and start a new one. */
  overwrite?: boolean;
}

/** A command line that contradicts itself or the state of the run folder; the message says what to do. */
export class RunFolderError extends Error {}

/**
 * Checks `out` before training starts and, with `overwrite`, clears it. Returns what it removed (for the
 * log). Throws RunFolderError when the folder holds a run and neither `resume` nor `overwrite` is given.
 */
export function prepareRunFolder(out: string, choice: RunFolderChoice): string[] {
  if (choice.resume && choice.overwrite) {
    throw new RunFolderError('--resume continues the run in --out and --overwrite replaces it: choose one');
  }
  if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) {
    throw new RunFolderError(`--out ${out} is a file, not a folder: give a folder for the run`);
  }
  const found = runEntries(out);
  if (found.length === 0) return [];
  if (choice.resume) {
    // Resuming without last.ckpt starts from scratch; its first validation would replace a trained model/.
    // (A run killed before its first checkpoint has only metrics.jsonl: starting it again loses nothing.)
    const trained = found.filter((f) => f !== 'metrics.jsonl');
    if (!found.includes('last.ckpt') && trained.length > 0) {
      throw new RunFolderError(
        `--resume: ${out} holds ${describe(trained)} but no last.ckpt to continue from: ` +
          'add --overwrite instead to delete them and start again, or choose another --out folder',
      );
    }
    return [];
  }
  if (!choice.overwrite) {
    throw new RunFolderError(
      `--out ${out} already holds a training run (${describe(found)}): ` +
        'add --resume to continue it, --overwrite to delete it and start again, or choose another --out folder',
    );
  }
  // Only the run's own files: the folder may hold other things (notes, the vocab/ a user points at).
  for (const name of found) fs.rmSync(path.join(out, name), { recursive: true, force: true });
  return found;
}

/**
 * Keeps the checkpoint just written to `last` as step-<step>.ckpt beside it and removes the oldest ones
 * beyond `keep`. A hard link costs nothing: `last` is always replaced by a rename, so the link keeps the
 * old file. Filesystems without hard links get a copy, written atomically like every checkpoint.
 */
export function keepValidationCheckpoint(last: string, step: number, keep: number): void {
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

function describe(entries: string[]): string {
  return entries.map((f) => (f === 'model' ? 'model/' : f)).join(', ');
}

/**
 * The test pairs that travel with the model (model/test.tsv): the split held out of the training corpus,
 * so `evaluate --model DIR --split test` works wherever the folder goes. Nothing when the run held none out.
 *
 * A model folder may be committed and published, while the run's validation and test files (`heldOutFiles`,
 * --valid/--test) are data whose lines must never be copied anywhere. Short sentences occur in several
 * corpora, so a pair of the split that is also a line of one of those files is left out of test.tsv.
 */
export function heldOutTestPairs(
  cfg: Pick<TrainConfig, 'testSize'>,
  splits: CorpusSplits,
  heldOutFiles: readonly { pairs: readonly SentencePair[] }[] = [],
): readonly SentencePair[] | undefined {
  if (cfg.testSize === 0 || splits.test.length === 0) return undefined;
  const key = (p: SentencePair) => `${p.src}\t${p.tgt}`;
  const elsewhere = new Set(heldOutFiles.flatMap((f) => f.pairs.map(key)));
  const kept = splits.test.filter((p) => !elsewhere.has(key(p)));
  return kept.length > 0 ? kept : undefined;
}

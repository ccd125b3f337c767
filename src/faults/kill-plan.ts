/** When to SIGKILL a training child: the kill modes and the seeded schedule that mixes them. */
import type { Rng } from '../util/rng.js';

/**
 * - write: inside a write of last.ckpt (its temporary file has just appeared);
 * - after-save: a moment after last.ckpt was replaced;
 * - random: at any moment after the first step;
 * - startup: before the first step (loading, tokenizers, engine start);
 * - at-end: after the last step (final save, validation, export).
 */
export type KillMode = 'write' | 'after-save' | 'random' | 'startup' | 'at-end';

export interface KillPlan {
  mode: KillMode;
  /** Checkpoint saves (write/after-save) to let pass first. */
  skip: number;
  /** Delay in ms (after-save, random, startup, at-end). */
  delay: number;
}

/** The pace of an uninterrupted child, measured on the reference run. */
export interface ChildTiming {
  /** Milliseconds per training step. */
  stepMs: number;
  /** Process start → first step. */
  startupMs: number;
  /** Last step → exit (final save, validation, export). */
  endMs: number;
}

/**
 * The plan of kill number `k`: the mode given in `modes`, else drawn from `rng` (the last kill is 'at-end');
 * delays are drawn within the phase the mode aims at.
 */
export function planKill(
  k: number,
  rng: Rng,
  opts: { kills: number; checkpointEvery: number; modes?: KillMode[] },
  timing: ChildTiming,
): KillPlan {
  const { stepMs, startupMs, endMs } = timing;
  const mode: KillMode =
    opts.modes?.[k] ??
    (k === opts.kills - 1
      ? 'at-end'
      : (() => {
          const r = rng.next();
          return r < 0.45 ? 'write' : r < 0.65 ? 'after-save' : r < 0.9 ? 'random' : 'startup';
        })());
  const window = 3 * opts.checkpointEvery * stepMs;
  const delay =
    mode === 'after-save'
      ? rng.next() * Math.min(30, stepMs)
      : mode === 'random'
        ? rng.next() * window
        : mode === 'startup'
          ? rng.next() * startupMs
          : mode === 'at-end'
            ? rng.next() * 0.5 * Math.min(endMs, 2000)
            : 0;
  return { mode, skip: mode === 'write' || mode === 'after-save' ? rng.int(3) : 0, delay };
}

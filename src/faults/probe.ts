/**
 * The probe: how the fault harness knows exactly which steps a training child had finished when it was
 * killed. A child started with NMT_FAULT_PROBE=<file> gives its Trainer `probeHooks(file)` (see
 * src/cli/train.ts), which append "step N <ms>" once the update of step N is applied and "resumed N <ms>"
 * once a checkpoint at step N is restored. Synchronous appends survive SIGKILL; `readProbe` reads them back.
 */
import fs from 'node:fs';
import type { TrainerHooks } from '../train/trainer.js';

/** The environment variable naming a training child's probe file. */
export const PROBE_ENV = 'NMT_FAULT_PROBE';

/** Trainer hooks that record completed steps and the resume point in `file`. */
export function probeHooks(file: string): TrainerHooks {
  return {
    stepDone: (step) => fs.appendFileSync(file, `step ${step} ${Date.now()}\n`),
    resumed: (step) => fs.appendFileSync(file, `resumed ${step} ${Date.now()}\n`),
  };
}

export interface Probe {
  /** The step restored from last.ckpt, or null when the child started from scratch. */
  resumed: number | null;
  /** Completed steps, in order, and when each one finished (ms since the epoch). */
  steps: number[];
  times: number[];
}

export function readProbe(file: string): Probe {
  const p: Probe = { resumed: null, steps: [], times: [] };
  if (!fs.existsSync(file)) return p;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const [kind, n, t] = line.split(' ');
    if (t === undefined) continue; // an incomplete last line
    if (kind === 'resumed') p.resumed = Number(n);
    if (kind === 'step') {
      p.steps.push(Number(n));
      p.times.push(Number(t));
    }
  }
  return p;
}

/**
 * One training child: `src/cli/train.ts` in a new process, with a probe file (see probe.ts) and a log, killed
 * with SIGKILL when its kill plan says so, or when it neither finishes nor gets killed in time (hung).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../util/repo-paths.js';
import type { KillPlan } from './kill-plan.js';
import { PROBE_ENV, readProbe } from './probe.js';
import { TEMP_RE } from './temp-files.js';

const TRAIN_CLI = path.join(REPO_ROOT, 'src', 'cli', 'train.ts');

export interface ChildSpec {
  /** Names the child's probe (<work>/<name>.probe) and log (<work>/<name>.log). */
  name: string;
  work: string;
  /** The run folder (--out). */
  out: string;
  /** Command-line arguments of the training CLI, --out and --resume included. */
  args: string[];
  /** When to kill it (none: let it finish). */
  plan?: KillPlan;
  /** The run's --max-steps: an 'at-end' kill waits for this step. */
  maxSteps: number;
  /** Seconds before a child that neither finishes nor gets killed counts as hung. */
  childTimeout: number;
}

export interface ChildRun {
  killed: boolean;
  code: number | null;
  signal: string | null;
  pid: number;
  start: number;
  end: number;
  seconds: number;
  probe: string;
  log: string;
  hung: boolean;
}

/** Starts a training child and resolves when it has exited. */
export async function runTrainingChild(spec: ChildSpec): Promise<ChildRun> {
  const { out, plan } = spec;
  fs.mkdirSync(out, { recursive: true });
  const probe = path.join(spec.work, `${spec.name}.probe`);
  const log = path.join(spec.work, `${spec.name}.log`);
  fs.rmSync(probe, { force: true });
  const fd = fs.openSync(log, 'w');
  const start = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', TRAIN_CLI, ...spec.args], {
    cwd: REPO_ROOT,
    env: { ...process.env, [PROBE_ENV]: probe, NMT_LOG_JSON: '0' },
    stdio: ['ignore', fd, fd],
  });
  fs.closeSync(fd);
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', (err) => {
      fs.appendFileSync(log, `could not start: ${err.message}\n`);
      resolve({ code: -1, signal: null });
    });
  });
  let killed = false;
  let hung = false;
  const kill = () => {
    if (killed || child.exitCode !== null || child.signalCode !== null) return;
    killed = child.kill('SIGKILL');
  };
  const timers: NodeJS.Timeout[] = [];
  let watcher: fs.FSWatcher | undefined;
  if (plan) {
    let skip = plan.skip;
    const seen = new Set<string>();
    if (plan.mode === 'startup') timers.push(setTimeout(kill, plan.delay));
    if (plan.mode === 'write' || plan.mode === 'after-save') {
      watcher = fs.watch(out, (_event, file) => {
        if (!file || killed) return;
        if (plan.mode === 'write') {
          const m = TEMP_RE.exec(file);
          if (!m || m[1] !== 'last.ckpt' || Number(m[2]) !== child.pid || seen.has(file)) return;
          seen.add(file); // first event of a new temporary file: its creation; kill inside the write
          if (skip-- === 0) kill();
        } else if (file === 'last.ckpt') {
          if (skip-- === 0) timers.push(setTimeout(kill, plan.delay));
        }
      });
    }
    if (plan.mode === 'random' || plan.mode === 'at-end') {
      // Wait for the first step (random) or the last one (at-end), then wait `delay` more.
      const poll = setInterval(() => {
        const p = readProbe(probe);
        const ready = plan.mode === 'random' ? p.steps.length > 0 : p.steps.some((s) => s >= spec.maxSteps);
        if (ready) {
          clearInterval(poll);
          timers.push(setTimeout(kill, plan.delay));
        }
      }, 5);
      timers.push(poll);
    }
  }
  timers.push(
    setTimeout(() => {
      hung = true;
      kill();
    }, spec.childTimeout * 1000),
  );
  const { code, signal } = await exited;
  for (const t of timers) clearTimeout(t);
  watcher?.close();
  const end = Date.now();
  return {
    killed,
    code,
    signal,
    pid: child.pid ?? -1,
    start,
    end,
    seconds: (end - start) / 1000,
    probe,
    log,
    hung,
  };
}

/** The last lines of a child's log, for failure messages. */
export function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * npm run -s fault:train [-- --kills 20 --max-steps 240 --json]
 *
 * Crash-safety check of training. Runs `src/cli/train.ts` as a child process (a tiny model on a real
 * corpus), kills it with SIGKILL at random moments (seeded), some of them while a checkpoint is being
 * written (the temporary `.last.ckpt.<pid>.<ms>.tmp` has just appeared), resumes with `--resume` each time
 * and checks after every kill that:
 * - `last.ckpt` always parses (readCheckpoint: magic, header, length, SHA-256), never torn;
 * - its step never goes backwards, and the work lost (steps done before the kill minus the step in the
 *   checkpoint) is at most one checkpoint interval;
 * - the next run resumes exactly at that step;
 * - a temporary file left by a killed write is gone once the same file has been saved again.
 * At the end the final weights must equal (max |Δ| ≤ 1e-6) those of one uninterrupted run with the same
 * seed, config and tokenizers. Exits 1 if any check fails; `--json` prints one JSON object.
 *
 * How "steps done before the kill" is known exactly: the children are started with this module as an
 * extra `--import` and NMT_FAULT_PROBE=<file>; in that mode it only wraps Trainer.trainStep/restore to
 * append "step N" / "resumed N" lines to <file> (synchronous appends survive SIGKILL). The training code
 * itself is unchanged. Tokenizers are trained once here and passed with --src-/--tgt-tokenizer.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { Command } from 'commander';
import { Rng } from '../util/rng.js';
import { readCheckpoint, type Checkpoint } from '../train/checkpoint.js';
import { TrainConfigSchema } from '../train/config.js';
import { corpusSplits } from '../train/prepare.js';
import { trainTokenizerFile } from '../tokenizer/train.js';
import { backendOption } from './args.js';

const HERE = fileURLToPath(import.meta.url);
const REPO = path.resolve(path.dirname(HERE), '..', '..');
const TRAIN_CLI = path.join(REPO, 'src', 'cli', 'train.ts');
export const DEFAULT_CORPUS = path.resolve(REPO, '..', 'shared', 'corpora', 'tatoeba', 'eng-spa.tsv');
export const SAMPLE_CORPUS = path.join(REPO, 'corpora', 'sample.eng-spa.tsv');

export type KillMode = 'write' | 'after-save' | 'random' | 'startup' | 'at-end';

export interface FaultOptions {
  /** Number of SIGKILLs before the final, uninterrupted resume. */
  kills: number;
  maxSteps: number;
  checkpointEvery: number;
  /** Training seed (split, init, batches, dropout). */
  seed: number;
  /** Seed of the kill schedule. */
  killSeed: number;
  /** Corpus file; when absent, the Tatoeba file beside the repository, else the bundled sample. */
  corpus?: string;
  maxChars?: number;
  backend: string;
  /** Working folder (default: a new temporary folder, removed afterwards unless `keep`). */
  work?: string;
  keep: boolean;
  /** Fixed kill modes, in order (default: drawn from the seeded RNG, last kill 'at-end'). */
  modes?: KillMode[];
  /** Seconds before a child that neither finishes nor gets killed counts as hung. */
  childTimeout: number;
  /** Progress messages (default: none). */
  say?: (line: string) => void;
}

export interface AttemptReport {
  index: number;
  mode: KillMode | 'final';
  killed: boolean;
  exit: string;
  ckptBefore: number | null;
  resumedAt: number | null;
  stepsDone: number;
  ckptAfter: number | null;
  lost: number;
  /** Temporary files of the killed process found after its death (the kill landed inside a write). */
  tornTemps: string[];
  seconds: number;
}

export interface FaultReport {
  ok: boolean;
  failures: string[];
  corpus: string;
  corpusNote?: string;
  trainPairs: number;
  maxSteps: number;
  checkpointEvery: number;
  kills: number;
  killsByMode: Record<string, number>;
  killsAimedAtWrites: number;
  killsDuringWrites: number;
  resumes: number;
  maxStepsLost: number;
  totalStepsRecomputed: number;
  finalStep: number | null;
  maxWeightDiff: number | null;
  maxOptimizerDiff: number | null;
  tempFilesLeft: string[];
  referenceSeconds: number;
  wallSeconds: number;
  work: string;
  attempts: AttemptReport[];
}

const TEMP_RE = /^\.(.+)\.(\d+)\.(\d+)\.tmp$/;

// ---------------------------------------------------------------------------------------------------------
// Probe mode (inside the training child): record completed steps and the resume point.

async function installProbe(file: string): Promise<void> {
  const { Trainer } = await import('../train/trainer.js');
  const step = Trainer.prototype.trainStep;
  Trainer.prototype.trainStep = async function (this: InstanceType<typeof Trainer>, ...args) {
    const loss = await step.apply(this, args);
    // run() increments state.step right after this returns; the update has been applied already.
    if (Number.isFinite(loss)) fs.appendFileSync(file, `step ${this.state.step + 1} ${Date.now()}\n`);
    return loss;
  };
  const restore = Trainer.prototype.restore;
  Trainer.prototype.restore = async function (this: InstanceType<typeof Trainer>, ckpt: string) {
    await restore.call(this, ckpt);
    fs.appendFileSync(file, `resumed ${this.state.step} ${Date.now()}\n`);
  };
}

const isMain = process.argv[1] !== undefined && path.resolve(process.argv[1]) === HERE;
const probeFile = process.env.NMT_FAULT_PROBE;
if (probeFile && !isMain && isMainThread) await installProbe(probeFile);

// ---------------------------------------------------------------------------------------------------------
// Helpers

interface Probe {
  resumed: number | null;
  steps: number[];
  times: number[];
}

function readProbe(file: string): Probe {
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

/** Temporary files of atomic writes anywhere under `dir` (relative paths). */
function listTemps(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (TEMP_RE.test(e.name)) out.push(path.relative(dir, path.join(d, e.name)));
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out.sort();
}

/** The file a temporary file was going to replace. */
function tempTarget(rel: string): string {
  const m = TEMP_RE.exec(path.basename(rel));
  return path.join(path.dirname(rel), m ? m[1] : rel);
}

function inode(file: string): number | null {
  try {
    return fs.statSync(file).ino;
  } catch {
    return null;
  }
}

function floats(bytes: Uint8Array): Float32Array {
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** Max |a − b| over tensors matched by name (Infinity when the sets or shapes differ). */
function maxDiff(
  a: Checkpoint,
  b: Checkpoint,
  which: 'weights' | 'optimizer',
): { diff: number; problem?: string } {
  const ha = a.header[which];
  const hb = b.header[which];
  const bytesA = which === 'weights' ? a.weightBytes : a.optimizerBytes;
  const bytesB = which === 'weights' ? b.weightBytes : b.optimizerBytes;
  const byName = new Map(hb.tensors.map((t) => [t.name, t]));
  if (ha.tensors.length !== hb.tensors.length)
    return { diff: Infinity, problem: `${which}: ${ha.tensors.length} vs ${hb.tensors.length} tensors` };
  let diff = 0;
  for (const ta of ha.tensors) {
    const tb = byName.get(ta.name);
    if (!tb || tb.shape.join('x') !== ta.shape.join('x'))
      return { diff: Infinity, problem: `${which}: tensor ${ta.name} missing or reshaped` };
    const n = ta.shape.reduce((x, y) => x * y, 1);
    const va = floats(bytesA.subarray(ta.offset, ta.offset + n * 4));
    const vb = floats(bytesB.subarray(tb.offset, tb.offset + n * 4));
    for (let k = 0; k < n; k++) {
      const d = Math.abs(va[k] - vb[k]);
      diff = Math.max(diff, Number.isNaN(d) ? Infinity : d);
    }
  }
  return { diff };
}

function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------------------
// The experiment

interface ChildRun {
  killed: boolean;
  code: number | null;
  signal: string | null;
  pid: number;
  start: number;
  end: number;
  seconds: number;
  log: string;
  hung: boolean;
}

interface KillPlan {
  mode: KillMode;
  /** Checkpoint saves (write/after-save) to let pass first. */
  skip: number;
  /** Delay in ms (after-save, random, startup, at-end). */
  delay: number;
}

export async function runFaultInjection(opts: FaultOptions): Promise<FaultReport> {
  const t0 = Date.now();
  const say = opts.say ?? (() => {});
  const failures: string[] = [];
  const fail = (msg: string) => {
    failures.push(msg);
    say(`FAIL: ${msg}`);
  };
  const rng = new Rng(opts.killSeed);
  const work = opts.work ?? fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-fault-'));
  fs.mkdirSync(work, { recursive: true });

  // Corpus and tokenizers (trained once, reused by every child so all runs are comparable).
  let corpus = path.resolve(opts.corpus ?? DEFAULT_CORPUS); // children run in the repository folder
  let corpusNote: string | undefined;
  if (!fs.existsSync(corpus)) {
    corpusNote = `${corpus} not found: falling back to the bundled ${path.relative(REPO, SAMPLE_CORPUS)}`;
    say(`notice: ${corpusNote}`);
    corpus = SAMPLE_CORPUS;
  }
  const small = fs.statSync(corpus).size < 100_000;
  const dataFlags = {
    maxChars: opts.maxChars ?? (small ? 200 : 30),
    validSize: small ? 3 : 50,
    testSize: small ? 0 : 50,
    bleuSentences: small ? 3 : 20,
  };
  const cfg = TrainConfigSchema.parse({ corpus, out: work, seed: opts.seed, ...dataFlags });
  const splits = corpusSplits(cfg);
  const vocabSize = 500;
  const srcTok = path.join(work, 'vocab', 'eng.tokenizer.json');
  const tgtTok = path.join(work, 'vocab', 'spa.tokenizer.json');
  trainTokenizerFile([...new Set(splits.train.map((p) => p.src))], srcTok, { vocabSize });
  trainTokenizerFile([...new Set(splits.train.map((p) => p.tgt))], tgtTok, { vocabSize });
  say(
    `corpus ${corpus}: ${splits.train.length} training pairs (max ${dataFlags.maxChars} chars); tokenizers in ${path.dirname(srcTok)}`,
  );

  const flags: Record<string, string | number> = {
    corpus,
    'src-lang': 'eng',
    'tgt-lang': 'spa',
    'src-tokenizer': srcTok,
    'tgt-tokenizer': tgtTok,
    'max-chars': dataFlags.maxChars,
    'valid-size': dataFlags.validSize,
    'test-size': dataFlags.testSize,
    'bleu-sentences': dataFlags.bleuSentences,
    'embedding-size': 16,
    'hidden-size': 32,
    'attention-size': 32,
    'output-size': 32,
    'src-vocab-size': vocabSize,
    'tgt-vocab-size': vocabSize,
    'token-budget': 300,
    'valid-every': 1_000_000,
    'checkpoint-every': opts.checkpointEvery,
    workers: 1,
    seed: opts.seed,
    'max-steps': opts.maxSteps,
    backend: opts.backend,
  };
  const args = (out: string) => Object.entries({ ...flags, out }).flatMap(([k, v]) => [`--${k}`, String(v)]);

  /** Start a training child; `plan` (if any) decides when to SIGKILL it. */
  const runChild = async (
    name: string,
    out: string,
    resume: boolean,
    plan: KillPlan | undefined,
  ): Promise<ChildRun> => {
    fs.mkdirSync(out, { recursive: true });
    const probe = path.join(work, `${name}.probe`);
    const log = path.join(work, `${name}.log`);
    fs.rmSync(probe, { force: true });
    const fd = fs.openSync(log, 'w');
    const start = Date.now();
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--import',
        pathToFileURL(HERE).href,
        TRAIN_CLI,
        ...args(out),
        ...(resume ? ['--resume'] : []),
      ],
      {
        cwd: REPO,
        env: { ...process.env, NMT_FAULT_PROBE: probe, NMT_LOG_JSON: '0' },
        stdio: ['ignore', fd, fd],
      },
    );
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
          const ready = plan.mode === 'random' ? p.steps.length > 0 : p.steps.some((s) => s >= opts.maxSteps);
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
      }, opts.childTimeout * 1000),
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
      log,
      hung,
    };
  };

  // 1. The uninterrupted reference run (also gives the step and start-up times for the schedule).
  const refOut = path.join(work, 'reference');
  say(`reference run: ${opts.maxSteps} steps without kills …`);
  const ref = await runChild('reference', refOut, false, undefined);
  const refProbe = readProbe(path.join(work, 'reference.probe'));
  let refCk: Checkpoint | undefined;
  if (ref.code !== 0) fail(`reference run failed (exit ${ref.code ?? ref.signal}):\n${tail(ref.log)}`);
  else refCk = readCheckpoint(path.join(refOut, 'last.ckpt'));
  const n = refProbe.times.length;
  const stepMs = n > 1 ? (refProbe.times[n - 1] - refProbe.times[0]) / (n - 1) : 100;
  // Start-up (process start → first step) and wind-down (last step → exit: final save, validation, export).
  const startupMs = n > 0 ? refProbe.times[0] - ref.start : 3000;
  const endMs = n > 0 ? ref.end - refProbe.times[n - 1] : 500;
  say(
    `reference: ${ref.seconds.toFixed(1)} s (start-up ${startupMs} ms, ${stepMs.toFixed(0)} ms/step, wind-down ${endMs} ms), final step ${refCk?.header.state.step ?? '?'}`,
  );

  // 2. The run that gets killed.
  const out = path.join(work, 'faulted');
  const lastFile = path.join(out, 'last.ckpt');
  const planFor = (k: number): KillPlan => {
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
  };

  const attempts: AttemptReport[] = [];
  let ckptStep: number | null = null; // step in last.ckpt as last read here
  let kills = 0;
  let done = false;
  for (let k = 0; failures.length === 0; k++) {
    const plan = kills < opts.kills ? planFor(kills) : undefined;
    const tempsBefore = listTemps(out);
    const inodesBefore = new Map(tempsBefore.map((t) => [t, inode(path.join(out, tempTarget(t)))]));
    const name = `attempt-${String(k).padStart(2, '0')}`;
    const r = await runChild(name, out, k > 0, plan);
    const probe = readProbe(path.join(work, `${name}.probe`));
    const label = `attempt ${k} (${plan ? `kill: ${plan.mode}` : 'final'})`;
    if (r.hung) fail(`${label}: no exit within ${opts.childTimeout} s\n${tail(r.log)}`);
    else if (!r.killed && r.code !== 0) fail(`${label}: exit ${r.code ?? r.signal}:\n${tail(r.log)}`);
    if (r.killed) kills++;
    done = !r.killed && r.code === 0;

    // The checkpoint on disk: always readable, never older.
    let after: Checkpoint | undefined;
    if (fs.existsSync(lastFile)) {
      try {
        after = readCheckpoint(lastFile);
      } catch (err) {
        fail(`${label}: last.ckpt unreadable after the kill: ${(err as Error).message}`);
      }
    } else if (ckptStep !== null) fail(`${label}: last.ckpt disappeared`);
    const afterStep = after ? after.header.state.step : null;
    if (ckptStep !== null && afterStep !== null && afterStep < ckptStep)
      fail(`${label}: checkpoint went back from step ${ckptStep} to ${afterStep}`);

    // The resume point and the steps done.
    if (probe.resumed !== null && probe.resumed !== ckptStep)
      fail(`${label}: resumed at step ${probe.resumed}, but last.ckpt held step ${ckptStep}`);
    if (probe.resumed === null && ckptStep !== null && probe.steps.length > 0)
      fail(`${label}: trained without resuming from last.ckpt (step ${ckptStep})`);
    const first = probe.steps[0];
    if (first !== undefined && first !== (ckptStep ?? 0) + 1)
      fail(`${label}: first step ${first} after resuming at ${ckptStep ?? 0}`);
    const stepsDone = Math.max(ckptStep ?? 0, ...probe.steps);
    const lost = stepsDone - (afterStep ?? 0);
    if (lost > opts.checkpointEvery)
      fail(`${label}: ${lost} steps lost (done ${stepsDone}, checkpoint at ${afterStep ?? 'none'})`);

    // Temporary files: the killed process may leave one; a later save of the same file must remove it.
    const tempsAfter = listTemps(out);
    const torn = tempsAfter.filter((t) => {
      const m = TEMP_RE.exec(path.basename(t));
      return r.killed && m !== null && Number(m[2]) === r.pid;
    });
    for (const t of tempsBefore) {
      const target = tempTarget(t);
      const rewritten = inode(path.join(out, target)) !== inodesBefore.get(t);
      if (rewritten && tempsAfter.includes(t))
        fail(`${label}: stale ${t} still there after ${target} was saved`);
    }

    const a: AttemptReport = {
      index: k,
      mode: plan?.mode ?? 'final',
      killed: r.killed,
      exit: r.killed ? 'SIGKILL' : String(r.code ?? r.signal),
      ckptBefore: ckptStep,
      resumedAt: probe.resumed,
      stepsDone,
      ckptAfter: afterStep,
      lost,
      tornTemps: torn,
      seconds: r.seconds,
    };
    attempts.push(a);
    say(
      `${label}: ${r.killed ? 'killed' : `exit ${a.exit}`} after ${r.seconds.toFixed(1)} s; ` +
        `resumed at ${a.resumedAt ?? '-'}, did up to step ${stepsDone}, last.ckpt at ${afterStep ?? '-'}, lost ${lost}` +
        (torn.length ? `; killed inside a write (${torn.join(', ')})` : ''),
    );
    ckptStep = afterStep;
    if (done && kills < opts.kills)
      fail(`training finished after only ${kills} of ${opts.kills} kills: raise --max-steps`);
    if (!r.killed) break;
  }

  // 3. Final state: no temporary files left, same weights as the reference.
  const tempFilesLeft = listTemps(out);
  if (done && tempFilesLeft.length)
    fail(`temporary files left after the final run: ${tempFilesLeft.join(', ')}`);
  let finalStep: number | null = null;
  let maxWeightDiff: number | null = null;
  let maxOptimizerDiff: number | null = null;
  if (done && refCk) {
    const fin = readCheckpoint(lastFile);
    finalStep = fin.header.state.step;
    if (finalStep !== refCk.header.state.step)
      fail(`final step ${finalStep} differs from the reference's ${refCk.header.state.step}`);
    const w = maxDiff(fin, refCk, 'weights');
    const o = maxDiff(fin, refCk, 'optimizer');
    maxWeightDiff = w.diff;
    maxOptimizerDiff = o.diff;
    if (w.problem) fail(w.problem);
    if (o.problem) fail(o.problem);
    if (!(w.diff <= 1e-6)) fail(`final weights differ from the uninterrupted run by up to ${w.diff}`);
  } else if (!done && failures.length === 0) fail('the killed run never finished');

  const killed = attempts.filter((a) => a.killed);
  const killsByMode: Record<string, number> = {};
  for (const a of killed) killsByMode[a.mode] = (killsByMode[a.mode] ?? 0) + 1;
  const report: FaultReport = {
    ok: failures.length === 0,
    failures,
    corpus,
    corpusNote,
    trainPairs: splits.train.length,
    maxSteps: opts.maxSteps,
    checkpointEvery: opts.checkpointEvery,
    kills,
    killsByMode,
    killsAimedAtWrites: killsByMode.write ?? 0,
    killsDuringWrites: killed.filter((a) => a.tornTemps.length > 0).length,
    resumes: attempts.filter((a) => a.resumedAt !== null).length,
    maxStepsLost: Math.max(0, ...attempts.map((a) => a.lost)),
    totalStepsRecomputed: attempts.reduce((s, a) => s + a.lost, 0),
    finalStep,
    maxWeightDiff,
    maxOptimizerDiff,
    tempFilesLeft,
    referenceSeconds: ref.seconds,
    wallSeconds: (Date.now() - t0) / 1000,
    work,
    attempts,
  };
  if (!opts.keep && report.ok && !opts.work) fs.rmSync(work, { recursive: true, force: true });
  return report;
}

export function formatReport(r: FaultReport): string {
  const rows = [['#', 'kill mode', 'ckpt before', 'resumed', 'done', 'ckpt after', 'lost', 'torn temp', 's']];
  for (const a of r.attempts)
    rows.push([
      String(a.index),
      a.mode,
      String(a.ckptBefore ?? '-'),
      String(a.resumedAt ?? '-'),
      String(a.stepsDone),
      String(a.ckptAfter ?? '-'),
      String(a.lost),
      a.tornTemps.map((t) => t.replace(/\.\d+\.\d+\.tmp$/, '.*.tmp')).join(',') || '-',
      a.seconds.toFixed(1),
    ]);
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const table = rows.map((row) => row.map((cell, c) => cell.padEnd(widths[c])).join('  ')).join('\n');
  const fmt = (x: number | null) => (x === null ? '-' : x.toExponential(2));
  const summary = [
    ['corpus', `${r.corpus} (${r.trainPairs} training pairs)${r.corpusNote ? ` — ${r.corpusNote}` : ''}`],
    ['steps / checkpoint every', `${r.maxSteps} / ${r.checkpointEvery}`],
    ['kills (SIGKILL)', `${r.kills}  ${JSON.stringify(r.killsByMode)}`],
    ['kills during checkpoint writes', `${r.killsDuringWrites} (aimed: ${r.killsAimedAtWrites})`],
    ['resumes', String(r.resumes)],
    ['max steps lost per kill', `${r.maxStepsLost} (limit ${r.checkpointEvery})`],
    ['steps recomputed in total', String(r.totalStepsRecomputed)],
    ['final step', String(r.finalStep ?? '-')],
    ['max |Δweight| vs uninterrupted', fmt(r.maxWeightDiff)],
    ['max |Δoptimizer| vs uninterrupted', fmt(r.maxOptimizerDiff)],
    ['temporary files left', r.tempFilesLeft.length ? r.tempFilesLeft.join(', ') : 'none'],
    ['wall time', `${r.wallSeconds.toFixed(1)} s (reference run ${r.referenceSeconds.toFixed(1)} s)`],
    ['result', r.ok ? 'PASS' : `FAIL\n  - ${r.failures.join('\n  - ')}`],
  ];
  const w = Math.max(...summary.map(([k]) => k.length));
  return `${table}\n\n${summary.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n')}\n`;
}

async function main(): Promise<void> {
  const int = (v: string) => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < 0) throw new Error(`not a non-negative integer: ${v}`);
    return x;
  };
  const program = new Command()
    .name('fault:train')
    .description('SIGKILL training at random moments (some inside checkpoint writes), resume, check.')
    .option('--kills <n>', 'SIGKILLs before the final resume', int, 20)
    .option('--max-steps <n>', 'training steps of the run', int, 240)
    .option('--checkpoint-every <n>', 'steps between checkpoints', int, 2)
    .option('--seed <n>', 'training seed', int, 1)
    .option('--kill-seed <n>', 'seed of the kill schedule', int, 1)
    .option('--corpus <file>', `TSV corpus (default ${path.relative(REPO, DEFAULT_CORPUS)})`)
    .option(
      '--max-chars <n>',
      'drop pairs with a side longer than this (default 30; 200 for the sample)',
      int,
    )
    .addOption(backendOption('TensorFlow.js backend of the children', 'wasm'))
    .option('--work <dir>', 'working folder (default: a temporary folder)')
    .option('--keep', 'keep the working folder')
    .option('--child-timeout <s>', 'seconds before a child counts as hung', int, 300)
    .option('--json', 'print one JSON object instead of the table');
  program.parse();
  const o = program.opts<{
    kills: number;
    maxSteps: number;
    checkpointEvery: number;
    seed: number;
    killSeed: number;
    corpus?: string;
    maxChars?: number;
    backend: string;
    work?: string;
    keep?: boolean;
    childTimeout: number;
    json?: boolean;
  }>();
  if (o.checkpointEvery < 1 || o.maxSteps < 1)
    throw new Error('--checkpoint-every and --max-steps must be ≥ 1');
  const report = await runFaultInjection({
    ...o,
    keep: Boolean(o.keep),
    say: (line) => process.stderr.write(`${line}\n`),
  });
  if (o.json) process.stdout.write(JSON.stringify(report) + '\n');
  else process.stdout.write(formatReport(report));
  if (!report.ok) {
    process.stderr.write(`fault:train: FAILED; files kept in ${report.work}\n`);
    process.exitCode = 1;
  }
}

if (isMain && !probeFile) {
  main().catch((err: Error) => {
    process.stderr.write(`fault:train: ${err.message}\n`);
    process.exit(1);
  });
}

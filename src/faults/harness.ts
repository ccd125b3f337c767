/**
 * Crash-safety check of training (`npm run -s fault:train`). Runs `src/cli/train.ts` as a child process (a
 * tiny model on a real corpus), kills it with SIGKILL at random moments (seeded), some of them while a
 * checkpoint is being written (the temporary `.last.ckpt.<pid>.<ms>.tmp` has just appeared), resumes with
 * `--resume` each time and checks after every kill that:
 * - `last.ckpt` always parses (readCheckpoint: magic, header, length, SHA-256), never torn;
 * - its step never goes backwards, and the work lost (steps done before the kill minus the step in the
 *   checkpoint) is at most one checkpoint interval;
 * - the next run resumes exactly at that step;
 * - a temporary file left by a killed write is gone once the same file has been saved again.
 * At the end the final weights must equal (max |Δ| ≤ 1e-6) those of one uninterrupted run with the same
 * seed, config and tokenizers.
 *
 * The steps done before a kill are known exactly from each child's probe file (probe.ts). Tokenizers are
 * trained once here and passed with --src-/--tgt-tokenizer, so every child trains the same model.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Rng } from '../util/rng.js';
import { readCheckpoint, type Checkpoint } from '../train/checkpoint.js';
import { TrainConfigSchema } from '../train/config.js';
import { corpusSplits } from '../train/prepare.js';
import { trainTokenizerFile } from '../tokenizer/train.js';
import { REPO_ROOT, SAMPLE_CORPUS } from '../util/repo-paths.js';
import { maxDiff } from './checkpoint-diff.js';
import { type ChildRun, runTrainingChild, tail } from './child.js';
import { type ChildTiming, type KillMode, type KillPlan, planKill } from './kill-plan.js';
import { readProbe } from './probe.js';
import type { AttemptReport, FaultReport } from './report.js';
import { inode, listTemps, tempTarget, tempWriter } from './temp-files.js';

/** The Tatoeba file beside the repository (../shared). */
export const DEFAULT_CORPUS = path.resolve(REPO_ROOT, '..', 'shared', 'corpora', 'tatoeba', 'eng-spa.tsv');

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

/** The corpus actually used and the children's command line. */
interface Setup {
  corpus: string;
  corpusNote?: string;
  trainPairs: number;
  args: (out: string, resume: boolean) => string[];
}

/**
 * Picks the corpus (falling back to the bundled sample), trains the two tokenizers once (reused by every
 * child so all runs are comparable) and fixes the flags of a tiny model that checkpoints often.
 */
function prepareRun(opts: FaultOptions, work: string, say: (line: string) => void): Setup {
  let corpus = path.resolve(opts.corpus ?? DEFAULT_CORPUS); // children run in the repository folder
  let corpusNote: string | undefined;
  if (!fs.existsSync(corpus)) {
    corpusNote = `${corpus} not found: falling back to the bundled ${path.relative(REPO_ROOT, SAMPLE_CORPUS)}`;
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
  const args = (out: string, resume: boolean) => [
    ...Object.entries({ ...flags, out }).flatMap(([k, v]) => [`--${k}`, String(v)]),
    ...(resume ? ['--resume'] : []),
  ];
  return { corpus, corpusNote, trainPairs: splits.train.length, args };
}

/** Step time, start-up (process start → first step) and wind-down (last step → exit) of a finished child. */
function timingOf(run: ChildRun): ChildTiming {
  const times = readProbe(run.probe).times;
  const n = times.length;
  return {
    stepMs: n > 1 ? (times[n - 1] - times[0]) / (n - 1) : 100,
    startupMs: n > 0 ? times[0] - run.start : 3000,
    endMs: n > 0 ? run.end - times[n - 1] : 500,
  };
}

/** The state of the run folder before an attempt, to judge what the attempt changed. */
interface Before {
  ckptStep: number | null;
  temps: string[];
  /** Inode of each temporary file's target: a new one means the target was saved again. */
  inodes: Map<string, number | null>;
}

/**
 * Checks what one attempt left in the run folder `out` against the state before it (see the header);
 * failures go to `fail`.
 */
function checkAttempt(
  index: number,
  plan: KillPlan | undefined,
  r: ChildRun,
  out: string,
  before: Before,
  opts: FaultOptions,
  fail: (msg: string) => void,
): AttemptReport {
  const { ckptStep } = before;
  const lastFile = path.join(out, 'last.ckpt');
  const probe = readProbe(r.probe);
  const label = `attempt ${index} (${plan ? `kill: ${plan.mode}` : 'final'})`;
  if (r.hung) fail(`${label}: no exit within ${opts.childTimeout} s\n${tail(r.log)}`);
  else if (!r.killed && r.code !== 0) fail(`${label}: exit ${r.code ?? r.signal}:\n${tail(r.log)}`);

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
  const torn = tempsAfter.filter((t) => r.killed && tempWriter(t) === r.pid);
  for (const t of before.temps) {
    const target = tempTarget(t);
    const rewritten = inode(path.join(out, target)) !== before.inodes.get(t);
    if (rewritten && tempsAfter.includes(t))
      fail(`${label}: stale ${t} still there after ${target} was saved`);
  }

  const a: AttemptReport = {
    index,
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
  opts.say?.(
    `${label}: ${r.killed ? 'killed' : `exit ${a.exit}`} after ${r.seconds.toFixed(1)} s; ` +
      `resumed at ${a.resumedAt ?? '-'}, did up to step ${stepsDone}, last.ckpt at ${afterStep ?? '-'}, lost ${lost}` +
      (torn.length ? `; killed inside a write (${torn.join(', ')})` : ''),
  );
  return a;
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
  const setup = prepareRun(opts, work, say);
  const runChild = (name: string, out: string, resume: boolean, plan: KillPlan | undefined) =>
    runTrainingChild({
      name,
      work,
      out,
      args: setup.args(out, resume),
      plan,
      maxSteps: opts.maxSteps,
      childTimeout: opts.childTimeout,
    });

  // 1. The uninterrupted reference run (also gives the step and start-up times for the schedule).
  const refOut = path.join(work, 'reference');
  say(`reference run: ${opts.maxSteps} steps without kills …`);
  const ref = await runChild('reference', refOut, false, undefined);
  let refCk: Checkpoint | undefined;
  if (ref.code !== 0) fail(`reference run failed (exit ${ref.code ?? ref.signal}):\n${tail(ref.log)}`);
  else refCk = readCheckpoint(path.join(refOut, 'last.ckpt'));
  const timing = timingOf(ref);
  say(
    `reference: ${ref.seconds.toFixed(1)} s (start-up ${timing.startupMs} ms, ${timing.stepMs.toFixed(0)} ms/step, wind-down ${timing.endMs} ms), final step ${refCk?.header.state.step ?? '?'}`,
  );

  // 2. The run that gets killed.
  const out = path.join(work, 'faulted');
  const attempts: AttemptReport[] = [];
  let ckptStep: number | null = null; // step in last.ckpt as last read here
  let kills = 0;
  let done = false;
  for (let k = 0; failures.length === 0; k++) {
    const plan = kills < opts.kills ? planKill(kills, rng, opts, timing) : undefined;
    const temps = listTemps(out);
    const before: Before = {
      ckptStep,
      temps,
      inodes: new Map(temps.map((t) => [t, inode(path.join(out, tempTarget(t)))])),
    };
    const r = await runChild(`attempt-${String(k).padStart(2, '0')}`, out, k > 0, plan);
    if (r.killed) kills++;
    done = !r.killed && r.code === 0;
    const a = checkAttempt(k, plan, r, out, before, opts, fail);
    attempts.push(a);
    ckptStep = a.ckptAfter;
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
    const fin = readCheckpoint(path.join(out, 'last.ckpt'));
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
    corpus: setup.corpus,
    corpusNote: setup.corpusNote,
    trainPairs: setup.trainPairs,
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

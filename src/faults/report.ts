/** What the crash-safety check reports: one row per child, a summary, and the verdict. */
import type { KillMode } from './kill-plan.js';

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

/** The report as a table of attempts and a summary, for a terminal. */
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

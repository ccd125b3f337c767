/**
 * What `evaluate --model` prints: for one test set sacrebleu's lines (signatures included) and the speed,
 * for several one row per set and the signatures once; with `json`, exactly one JSON object.
 */
import { isRecord } from '../util/records.js';
import type { SearchOptions, SetResult } from './model.js';

export interface ReportOptions extends SearchOptions {
  multiRef: boolean;
  json: boolean;
  /** Decimals of the printed scores (sacrebleu's -w). */
  width: number;
}

/** The report on the model in `dir`: one set's lines, or a table of several. */
export function modelReport(dir: string, results: readonly SetResult[], o: ReportOptions): string {
  return results.length === 1 ? formatOne(o, dir, results[0]) : formatTable(o, dir, results);
}

function searchLabel(o: SearchOptions): string {
  const search =
    o.beam === 1
      ? 'greedy'
      : `beam ${o.beam}, length penalty ${o.lengthPenalty}` +
        (o.coveragePenalty > 0 ? `, coverage penalty ${o.coveragePenalty}` : '');
  return (
    search +
    (o.blockStutter === false ? ', stutters not blocked' : '') +
    (o.splitSentences === false ? ', lines not split into sentences' : '')
  );
}

function resultJson(o: SearchOptions, r: SetResult): Record<string, unknown> {
  return {
    bleu: r.bleu.score,
    chrf: r.chrf.score,
    signature: { bleu: r.bleu.signature, chrf: r.chrf.signature },
    beam: o.beam,
    lengthPenalty: o.lengthPenalty,
    coveragePenalty: o.coveragePenalty,
    blockStutter: o.blockStutter !== false,
    splitSentences: o.splitSentences !== false,
    sentences: r.sentences,
    pairs: r.pairs,
    referencesPerSentence: r.referenceStreams === 1 ? 1 : 'var',
    seconds: r.seconds,
    sentencesPerSecond: r.sentences / Math.max(r.seconds, 1e-9),
    testSet: r.description,
    ...(r.out ? { out: r.out } : {}),
  };
}

function formatOne(o: ReportOptions, dir: string, r: SetResult): string {
  if (o.json) return JSON.stringify({ ...resultJson(o, r), model: dir }, null, 2);
  const speed = r.sentences / Math.max(r.seconds, 1e-9);
  return [
    r.bleu.format({ width: o.width, withSignature: true }),
    r.chrf.format({ width: o.width, withSignature: true }),
    `${r.sentences} sentences of ${r.description}` +
      (o.multiRef ? ` (${r.pairs} pairs grouped by source, up to ${r.referenceStreams} references)` : '') +
      ` in ${r.seconds.toFixed(2)} s ` +
      `(${speed.toFixed(1)} sentences/s, ${searchLabel(o)})` +
      (r.out ? `; hypotheses in ${r.out}` : ''),
  ].join('\n');
}

/** Several test sets: one row each, then the signatures (the same for every row). */
function formatTable(o: ReportOptions, dir: string, results: readonly SetResult[]): string {
  if (o.json)
    return JSON.stringify(
      { model: dir, sets: Object.fromEntries(results.map((r) => [r.name, resultJson(o, r)])) },
      null,
      2,
    );
  const w = Math.max(8, ...results.map((r) => r.name.length));
  const rows = results.map(
    (r) =>
      `${r.name.padEnd(w)}  ${r.bleu.score.toFixed(o.width).padStart(6)}  ${r.chrf.score.toFixed(o.width).padStart(6)}  ${String(r.sentences).padStart(9)}  ${r.seconds.toFixed(1).padStart(7)}`,
  );
  return [
    `${'test set'.padEnd(w)}  ${'BLEU'.padStart(6)}  ${'chrF'.padStart(6)}  ${'sentences'.padStart(9)}  ${'seconds'.padStart(7)}`,
    ...rows,
    `${dir}, ${searchLabel(o)}`,
    `BLEU: ${results[0].bleu.signature}`,
    `chrF: ${results[0].chrf.signature}`,
    ...results.map((r) => `${r.name}: ${r.description}${r.out ? `; hypotheses in ${r.out}` : ''}`),
  ].join('\n');
}

/**
 * The records of one `evaluate --json` output, one per test set, each naming its model: one set prints
 * its record, several print { model, sets: { name: record } }, and each record then also gets its `name`
 * (the short one the table and the corpora use, where `testSet` is the file). `export-model --scores`
 * keeps records in this flat form, which the model page reads (src/server/pages.ts, scoreRows).
 */
export function scoreRecords(report: unknown, file: string): Record<string, unknown>[] {
  if (!isRecord(report)) throw new Error(`${file}: not an evaluate --json output (expected an object)`);
  if (!isRecord(report.sets)) return [report];
  const records = Object.entries(report.sets).filter((e): e is [string, Record<string, unknown>] =>
    isRecord(e[1]),
  );
  if (records.length === 0) throw new Error(`${file}: "sets" holds no scores`);
  return records.map(([name, r]) => ({ name, ...r, model: report.model }));
}

/**
 * Alignment error rate (AER) of word alignments against human ones, as defined by Och & Ney (2003),
 * "A Systematic Comparison of Various Statistical Alignment Models", Computational Linguistics 29(1).
 *
 * The gold standard has two kinds of links: sure ones (S), which annotators agreed on, and possible
 * ones (P), which were ambiguous; every sure link is also possible (S ⊆ P). For hypothesis links A,
 * summed over the whole corpus (not averaged per sentence):
 *
 *   precision = |A ∩ P| / |A|      recall = |A ∩ S| / |S|      AER = 1 − (|A ∩ S| + |A ∩ P|) / (|A| + |S|)
 *
 * Link files are Pharaoh lines, one sentence per line: `i-j` links source word i to target word j;
 * in gold files `ipj` marks a possible link (the NAACL 2003 shared-task convention), and `i-j` a sure
 * one. Hypotheses are 0-based (fast_align, Moses, this project); gold files are often 1-based (the
 * Hansards release), hence `oneBased`.
 */

/** A link, source word index and target word index, both 0-based. */
export type Link = readonly [source: number, target: number];

export interface GoldLinks {
  sure: Link[];
  /** Possible links, the sure ones included (S ⊆ P). */
  possible: Link[];
}

export interface AerCounts {
  /** |A|, |S|, |P|, |A ∩ S|, |A ∩ P| summed over sentences. */
  hyp: number;
  sure: number;
  possible: number;
  hypSure: number;
  hypPossible: number;
  sentences: number;
}

export interface AerScore extends AerCounts {
  /** Fractions in [0, 1]. */
  aer: number;
  precision: number;
  recall: number;
}

export interface ParseLinksOptions {
  /** Indices in the line start at 1 (subtracted here). */
  oneBased?: boolean;
  /** Accept `ipj` (possible) links; a hypothesis has none. */
  allowPossible?: boolean;
  /** For error messages, e.g. "gold.txt line 3". */
  where?: string;
}

const LINK = /^(\d+)([-p])(\d+)$/;

/** Parse one Pharaoh line into sure and possible links (duplicates removed). */
export function parseLinks(line: string, opts: ParseLinksOptions = {}): GoldLinks {
  const where = opts.where ? `${opts.where}: ` : '';
  const sure = new Map<string, Link>();
  const possible = new Map<string, Link>();
  for (const item of line.trim().split(/\s+/)) {
    if (item === '') continue;
    const m = LINK.exec(item);
    if (!m) {
      throw new Error(
        `${where}"${item}" is not a link; expected i-j${opts.allowPossible ? ' (sure) or ipj (possible)' : ''}`,
      );
    }
    if (m[2] === 'p' && !opts.allowPossible) {
      throw new Error(`${where}"${item}" is a possible link (ipj); only gold files may have those`);
    }
    const base = opts.oneBased ? 1 : 0;
    const s = Number(m[1]) - base;
    const t = Number(m[3]) - base;
    if (s < 0 || t < 0) {
      throw new Error(`${where}"${item}" has index 0, but the file was declared 1-based`);
    }
    const link: Link = [s, t];
    const key = `${s}-${t}`;
    possible.set(key, link);
    if (m[2] === '-') sure.set(key, link);
  }
  return { sure: [...sure.values()], possible: [...possible.values()] };
}

/** Counts for one sentence. */
export function sentenceCounts(hyp: readonly Link[], gold: GoldLinks): AerCounts {
  const key = (l: Link) => `${l[0]}-${l[1]}`;
  const a = new Set(hyp.map(key));
  const s = new Set(gold.sure.map(key));
  const p = new Set(gold.possible.map(key));
  for (const k of s) p.add(k); // S ⊆ P even if a caller left the sure links out of `possible`
  let hypSure = 0;
  let hypPossible = 0;
  for (const k of a) {
    if (s.has(k)) hypSure++;
    if (p.has(k)) hypPossible++;
  }
  return { hyp: a.size, sure: s.size, possible: p.size, hypSure, hypPossible, sentences: 1 };
}

/** Corpus AER from summed counts. With no links at all on either side, AER is 0 (nothing to get wrong). */
export function aerFromCounts(c: AerCounts): AerScore {
  const denom = c.hyp + c.sure;
  return {
    ...c,
    aer: denom === 0 ? 0 : 1 - (c.hypSure + c.hypPossible) / denom,
    // An empty hypothesis claims nothing wrong (precision 1) and finds nothing (recall 0 unless S is empty).
    precision: c.hyp === 0 ? 1 : c.hypPossible / c.hyp,
    recall: c.sure === 0 ? 1 : c.hypSure / c.sure,
  };
}

/** Corpus AER of line-aligned hypothesis and gold links. */
export function corpusAer(hyps: readonly (readonly Link[])[], golds: readonly GoldLinks[]): AerScore {
  if (hyps.length !== golds.length) {
    throw new Error(
      `AER: ${hyps.length} hypothesis sentences but ${golds.length} gold sentences; they must be line-aligned`,
    );
  }
  const total: AerCounts = { hyp: 0, sure: 0, possible: 0, hypSure: 0, hypPossible: 0, sentences: 0 };
  hyps.forEach((h, i) => {
    const c = sentenceCounts(h, golds[i]);
    total.hyp += c.hyp;
    total.sure += c.sure;
    total.possible += c.possible;
    total.hypSure += c.hypSure;
    total.hypPossible += c.hypPossible;
    total.sentences++;
  });
  return aerFromCounts(total);
}

/** Lines of a link file: "\n" or "\r\n" endings, a final newline does not start an extra sentence. */
export function linkLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export interface AerFilesOptions {
  /** Gold indices start at 1 (the Hansards release). */
  oneBasedGold?: boolean;
  hypName?: string;
  goldName?: string;
}

/** Corpus AER of the texts of a hypothesis file (0-based i-j) and a gold file (i-j sure, ipj possible). */
export function aerOfTexts(hypText: string, goldText: string, opts: AerFilesOptions = {}): AerScore {
  const hypName = opts.hypName ?? 'hypothesis';
  const goldName = opts.goldName ?? 'gold';
  const hypLines = linkLines(hypText);
  const goldLines = linkLines(goldText);
  if (hypLines.length !== goldLines.length) {
    throw new Error(
      `${hypName} has ${hypLines.length} lines but ${goldName} has ${goldLines.length}; ` +
        'they must hold one line per sentence pair, in the same order',
    );
  }
  const hyps = hypLines.map((l, i) => parseLinks(l, { where: `${hypName} line ${i + 1}` }).sure);
  const golds = goldLines.map((l, i) =>
    parseLinks(l, { oneBased: opts.oneBasedGold, allowPossible: true, where: `${goldName} line ${i + 1}` }),
  );
  return corpusAer(hyps, golds);
}

/** "AER 4.07%  precision 96.27%  recall 95.42%  links 6,038 …", percentages with `width` decimals. */
export function formatAer(s: AerScore, width = 2): string {
  const pct = (x: number) => `${(100 * x).toFixed(width)}%`;
  return [
    `AER ${pct(s.aer)}`,
    `precision ${pct(s.precision)}`,
    `recall ${pct(s.recall)}`,
    `links ${s.hyp.toLocaleString('en')}`,
    `(${s.sentences.toLocaleString('en')} sentences; gold: ${s.sure.toLocaleString('en')} sure, ` +
      `${(s.possible - s.sure).toLocaleString('en')} possible-only links)`,
  ].join('  ');
}

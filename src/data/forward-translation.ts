/**
 * Forward translation (self-training): source-language sentences that have no translation are translated
 * by a trained model, and the pairs it writes become extra training data for the next model (He et al.
 * 2020, "Revisiting Self-Training for Neural Machine Translation": the student learns from the teacher's
 * outputs under dropout and generalises better than the teacher on new sentences).
 *
 * Two halves, both written by hand because they are particular to this trainer's data:
 * - choosing the sentences: distinct, not too long, and never a source of the training, validation or
 *   test files (a validation or test source translated into the training data would leak the test);
 * - keeping the pairs the model likely got right: not empty, not the source copied, a plausible length
 *   ratio, no word written three times in a row, and every number and name of the source found unchanged
 *   in the output (the teacher mangles some names; training on those would teach the mangling back).
 */
import fs from 'node:fs';
import type { SentencePair } from './types.js';
import { CorpusError } from './types.js';
import { normalizeText } from './readers.js';
import { Rng } from '../util/rng.js';

/** The key two sources are the same under: case and spacing ignored. */
export function sourceKey(s: string): string {
  return normalizeText(s).toLowerCase();
}

/** One sentence a line, cleaned with normalizeText; empty lines are skipped. */
export function readTextLines(file: string): string[] {
  if (!fs.existsSync(file)) throw new CorpusError(`${file}: no such file`, file);
  return fs
    .readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map(normalizeText)
    .filter((s) => s.length > 0);
}

export interface SourceSelection {
  /** Drop sentences longer than this many characters. */
  maxChars: number;
  /** Keep at most this many (after shuffling). */
  limit?: number;
  /** Seed of the shuffle, so that a limit takes the same sentences every time. */
  seed: number;
}

export interface SelectedSources {
  sources: string[];
  /** Sentences read, and those left out for each reason. */
  read: number;
  duplicates: number;
  skipped: number;
  tooLong: number;
}

/**
 * The distinct sentences of `candidates` that are no source of `skip` (training, validation and test
 * pairs), at most `maxChars` long, shuffled with `seed`, then cut to `limit`.
 */
export function selectSources(
  candidates: readonly string[],
  skip: readonly SentencePair[],
  o: SourceSelection,
): SelectedSources {
  const skipKeys = new Set(skip.map((p) => sourceKey(p.src)));
  const seen = new Set<string>();
  const out: string[] = [];
  let duplicates = 0;
  let skipped = 0;
  let tooLong = 0;
  for (const s of candidates) {
    const key = sourceKey(s);
    if (seen.has(key)) {
      duplicates++;
      continue;
    }
    seen.add(key);
    if (skipKeys.has(key)) skipped++;
    else if (s.length > o.maxChars) tooLong++;
    else out.push(s);
  }
  new Rng(o.seed).shuffle(out);
  return {
    sources: o.limit === undefined ? out : out.slice(0, o.limit),
    read: candidates.length,
    duplicates,
    skipped,
    tooLong,
  };
}

export type DropReason = 'empty' | 'copy' | 'length ratio' | 'repetition' | 'lost a name or number';

/** Output length / source length (characters) outside this range is likely a wrong translation. */
const LENGTH_RATIO = [0.6, 1.8] as const;
/** A word three or more times in a row: the decoder looping. */
const REPEATED_WORD = /(^|\s)(\S+)(\s+\2){2,}(?=\s|$)/iu;

/** What tells names and numbers from other words (src/train/name-swap.ts's NameSwapper does). */
export interface NameFinder {
  /** The words of a text (runs of letters and digits). */
  wordsOf(text: string): string[];
  /** The names and numbers of a text, each once. */
  namesAndNumbersOf(text: string): string[];
}

/** Why the pair (source, model output) should not become training data, or undefined to keep it. */
export function dropReason(src: string, out: string, names: NameFinder): DropReason | undefined {
  if (out.trim() === '') return 'empty';
  if (sourceKey(out) === sourceKey(src)) return 'copy';
  const ratio = out.length / Math.max(1, src.length);
  if (ratio < LENGTH_RATIO[0] || ratio > LENGTH_RATIO[1]) return 'length ratio';
  if (REPEATED_WORD.test(out)) return 'repetition';
  const outWords = new Set(names.wordsOf(out));
  // One-letter capitals are words ("I"), not names; one digit is a number.
  const kept = names.namesAndNumbersOf(src).filter((w) => w.length > 1 || /\p{Nd}/u.test(w));
  if (kept.some((w) => !outWords.has(w))) return 'lost a name or number';
  return undefined;
}

/**
 * A synthetic parallel corpus with a known word alignment: English dates → Spanish-style dates.
 *
 * Source: an English date in one of several formats and word orders, every token a whole word separated by
 * single spaces, optionally preceded by a weekday:
 *
 *   march 3 , 2021               3 march 2021              the third of march 2021
 *   march the third , 2021       3rd march 2021            mar 3 2021
 *   2021 - 03 - 03               wednesday , march 3 , 2021
 *
 * Target: always `[weekday] day de month de year`, e.g. `miércoles 3 de marzo de 2021`.
 *
 * Every content word of the target has exactly one gold source word: the weekday ← the source weekday, the
 * day number ← the source day word ("3", "03", "3rd" or "third"), the month ← the source month word
 * ("march", "mar" or "03"), the year ← the source year. The fillers ("de" in the target; "the", "of", ","
 * and "-" in the source) are aligned to nothing, so they take no part in alignment scores. Because the
 * source order varies while the target order is fixed, a model that aligns by position rather than by
 * content is caught out.
 *
 * Registered as the corpus source `synthetic:` with the specs `synthetic:dates` (20,000 pairs),
 * `synthetic:dates:N` (N pairs) and `synthetic:dates:N:SEED` (default seed 1). Import this module for its
 * side effect (`import '../data/synthetic.js'`) before calling `loadCorpus` on such a spec.
 */
import { registerCorpusSource } from './corpus.js';
import { Rng } from '../util/rng.js';
import { CorpusError, type SentencePair } from './types.js';

/** [source word index, target word index] (0-based, words = space-separated tokens). */
export type GoldLink = [number, number];

export interface SyntheticCorpus {
  pairs: SentencePair[];
  /** gold[k]: the links of pairs[k], sorted by target word index. */
  gold: GoldLink[][];
}

export const DEFAULT_DATES_PAIRS = 20000;
export const DEFAULT_DATES_SEED = 1;
export const FIRST_YEAR = 1950;
export const LAST_YEAR = 2049;

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const MONTH_ABBREVIATIONS = [
  'jan',
  'feb',
  'mar',
  'apr',
  'may',
  'jun',
  'jul',
  'aug',
  'sep',
  'oct',
  'nov',
  'dec',
];
const MESES = [
  'enero',
  'febrero',
  'marzo',
  'abril',
  'mayo',
  'junio',
  'julio',
  'agosto',
  'septiembre',
  'octubre',
  'noviembre',
  'diciembre',
];
/** Indexed by `Date.prototype.getUTCDay()`: 0 = Sunday. */
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const DIAS = ['domingo', 'lunes', 'martes', 'miércoles', 'jueves', 'viernes', 'sábado'];

const ORDINAL_UNITS = [
  '',
  'first',
  'second',
  'third',
  'fourth',
  'fifth',
  'sixth',
  'seventh',
  'eighth',
  'ninth',
];
const ORDINAL_TEENS = [
  'tenth',
  'eleventh',
  'twelfth',
  'thirteenth',
  'fourteenth',
  'fifteenth',
  'sixteenth',
  'seventeenth',
  'eighteenth',
  'nineteenth',
];

/** 1 → "first", 21 → "twenty-first" (one word), 30 → "thirtieth". */
export function ordinalWord(day: number): string {
  if (day < 10) return ORDINAL_UNITS[day];
  if (day < 20) return ORDINAL_TEENS[day - 10];
  const tens = day < 30 ? 'twenty' : 'thirty';
  const unit = day % 10;
  if (unit === 0) return day === 20 ? 'twentieth' : 'thirtieth';
  return `${tens}-${ORDINAL_UNITS[unit]}`;
}

/** 1 → "1st", 2 → "2nd", 11 → "11th", 23 → "23rd". */
export function ordinalSuffix(day: number): string {
  const unit = day % 10;
  const suffix =
    day >= 11 && day <= 13 ? 'th' : unit === 1 ? 'st' : unit === 2 ? 'nd' : unit === 3 ? 'rd' : 'th';
  return `${day}${suffix}`;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

interface DateParts {
  year: number;
  /** 0-based */
  month: number;
  day: number;
  weekday: number;
}

/** Source words and the index of the word carrying each part. */
interface Rendered {
  words: string[];
  day: number;
  month: number;
  year: number;
}

interface SourceFormat {
  name: string;
  /** Whether "weekday ," may precede it. */
  weekday: boolean;
  render(d: DateParts): Rendered;
}

/** Builds a Rendered from a template of literal words and {day}/{month}/{year} slots. */
function layout(parts: (string | { day: string } | { month: string } | { year: string })[]): Rendered {
  const out: Rendered = { words: [], day: -1, month: -1, year: -1 };
  for (const p of parts) {
    if (typeof p === 'string') out.words.push(p);
    else if ('day' in p) out.day = out.words.push(p.day) - 1;
    else if ('month' in p) out.month = out.words.push(p.month) - 1;
    else out.year = out.words.push(p.year) - 1;
  }
  return out;
}

/** The source formats; exported so tests can check that each one occurs. */
export const DATE_FORMATS: readonly SourceFormat[] = [
  {
    name: 'month day , year',
    weekday: true,
    render: (d) =>
      layout([{ month: MONTHS[d.month] }, { day: String(d.day) }, ',', { year: String(d.year) }]),
  },
  {
    name: 'day month year',
    weekday: true,
    render: (d) => layout([{ day: String(d.day) }, { month: MONTHS[d.month] }, { year: String(d.year) }]),
  },
  {
    name: 'the ordinal of month year',
    weekday: true,
    render: (d) =>
      layout([
        'the',
        { day: ordinalWord(d.day) },
        'of',
        { month: MONTHS[d.month] },
        { year: String(d.year) },
      ]),
  },
  {
    name: 'month the ordinal , year',
    weekday: true,
    render: (d) =>
      layout([{ month: MONTHS[d.month] }, 'the', { day: ordinalWord(d.day) }, ',', { year: String(d.year) }]),
  },
  {
    name: 'dayth month year',
    weekday: true,
    render: (d) =>
      layout([{ day: ordinalSuffix(d.day) }, { month: MONTHS[d.month] }, { year: String(d.year) }]),
  },
  {
    name: 'mon day year',
    weekday: false,
    render: (d) =>
      layout([{ month: MONTH_ABBREVIATIONS[d.month] }, { day: String(d.day) }, { year: String(d.year) }]),
  },
  {
    name: 'year - mm - dd',
    weekday: false,
    render: (d) =>
      layout([{ year: String(d.year) }, '-', { month: pad2(d.month + 1) }, '-', { day: pad2(d.day) }]),
  },
];

/** Probability that a format that allows it gets a leading weekday. */
const WEEKDAY_PROBABILITY = 0.25;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

function randomDate(rng: Rng): DateParts {
  const year = FIRST_YEAR + rng.int(LAST_YEAR - FIRST_YEAR + 1);
  const month = rng.int(12);
  const day = 1 + rng.int(daysInMonth(year, month));
  return { year, month, day, weekday: new Date(Date.UTC(year, month, day)).getUTCDay() };
}

/** One pair: source words, target words and gold links [src, tgt]. */
function generateOne(rng: Rng): { src: string[]; tgt: string[]; gold: GoldLink[] } {
  const d = randomDate(rng);
  const format = DATE_FORMATS[rng.int(DATE_FORMATS.length)];
  const withWeekday = format.weekday && rng.next() < WEEKDAY_PROBABILITY;
  const r = format.render(d);
  const offset = withWeekday ? 2 : 0;
  const src = withWeekday ? [WEEKDAYS[d.weekday], ',', ...r.words] : r.words;
  const tgt: string[] = [];
  const gold: GoldLink[] = [];
  if (withWeekday) gold.push([0, tgt.push(DIAS[d.weekday]) - 1]);
  gold.push([r.day + offset, tgt.push(String(d.day)) - 1]);
  tgt.push('de');
  gold.push([r.month + offset, tgt.push(MESES[d.month]) - 1]);
  tgt.push('de');
  gold.push([r.year + offset, tgt.push(String(d.year)) - 1]);
  return { src, tgt, gold };
}

/**
 * `n` English→Spanish date pairs and their gold word alignments; the same (n, seed) always gives the same
 * corpus, and a longer corpus with the same seed starts with the shorter one.
 */
export function generateDates(n: number, seed: number = DEFAULT_DATES_SEED): SyntheticCorpus {
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError(`generateDates: n must be a non-negative integer, got ${n}`);
  const rng = new Rng(seed);
  const pairs: SentencePair[] = [];
  const gold: GoldLink[][] = [];
  for (let k = 0; k < n; k++) {
    const one = generateOne(rng);
    pairs.push({ src: one.src.join(' '), tgt: one.tgt.join(' ') });
    gold.push(one.gold);
  }
  return { pairs, gold };
}

/** Parses the part of a spec after `synthetic:`, e.g. `dates`, `dates:5000` or `dates:5000:7`. */
export function parseSyntheticSpec(rest: string): { name: 'dates'; n: number; seed: number } {
  const spec = `synthetic:${rest}`;
  const [name, count, seed, ...extra] = rest.split(':');
  if (name !== 'dates') {
    throw new CorpusError(
      `unknown synthetic corpus '${name}' (known: dates, as synthetic:dates[:N[:SEED]])`,
      spec,
    );
  }
  if (extra.length > 0) throw new CorpusError('expected synthetic:dates[:N[:SEED]]', spec);
  const int = (s: string | undefined, fallback: number, what: string, min: number): number => {
    if (s === undefined) return fallback;
    if (!/^\d+$/.test(s) || Number(s) < min) {
      throw new CorpusError(
        `${what} must be an integer ≥ ${min}, got '${s}' (synthetic:dates[:N[:SEED]])`,
        spec,
      );
    }
    return Number(s);
  };
  return {
    name,
    n: int(count, DEFAULT_DATES_PAIRS, 'the pair count N', 1),
    seed: int(seed, DEFAULT_DATES_SEED, 'the seed', 0),
  };
}

registerCorpusSource('synthetic:', (rest, opts) => {
  const { n, seed } = parseSyntheticSpec(rest);
  const { pairs } = generateDates(n, seed);
  return opts.reverse ? pairs.map((p) => ({ src: p.tgt, tgt: p.src })) : pairs;
});

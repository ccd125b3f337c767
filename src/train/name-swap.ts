/**
 * Copy practice: in a share of training pairs, each name and number that the pair writes the same on both
 * sides ("Tom" … "Tom", "1990" … "1990") is replaced, on both sides alike, by a made-up one drawn anew
 * each epoch ("Zubeka Trenvik", "4718").
 *
 * Why: the Tatoeba files name the same few people over and over (Tom and Mary are in a large share of the
 * English–Spanish pairs), so a model learns "Tom" as a word with a translation, not as something to copy,
 * and mangles names it never saw ("Aisha Bello" → "Aisha Be wrote", "Omar" → "Los niños"; bench:robust).
 * Names it cannot have seen make copying through attention the only way to get the target right, piece by
 * piece through the subword vocabulary, which is what a new name at translation time asks for.
 *
 * A name is a capitalised word whose lower-case form the training text hardly ever writes ("Tom", "Boston";
 * not "No", which is also "no"); a number is a run of digits, replaced by as many digits (long runs now and
 * then by more or fewer, see madeUpNumber). Written by hand:
 * this is data preparation particular to this trainer (no library does it).
 */
import type { Rng } from '../util/rng.js';
import type { SentencePair } from '../data/types.js';

/** Letters or digits: "Tom's" holds the word "Tom", so both sides of "Tom's" … "de Tom" swap alike. */
const WORD = /[\p{L}\p{N}]+/gu;
const DIGITS = /^\p{Nd}+$/u;
const CAPITALISED = /^\p{Lu}/u;

const ONSETS = [
  'b',
  'd',
  'f',
  'g',
  'h',
  'j',
  'k',
  'l',
  'm',
  'n',
  'p',
  'r',
  's',
  't',
  'v',
  'z',
  'ch',
  'sh',
  'br',
  'kr',
  'tr',
  'st',
  'w',
  'y',
];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'a', 'e', 'o', 'ai'];
const MARKED_VOWELS = ['ou', 'é', 'ö', 'ü', 'á', 'ı', 'ø'];
/** Vowels with diacritics are drawn with this probability (names such as "Müller", "Kraków" have them). */
const DIACRITIC_SHARE = 0.1;
const CODAS = ['', '', '', 'n', 'r', 'k', 's', 'l', 'm', 'v', 'tz'];

/**
 * Names drawn with a vowel first ("Ovaren", "Ishola"). Without them every made-up name began with a
 * consonant, and the model went on reading vowel-initial names as words ("Ingrid lives in Germany." →
 * "La vida vive en Alemania.", "Omar" → "El extranjero"; bench:robust, session 12). About a quarter of
 * common first names begin with a vowel (Aisha, Emma, Ingrid, Olga, Omar, …).
 */
const VOWEL_START_SHARE = 0.25;
/**
 * Family names drawn with an apostrophe prefix, typographic or straight ("O’Kelan", "D'Amaro"): such names
 * (O’Connor, D’Angelo) are almost absent from the corpora (’ is in 3 of ~140k Spanish training lines), so
 * the model wrote "Liam O’Connor" as "Liam Ooronnor".
 */
const APOSTROPHE_SHARE = 0.05;
const APOSTROPHE_PREFIXES = ['O’', "O'", 'D’', "D'"];

/** A made-up name of 2–3 syllables, capitalised: "Zubeka", "Trenvik", "Shölan", "Ovaren". */
export function madeUpName(rng: Pick<Rng, 'next' | 'int'>): string {
  const syllables = 2 + rng.int(2);
  const vowelFirst = rng.next() < VOWEL_START_SHARE;
  let s = '';
  for (let k = 0; k < syllables; k++) {
    const vowels = rng.next() < DIACRITIC_SHARE ? MARKED_VOWELS : VOWELS;
    const vowel = vowels[rng.int(vowels.length)];
    s += (k === 0 && vowelFirst ? '' : ONSETS[rng.int(ONSETS.length)]) + vowel;
  }
  s += CODAS[rng.int(CODAS.length)];
  return s[0].toUpperCase() + s.slice(1);
}

/** A made-up family name: madeUpName, now and then after an apostrophe prefix ("O’Kelan"). */
export function madeUpFamilyName(rng: Pick<Rng, 'next' | 'int'>): string {
  const name = madeUpName(rng);
  return rng.next() < APOSTROPHE_SHARE
    ? APOSTROPHE_PREFIXES[rng.int(APOSTROPHE_PREFIXES.length)] + name
    : name;
}

/**
 * Runs of at least this many digits are now and then made up at another length (4–10 digits). Why: with
 * every number replaced by as many digits, long runs stayed as rare as in the corpora (years, mostly), and
 * the model dropped the last digit of phone numbers ("555-6640" → "555-664"; bench:robust, session 13).
 * Shorter runs keep their length: "1,250" and "10:30" are groups of 3 and 2 digits inside one number.
 */
const LONG_RUN = 4;
const LONG_RUN_RELENGTH_SHARE = 0.3;
const LONGEST_MADE_UP_RUN = 10;

/**
 * A run of digits in place of `digits`: as many digits, or for long runs now and then 4–10 of them; the
 * first not 0 unless the original's was.
 */
export function madeUpNumber(digits: string, rng: Pick<Rng, 'next' | 'int'>): string {
  const length =
    digits.length >= LONG_RUN && rng.next() < LONG_RUN_RELENGTH_SHARE
      ? LONG_RUN + rng.int(LONGEST_MADE_UP_RUN - LONG_RUN + 1)
      : digits.length;
  let s = '';
  for (let k = 0; k < length; k++) s += String(k === 0 && digits[0] !== '0' ? 1 + rng.int(9) : rng.int(10));
  return s;
}

/**
 * A capitalised word is a name when it is written in lower case less than once in this many of its uses
 * (typos such as "esta tom ahora" must not make "Tom", written so 40,000 times, a common word).
 */
const NAME_LOWER_CASE_RATIO = 0.01;

export class NameSwapper {
  private constructor(private readonly names: ReadonlySet<string>) {}

  /** Learns which capitalised words are names: those hardly ever written in lower case in `pairs`. */
  static fromPairs(pairs: readonly SentencePair[]): NameSwapper {
    const count = new Map<string, number>();
    for (const p of pairs)
      for (const text of [p.src, p.tgt])
        for (const [w] of text.matchAll(WORD)) if (!DIGITS.test(w)) count.set(w, (count.get(w) ?? 0) + 1);
    const names = new Set<string>();
    for (const [w, n] of count)
      if (CAPITALISED.test(w) && (count.get(w.toLowerCase()) ?? 0) < n * NAME_LOWER_CASE_RATIO) names.add(w);
    return new NameSwapper(names);
  }

  /** The words of `text` (runs of letters and digits), in order. */
  wordsOf(text: string): string[] {
    return Array.from(text.matchAll(WORD), (m) => m[0]);
  }

  /** The names and numbers of `text`, each once. */
  namesAndNumbersOf(text: string): string[] {
    return [...new Set(this.wordsOf(text).filter((w) => DIGITS.test(w) || this.names.has(w)))];
  }

  /** The names and numbers `pair` writes the same on both sides, each once. */
  candidates(pair: SentencePair): string[] {
    const tgtWords = new Set(this.wordsOf(pair.tgt));
    return this.namesAndNumbersOf(pair.src).filter((w) => tgtWords.has(w));
  }

  /**
   * `pair` with each candidate replaced by a made-up name (one word, or two in `twoWordShare` of the
   * cases: first and family name) or number, the same on both sides; the pair itself when it has none.
   */
  swap(pair: SentencePair, rng: Pick<Rng, 'next' | 'int'>, twoWordShare = 0.3): SentencePair {
    const found = this.candidates(pair);
    if (found.length === 0) return pair;
    const replacement = new Map<string, string>();
    for (const w of found) {
      if (DIGITS.test(w)) replacement.set(w, madeUpNumber(w, rng));
      else {
        const name = madeUpName(rng);
        replacement.set(w, rng.next() < twoWordShare ? `${name} ${madeUpFamilyName(rng)}` : name);
      }
    }
    const rewrite = (text: string) => text.replace(WORD, (w) => replacement.get(w) ?? w);
    return { src: rewrite(pair.src), tgt: rewrite(pair.tgt) };
  }
}

/**
 * The robustness set: English sentences the project writes itself, from templates, each carrying the
 * names and numbers a translation must keep unchanged (person and place names, years, times, prices,
 * counts, phone numbers), and the variants users type: ALL CAPS, lower case, no final punctuation.
 *
 * Numbers are chosen so that Spanish writes them the same way (no thousands separators or decimals,
 * which Spanish writes differently): "unchanged" can then be checked literally. A price "$25" counts as
 * kept when its digits "25" are there ("25 dólares" is a right translation).
 */
import { Rng } from '../util/rng.js';

export interface RobustItem {
  /** The sentence as written, with final punctuation. */
  text: string;
  /** Strings that must appear in the translation as they are (names, digits). */
  keep: string[];
}

export type Variant = 'normal' | 'no-punctuation' | 'lower' | 'upper';
export const VARIANTS: readonly Variant[] = ['normal', 'no-punctuation', 'lower', 'upper'];

const PEOPLE = [
  'Barack Obama',
  'Maria Lopez',
  'Olga Petrova',
  'Kenji Watanabe',
  'Aisha Bello',
  'Thomas Müller',
  'Priya Sharma',
  'Liam O’Connor',
  'Chen Wei',
  'Fatima Haddad',
  'Jonas Berg',
  'Ana Souza',
];
const FIRST_NAMES = ['Tom', 'Mary', 'Kofi', 'Ingrid', 'Rahul', 'Yuki', 'Pedro', 'Zofia', 'Omar', 'Elena'];
const PLACES = [
  'Germany',
  'Lisbon',
  'Nairobi',
  'Osaka',
  'Winnipeg',
  'Montevideo',
  'Krakow',
  'Dublin',
  'Seoul',
  'Marrakesh',
  'Helsinki',
  'Cairo',
];

/**
 * The places above that a language writes its own way: a translation that writes "Alemania" for "Germany"
 * or "Lisboa" for "Lisbon" is right, so either form counts as kept (the conventional exonyms, as the
 * languages' own Wikipedias title these places). The others are written as in English.
 */
export const PLACE_NAMES: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  spa: {
    Germany: ['Alemania'],
    Lisbon: ['Lisboa'],
    Krakow: ['Cracovia'],
    Dublin: ['Dublín'],
    Seoul: ['Seúl'],
    Marrakesh: ['Marrakech'],
  },
  fra: {
    Germany: ['Allemagne'],
    Lisbon: ['Lisbonne'],
    Krakow: ['Cracovie'],
    Seoul: ['Séoul'],
    Marrakesh: ['Marrakech'],
    Cairo: ['Caire'],
  },
  deu: {
    Germany: ['Deutschland'],
    Lisbon: ['Lissabon'],
    Krakow: ['Krakau'],
    Marrakesh: ['Marrakesch'],
    Cairo: ['Kairo'],
  },
};

/** What a kept string is, for the benchmark's breakdown: each kind fails in its own way. */
export type KeepKind = 'name' | 'number' | 'time' | 'phone';
export const KEEP_KINDS: readonly KeepKind[] = ['name', 'number', 'time', 'phone'];

/** The kind of a string of `keep`, from its form (the templates write times as 10:30, phones as 555-1234). */
export function keepKind(keep: string): KeepKind {
  if (/^\d{1,2}:\d{2}$/u.test(keep)) return 'time';
  if (/^\d+-\d+$/u.test(keep)) return 'phone';
  if (/^\d+$/u.test(keep)) return 'number';
  return 'name';
}

type Draw = { text: string; keep: string[] };
type Template = (r: Pick<Rng, 'int'>) => Draw;

const pick = <T>(r: Pick<Rng, 'int'>, xs: readonly T[]): T => xs[r.int(xs.length)];
const year = (r: Pick<Rng, 'int'>) => String(1950 + r.int(80));
const time = (r: Pick<Rng, 'int'>) => `${1 + r.int(11)}:${pick(r, ['00', '15', '30', '45'])}`;
const count = (r: Pick<Rng, 'int'>) => String(12 + r.int(980));
const phone = (r: Pick<Rng, 'int'>) => `555-${String(1000 + r.int(9000))}`;

const TEMPLATES: Template[] = [
  (r) => {
    const [p, c, y] = [pick(r, PEOPLE), pick(r, PLACES), year(r)];
    return { text: `${p} visited ${c} in ${y}.`, keep: [p, c, y] };
  },
  (r) => {
    const [n, t] = [pick(r, FIRST_NAMES), time(r)];
    return { text: `${n} arrives at ${t} tomorrow.`, keep: [n, t] };
  },
  (r) => {
    const d = String(5 + r.int(95));
    return { text: `The ticket costs $${d}.`, keep: [d] };
  },
  (r) => {
    const [n, k] = [pick(r, FIRST_NAMES), count(r)];
    return { text: `${n} has ${k} books.`, keep: [n, k] };
  },
  (r) => {
    const [p, ph] = [pick(r, PEOPLE), phone(r)];
    return { text: `Call ${p} at ${ph}.`, keep: [p, ph] };
  },
  (r) => {
    const [c, k] = [pick(r, PLACES), count(r)];
    return { text: `There are ${k} hotels in ${c}.`, keep: [c, k] };
  },
  (r) => {
    const [n, c] = [pick(r, FIRST_NAMES), pick(r, PLACES)];
    return { text: `${n} lives in ${c}.`, keep: [n, c] };
  },
  (r) => {
    const [y, p] = [year(r), pick(r, PEOPLE)];
    return { text: `In ${y}, ${p} wrote a book.`, keep: [y, p] };
  },
  (r) => {
    const [t, c] = [time(r), pick(r, PLACES)];
    return { text: `The train to ${c} leaves at ${t}.`, keep: [c, t] };
  },
  (r) => {
    const [n, m] = [pick(r, FIRST_NAMES), pick(r, FIRST_NAMES)];
    return { text: `${n} and ${m} are friends.`, keep: [n, m] };
  },
  (r) => {
    const k = String(2 + r.int(60));
    return { text: `I waited for ${k} minutes.`, keep: [k] };
  },
  (r) => {
    const [p, k] = [pick(r, PEOPLE), String(18 + r.int(70))];
    return { text: `${p} is ${k} years old.`, keep: [p, k] };
  },
  (r) => {
    const [c, y] = [pick(r, PLACES), year(r)];
    return { text: `We went to ${c} in ${y}.`, keep: [c, y] };
  },
  (r) => {
    const [n, d] = [pick(r, FIRST_NAMES), String(10 + r.int(490))];
    return { text: `${n} paid $${d} for the car.`, keep: [n, d] };
  },
  (r) => {
    const ph = phone(r);
    return { text: `My phone number is ${ph}.`, keep: [ph] };
  },
  (r) => {
    const [p, c] = [pick(r, PEOPLE), pick(r, PLACES)];
    return { text: `Did ${p} ever live in ${c}?`, keep: [p, c] };
  },
  (r) => {
    const [t, n] = [time(r), pick(r, FIRST_NAMES)];
    return { text: `The meeting with ${n} starts at ${t}.`, keep: [n, t] };
  },
  (r) => {
    const k = count(r);
    return { text: `The school has ${k} students.`, keep: [k] };
  },
  (r) => {
    const [n, c] = [pick(r, FIRST_NAMES), pick(r, PLACES)];
    return { text: `${n} was born in ${c}.`, keep: [n, c] };
  },
  (r) => {
    const [y, k] = [year(r), count(r)];
    return { text: `In ${y} the town had ${k} houses.`, keep: [y, k] };
  },
  (r) => {
    const [p, t] = [pick(r, PEOPLE), time(r)];
    return { text: `${p} called me at ${t}.`, keep: [p, t] };
  },
  (r) => {
    const c = pick(r, PLACES);
    return { text: `Where is the station in ${c}?`, keep: [c] };
  },
  (r) => {
    const [n, d] = [pick(r, FIRST_NAMES), String(3 + r.int(40))];
    return { text: `${n} needs ${d} chairs for the party.`, keep: [n, d] };
  },
  (r) => {
    const [p, y] = [pick(r, PEOPLE), year(r)];
    return { text: `${p} won the prize in ${y}!`, keep: [p, y] };
  },
  (r) => {
    const [c, m] = [pick(r, PLACES), pick(r, PLACES)];
    return { text: `The flight from ${c} to ${m} was late.`, keep: [c, m] };
  },
];

/** `n` sentences (≥ 200 by default), the same for the same seed: templates in turn, slots drawn. */
export function robustnessSet(n = 250, seed = 2026): RobustItem[] {
  const rng = new Rng(seed);
  const seen = new Set<string>();
  const items: RobustItem[] = [];
  for (let i = 0; items.length < n && i < n * 20; i++) {
    const item = TEMPLATES[i % TEMPLATES.length](rng);
    if (seen.has(item.text)) continue;
    seen.add(item.text);
    items.push(item);
  }
  return items;
}

/** The sentence as the variant types it. */
export function variantText(text: string, variant: Variant): string {
  switch (variant) {
    case 'normal':
      return text;
    case 'no-punctuation':
      return text.replace(/[.!?]+$/u, '');
    case 'lower':
      return text.toLowerCase();
    case 'upper':
      return text.toUpperCase();
  }
}

/**
 * How many of `keep` appear in `output` unchanged: exactly for normal-case input, ignoring case for the
 * lower/upper variants (the name was given in that case). Names match at word boundaries. `alternatives`
 * gives other right forms of a name in the target language (PLACE_NAMES), which count as kept too.
 */
export function keptCount(
  output: string,
  keep: readonly string[],
  variant: Variant,
  alternatives: Readonly<Record<string, readonly string[]>> = {},
): number {
  const fold = variant === 'lower' || variant === 'upper';
  const hay = fold ? output.toLowerCase() : output;
  const found = (k: string) => {
    const needle = (fold ? k.toLowerCase() : k).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return new RegExp(`(?<![\\p{L}\\p{N}])${needle}(?![\\p{L}\\p{N}])`, 'u').test(hay);
  };
  return keep.filter((k) => found(k) || (alternatives[k] ?? []).some(found)).length;
}

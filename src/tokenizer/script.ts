/**
 * Which writing system a text is mostly in, to decide whether two languages can share one subword
 * vocabulary (English and Spanish: yes; English and Russian: no, their pieces would never overlap).
 */
const SCRIPTS = [
  'Latin',
  'Cyrillic',
  'Greek',
  'Arabic',
  'Hebrew',
  'Devanagari',
  'Han',
  'Hiragana',
  'Katakana',
  'Hangul',
  'Thai',
  'Georgian',
  'Armenian',
] as const;

const PATTERNS = SCRIPTS.map((name) => ({ name, re: new RegExp(`\\p{Script=${name}}`, 'u') }));

/** The script most letters of `sentences` (at most the first 2,000) are written in, or 'other'. */
export function dominantScript(sentences: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const s of sentences.slice(0, 2000))
    for (const ch of s) {
      if (!/\p{L}/u.test(ch)) continue;
      const name = PATTERNS.find((p) => p.re.test(ch))?.name ?? 'other';
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
  let best = 'other';
  let most = 0;
  for (const [name, n] of counts) if (n > most) [best, most] = [name, n];
  return best;
}

/** Whether both sides are mostly written in the same script. */
export function sameScript(src: readonly string[], tgt: readonly string[]): boolean {
  return dominantScript(src) === dominantScript(tgt);
}

/**
 * Words for the statistical aligner: lower case, punctuation split off, and the contractions that
 * word-alignment test sets write out in full, so that training text (Tatoeba: "l'avis du ministre",
 * "don't") and test text (Hansards, NAACL 2003: "le avis de le ministre", "do not") share their words.
 * French: elided l' d' n' qu' j' s' c' m' t' become le de ne que je se ce me te, and du des au aux become
 * de le, de les, à le, à les. English: n't 're 'm 'll 've become not are am will have; 's stands alone.
 * Other languages get the lower case and the punctuation split only.
 *
 * Written by hand: a general tokenizer (Moses, spaCy) splits "du" or "l'" differently from these test
 * sets, and their exact rules are what make the lexical table's words match.
 */

const FRENCH_ELISION: Record<string, string> = {
  l: 'le',
  d: 'de',
  n: 'ne',
  qu: 'que',
  j: 'je',
  s: 'se',
  c: 'ce',
  m: 'me',
  t: 'te',
};
const FRENCH_CONTRACTION: Record<string, string[]> = {
  du: ['de', 'le'],
  des: ['de', 'les'],
  au: ['à', 'le'],
  aux: ['à', 'les'],
};
const ENGLISH_CONTRACTION: [RegExp, string][] = [
  [/n't\b/gu, ' not'],
  [/'re\b/gu, ' are'],
  [/'m\b/gu, ' am'],
  [/'ll\b/gu, ' will'],
  [/'ve\b/gu, ' have'],
  [/'s\b/gu, " 's"],
];

/** The words of `text` in language `lang` (ISO 639-3 as elsewhere: eng, fra, …). */
export function alignmentWords(text: string, lang: string): string[] {
  let s = text.toLowerCase().replace(/[’‘]/gu, "'");
  if (lang === 'eng') for (const [re, by] of ENGLISH_CONTRACTION) s = s.replace(re, by);
  if (lang === 'fra') s = s.replace(/\b(qu|[ldnjscmt])'/gu, (_, e: string) => `${FRENCH_ELISION[e]} `);
  s = s.replace(/([.,!?;:"()«»¿¡[\]])/gu, ' $1 ');
  const words = s.split(/\s+/u).filter((w) => w !== '');
  return lang === 'fra' ? words.flatMap((w) => FRENCH_CONTRACTION[w] ?? [w]) : words;
}

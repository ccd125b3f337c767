/**
 * Symbols the model cannot translate (an emoji, ♥, →, a currency sign: characters its vocabulary never saw)
 * pass through.
 * Left in the input they become <unk> or byte pieces, and the model writes something else in their place
 * ("I love pizza 🍕." → "Me encanta la pizza de las cosas."). So they are taken out before translation
 * and put back into the translation after the word that attention aligns with the source word they
 * followed ("Me encanta la pizza 🍕.").
 */
import type { SubwordTokenizer } from '../tokenizer/subword.js';

/** One held symbol: after which source word it stood (-1: before the first), and whether punctuation followed it. */
export interface HeldSymbol {
  symbol: string;
  afterWord: number;
  beforePunctuation: boolean;
}

/** An emoji (with its modifiers, variation selectors and ZWJ sequences), or a symbol, maths or currency sign. */
const SYMBOL =
  /(?:\p{Extended_Pictographic}|\p{So}|\p{Sm}|\p{Sc})(?:[\u{FE0F}\u{200D}\p{Emoji_Modifier}]|\p{Extended_Pictographic})*/gu;
const LEADING_PUNCTUATION = /^[.,!?;:…]/u;
const TRAILING_PUNCTUATION = /[.,!?;:…]+$/u;

/** The text without the symbols the vocabulary cannot write, and where they stood; undefined when none. */
export function holdSymbols(
  tokenizer: SubwordTokenizer,
  text: string,
): { text: string; held: HeldSymbol[] } | undefined {
  const held: HeldSymbol[] = [];
  let out = '';
  let last = 0;
  for (const m of text.matchAll(SYMBOL)) {
    if (tokenizer.knows(m[0])) continue;
    out += text.slice(last, m.index);
    last = m.index + m[0].length;
    const before = out.trim();
    const rest = text.slice(last);
    held.push({
      symbol: m[0],
      afterWord: before === '' ? -1 : before.split(/\s+/u).length - 1,
      beforePunctuation: LEADING_PUNCTUATION.test(rest.trimStart()),
    });
    // No space before the punctuation the symbol preceded (other doubled spaces collapse below).
    if (LEADING_PUNCTUATION.test(rest)) out = out.trimEnd();
  }
  if (held.length === 0) return undefined;
  return { text: (out + text.slice(last)).replace(/\s+/gu, ' ').trim(), held };
}

/**
 * `translation` with the held symbols put back: after the last target word linked ([source, target]
 * word links) to the source word each followed, before that word's final punctuation when the symbol
 * preceded punctuation; at the start or the end when there is no such word.
 */
export function restoreSymbols(
  translation: string,
  held: readonly HeldSymbol[],
  links: readonly (readonly [number, number])[],
): string {
  const words = translation === '' ? [] : translation.split(' ');
  const before: string[] = [];
  const after = words.map(() => [] as string[]);
  const atEnd: string[] = [];
  const beforePunct = new Set<number>();
  for (const h of held) {
    if (h.afterWord < 0) {
      before.push(h.symbol);
      continue;
    }
    // Links count the tokenizer's words, which may split the text differently from its spaces.
    const targets = links.filter(([s, t]) => s === h.afterWord && t < words.length).map(([, t]) => t);
    if (targets.length === 0 || words.length === 0) {
      atEnd.push(h.symbol);
      continue;
    }
    const t = Math.max(...targets);
    after[t].push(h.symbol);
    if (h.beforePunctuation) beforePunct.add(t);
  }
  const out = words.map((w, t) => {
    if (after[t].length === 0) return w;
    const symbols = after[t].join(' ');
    const punct = beforePunct.has(t) ? (TRAILING_PUNCTUATION.exec(w)?.[0] ?? '') : '';
    return punct ? `${w.slice(0, -punct.length)} ${symbols}${punct}` : `${w} ${symbols}`;
  });
  return [...before, ...out, ...atEnd].join(' ');
}

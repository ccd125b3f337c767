/**
 * Quotation marks at the edges of a sentence go around the model, not through it.
 *
 * Why: the training pairs hardly ever hold quotation marks, and sentence splitting cuts a quotation of
 * two sentences into halves that each carry one mark. Given '"Are you crazy?' the shipped model wrote
 * '"¿Tomo loco?' (without the mark: '¿Estás loco?'), given 'He said, "Go home.' it wrote 'Él dijo,G home
 * en casa.'; a word glued to a mark looks like a name to copy. So a mark that opens a sentence, closes
 * it, or opens a quotation after the sentence's first words ('He said, "…') is lifted off, the rest is
 * translated as a sentence of its own, and the mark is put back around its translation. Marks inside a
 * sentence ('The word "cat" is short.', '"Hi!" she said.') stay where they are: the model sees them as
 * before. Written by hand: no library does this for a translation pipeline's sentence pieces.
 *
 * Double marks only (" “ ” « » „): a single ' or ’ is far more often an apostrophe than a quote.
 */

import type { Translation } from './translation.js';

const MARKS = '"“”«»„';
const OPENING = new Set(['"', '“', '«', '„']);
const CLOSING = new Set(['"', '”', '»', '“']);

/** A sentence piece to translate, and the marks to put back around its translation. */
export interface QuotedPiece {
  text: string;
  open: string;
  close: string;
}

function markCount(text: string): number {
  let n = 0;
  for (const ch of text) if (MARKS.includes(ch)) n++;
  return n;
}

/**
 * The marks at the edges of one sentence, lifted off: '"Look, a hitchhiker.' → open '"' + 'Look, a
 * hitchhiker.'; 'Keep driving!"' → 'Keep driving!' + close '"'; '"Go home."' → both. A sentence whose
 * other marks are not at its edges comes back whole, with no marks lifted.
 */
export function liftEdgeQuotes(sentence: string): QuotedPiece {
  const whole = { text: sentence, open: '', close: '' };
  const first = sentence[0] ?? '';
  const last = sentence[sentence.length - 1] ?? '';
  const open = OPENING.has(first) ? first : '';
  const close = sentence.length > open.length && CLOSING.has(last) ? last : '';
  if (!open && !close) return whole;
  const text = sentence.slice(open.length, sentence.length - close.length).trim();
  if (text.length === 0 || markCount(text) > 0) return whole;
  return { text, open, close };
}

/**
 * One sentence as pieces to translate: its edge marks lifted (liftEdgeQuotes), a quotation opened after
 * its first words split from them ('He said, "Go home."' → 'He said,' and 'Go home.' in marks). A
 * quotation that opens the sentence and the words after it ('"I'm tired," said the boy.') stay one piece:
 * split, the words after it were translated badly on their own ('said the boy.' → 'mira al niño.'), and
 * BLEU on the validation files did not move (docs/ABLATION.md).
 */
export function quotePieces(sentence: string): QuotedPiece[] {
  const lifted = liftEdgeQuotes(sentence);
  if (lifted.text !== sentence || markCount(sentence) === 0) return [lifted];
  const chars = [...sentence];
  // An opening mark after a space, with no other mark before it and only a closing one (if any) after.
  const at = chars.findIndex((ch, i) => OPENING.has(ch) && i > 0 && /\s/.test(chars[i - 1]));
  if (at < 0) return [lifted];
  const lead = chars.slice(0, at).join('').trim();
  const quoted = liftEdgeQuotes(chars.slice(at).join(''));
  if (markCount(lead) > 0 || quoted.open === '') return [lifted];
  return [{ text: lead, open: '', close: '' }, quoted];
}

/** A piece's translation with its lifted marks put back around each hypothesis (and the re-cased source). */
export function requote(t: Translation, piece: QuotedPiece): Translation {
  if (!piece.open && !piece.close) return t;
  const wrap = (text: string) => piece.open + text + piece.close;
  return {
    ...t,
    ...(t.recased !== undefined && { recased: wrap(t.recased) }),
    hypotheses: t.hypotheses.map((h) => ({ ...h, text: wrap(h.text) })),
  };
}

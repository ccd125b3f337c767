/**
 * BLEU tokenizers that reproduce sacrebleu 2.5.1 (`13a`, `intl`, `none`), plus the few Python string
 * operations sacrebleu relies on, re-implemented with Python's semantics.
 *
 * Why Python semantics matter: sacrebleu splits on `str.split()` and strips with `str.rstrip()`, whose
 * notion of whitespace is `str.isspace()`. That set differs from JavaScript's `\s` (Python includes
 * U+001C–U+001F and U+0085, JavaScript includes U+FEFF), and a single stray character of that kind would
 * change token counts and therefore scores.
 */

/** Every character for which Python's `str.isspace()` is true (checked against CPython 3.11). */
const PYTHON_WHITESPACE_CLASS =
  '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PYTHON_WHITESPACE_RUN = new RegExp(`[${PYTHON_WHITESPACE_CLASS}]+`, 'u');
const PYTHON_TRAILING_WHITESPACE = new RegExp(`[${PYTHON_WHITESPACE_CLASS}]+$`, 'u');

/** Python's `s.split()` with no arguments: split on whitespace runs, never yield empty strings. */
export function splitOnWhitespace(text: string): string[] {
  return text.split(PYTHON_WHITESPACE_RUN).filter((piece) => piece !== '');
}

/** Python's `s.rstrip()` with no arguments. */
export function stripTrailingWhitespace(text: string): string {
  return text.replace(PYTHON_TRAILING_WHITESPACE, '');
}

/** Python's `' '.join(s.split())`: trim and collapse every whitespace run to one space. */
export function collapseWhitespace(text: string): string {
  return splitOnWhitespace(text).join(' ');
}

/**
 * Lowercasing as sacrebleu does it (`str.lower()`). Python and JavaScript both apply the full,
 * locale-independent Unicode lowercase mapping (including final sigma), so `toLowerCase()` matches.
 */
export function lowercase(text: string): string {
  return text.toLowerCase();
}

export const BLEU_TOKENIZER_NAMES = ['13a', 'intl', 'none'] as const;
export type BleuTokenizerName = (typeof BLEU_TOKENIZER_NAMES)[number];

/** A tokenizer takes one detokenized segment and returns it with tokens separated by single spaces. */
export type Tokenizer = (line: string) => string;

type RewriteRule = readonly [pattern: RegExp, replacement: string];

function applyRules(line: string, rules: readonly RewriteRule[]): string {
  let out = line;
  for (const [pattern, replacement] of rules) out = out.replace(pattern, replacement);
  return out;
}

/**
 * The rules of mteval-v13a.pl as sacrebleu's TokenizerRegexp applies them, in order. Each is a global
 * left-to-right replacement of non-overlapping matches, which JavaScript's `replace` with /g shares with
 * Python's `re.sub`.
 */
const MTEVAL_13A_RULES: readonly RewriteRule[] = [
  // ASCII punctuation and symbols always become separate tokens, except . , - and ' which need context
  // (the ranges are sacrebleu's `[\{-\~\[-\` -\&\(-\+\:-\@\/]`, written here as code points:
  // space ! " # $ % &   ( ) * +   /   : ; < = > ? @   [ \ ] ^ _ `   { | } ~).
  [/([\x20-\x26\x28-\x2b\x2f\x3a-\x40\x5b-\x60\x7b-\x7e])/gu, ' $1 '],
  // Period and comma are split off unless preceded by a digit ...
  [/([^0-9])([.,])/gu, '$1 $2 '],
  // ... or unless followed by a digit, so "3.50" and "1,000" stay whole.
  [/([.,])([^0-9])/gu, ' $1 $2'],
  // A dash after a digit is split off ("1990-2000" -> "1990 - 2000" style ranges).
  [/([0-9])(-)/gu, '$1 $2 '],
];

/** sacrebleu's default `13a` tokenizer (mteval-v13a.pl, as used by WMT). */
export function tokenize13a(line: string): string {
  let text = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  // mteval unescapes these four entities only, in this order (so "&amp;lt;" ends up as "<").
  if (text.includes('&')) {
    text = text
      .replaceAll('&quot;', '"')
      .replaceAll('&amp;', '&')
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>');
  }
  // The surrounding spaces let the period/comma rules see a "non-digit" at both ends of the line, so a
  // sentence-final "1990." is still split (unlike `intl`, see below).
  return collapseWhitespace(applyRules(` ${text} `, MTEVAL_13A_RULES));
}

/**
 * The rules of mteval-v14.pl's international tokenization, as sacrebleu's TokenizerV14International
 * writes them with the Python `regex` module. JavaScript's /u flag gives the same Unicode general
 * categories: \p{P} punctuation, \p{S} symbols, \p{N} numbers (\P{N}: anything that is not a number).
 */
const MTEVAL_14_INTERNATIONAL_RULES: readonly RewriteRule[] = [
  // Punctuation preceded by a non-number is split off ...
  [/(\P{N})(\p{P})/gu, '$1 $2 '],
  // ... and so is punctuation followed by a non-number; together they keep "1,000.5" whole.
  [/(\p{P})(\P{N})/gu, ' $1 $2'],
  // Every symbol ($, €, +, ...) is its own token.
  [/(\p{S})/gu, ' $1 '],
];

/**
 * sacrebleu's `intl` tokenizer. Unlike `13a` it separates non-ASCII punctuation such as "¿" and "¡".
 * Faithfully to mteval-v14 (and sacrebleu), a line-final "1990." keeps its period, because nothing
 * follows the period for the second rule to match.
 */
export function tokenizeIntl(line: string): string {
  return collapseWhitespace(applyRules(line, MTEVAL_14_INTERNATIONAL_RULES));
}

/** sacrebleu's `none`: the line is used as is; BLEU then splits it on whitespace. */
export function tokenizeNone(line: string): string {
  return line;
}

const BLEU_TOKENIZERS: Readonly<Record<BleuTokenizerName, Tokenizer>> = {
  '13a': tokenize13a,
  intl: tokenizeIntl,
  none: tokenizeNone,
};

export function isBleuTokenizerName(name: string): name is BleuTokenizerName {
  return (BLEU_TOKENIZER_NAMES as readonly string[]).includes(name);
}

export function getBleuTokenizer(name: BleuTokenizerName): Tokenizer {
  return BLEU_TOKENIZERS[name];
}

/**
 * Prepares one segment for BLEU exactly like sacrebleu's `BLEU._preprocess_segment`: lowercase first
 * (when asked), then strip trailing whitespace, then tokenize. Returns the tokens.
 */
export function tokenizeForBleu(
  sentence: string,
  tokenizer: BleuTokenizerName,
  lowercased: boolean,
): string[] {
  const cased = lowercased ? lowercase(sentence) : sentence;
  return splitOnWhitespace(getBleuTokenizer(tokenizer)(stripTrailingWhitespace(cased)));
}

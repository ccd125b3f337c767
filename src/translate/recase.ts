/**
 * Re-casing of single-case input ("THE CAT IS BLACK.", "where is tom?") before translation.
 *
 * Training text is in normal case, so a model sees an ALL-CAPS sentence as a string of rare subwords and
 * translates it badly (issue 12: 19.2 BLEU as written, 1.8 in ALL CAPS). Casing noise in training helps
 * only slowly; re-casing the input gives the model the text it knows.
 *
 * The casing of each word is chosen by the model's own source vocabulary, so it needs no other data: of
 * the word's lower-case, Capitalised and UPPER-CASE spellings, the one the tokenizer writes in the fewest
 * subwords, then with the earliest subword ids, wins. A BPE vocabulary trained by this project (and most
 * BPE tokenizer.json files) numbers merged subwords in merge order, which is frequency order: "▁Tom"
 * (id 481) was merged before "▁tom" (1037), "▁the" before "▁The", and "▁NASA" exists only if the training
 * text wrote it so. Hand-written because no library truecases from a subword vocabulary; a truecasing
 * model trained on the corpus would be better and would need shipping a second model.
 */
import type { SubwordTokenizer } from '../tokenizer/subword.js';

/** Which single case the input is written in, if any (at least two cased letters, all of one case). */
export function singleCase(text: string): 'upper' | 'lower' | undefined {
  const upper = (text.match(/\p{Lu}/gu) ?? []).length;
  const lower = (text.match(/\p{Ll}/gu) ?? []).length;
  if (upper >= 2 && lower === 0) return 'upper';
  if (lower >= 2 && upper === 0) return 'lower';
  return undefined;
}

/**
 * Lexicographic cost of a spelling: subword count, then the largest subword id (later merge = rarer). A
 * spelling with a character the vocabulary never saw never wins.
 */
function cost(tokenizer: SubwordTokenizer, word: string): [number, number] {
  const ids = tokenizer.encode(word);
  if (!tokenizer.ownPieces(ids)) return [Infinity, Infinity];
  return [ids.length, ids.length ? Math.max(...ids) : 0];
}

function capitalise(word: string): string {
  const lower = word.toLowerCase();
  // The first letter, not the first character: "¿dónde" → "¿Dónde", "'tis" → "'Tis".
  return lower.replace(/\p{L}/u, (c) => c.toUpperCase());
}

/** The word Capitalised, in lower case and in UPPER CASE, each with its cost. */
function spellings(tokenizer: SubwordTokenizer, word: string) {
  return [capitalise(word), word.toLowerCase(), word.toUpperCase()].map((spelling) => ({
    spelling,
    cost: cost(tokenizer, spelling),
  }));
}

/**
 * Whether a word's spellings (`spellings`, Capitalised first) all take two or more subwords, and the
 * Capitalised one no more than the cheapest.
 */
function rare(counts: readonly number[]): boolean {
  const fewest = Math.min(...counts);
  return fewest >= 2 && counts[0] === fewest;
}

/**
 * The spelling of one whitespace-separated word that the vocabulary knows best. A sentence's first word is
 * Capitalised whenever the vocabulary can write it (one learnt from lower-cased text, such as the synthetic
 * dates corpus, cannot, and keeps the word in lower case).
 */
function bestSpelling(tokenizer: SubwordTokenizer, word: string, sentenceStart: boolean): string {
  if (!/\p{L}/u.test(word)) return word;
  const candidates = spellings(tokenizer, word);
  if (sentenceStart && candidates[0].cost[0] < Infinity) return candidates[0].spelling;
  let best = candidates[0];
  for (const c of candidates.slice(1))
    if (c.cost[0] < best.cost[0] || (c.cost[0] === best.cost[0] && c.cost[1] < best.cost[1])) best = c;
  // Mid-sentence, a word that is one piece both ways is written Capitalised only when that spelling was
  // merged far earlier (more than twice as frequent, roughly): "They" and "How" are frequent only at the
  // start of sentences, "Tom" everywhere (on tatoeba2021.test sources re-cased from lower case, words
  // right 92.3% → 93.3% with this rule, names kept by the rare-word rule below as they were).
  const [cap, lower] = candidates;
  if (best === cap && cap.cost[0] === 1 && lower.cost[0] === 1 && 2 * cap.cost[1] > lower.cost[1])
    best = lower;
  // A word the vocabulary has no one piece for in any casing is rare, and rare words in everyday text are
  // mostly names: Capitalised wins unless another spelling takes fewer pieces. Judged on the word's
  // letters ("turn." and "you're" are one piece each as "turn" and "you").
  const letters = /\p{L}+/u.exec(word)?.[0] ?? '';
  const letterSpellings = letters === word ? candidates : spellings(tokenizer, letters);
  if (cap.cost[0] < Infinity && rare(letterSpellings.map((c) => c.cost[0]))) best = cap;
  // A word none of whose spellings the vocabulary can write stays as typed.
  return best.cost[0] < Infinity ? best.spelling : word;
}

/**
 * The text in the casing the source vocabulary knows best, if it is written in a single case; otherwise
 * undefined (mixed-case text is left as the user wrote it). Whitespace is kept as it was.
 */
export function recase(tokenizer: SubwordTokenizer, text: string): string | undefined {
  if (!singleCase(text)) return undefined;
  let sentenceStart = true;
  const out = text.replace(/\S+/gu, (word) => {
    const spelled = bestSpelling(tokenizer, word, sentenceStart);
    if (/\p{L}|\p{N}/u.test(word)) sentenceStart = /[.!?…]["'»”)]*$/u.test(word);
    return spelled;
  });
  return out === text ? undefined : out;
}

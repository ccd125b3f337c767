/**
 * Stutter blocking: a subword may not follow itself unless the source has it twice in a row.
 *
 * Why: a copying model that copies a rare name piece by piece sometimes keeps attending to the piece it
 * has just copied, and writes it again ("Lo Lo Lo Lopezpez" for "Lopez", "Aishish" for "Aisha"). Target
 * text almost never repeats a subword back to back, and when it must (a digit in "555") the source holds
 * the same pair, which a copy needs anyway. Unlike a general no-repeat-n-gram rule (fairseq's
 * --no-repeat-ngram-size), this only forbids the immediate repeat, so "de … de" stays possible.
 * Only meaningful with one vocabulary for both sides (source and target ids must mean the same subword).
 */

/** The tokens that appear twice in a row in the source: the only ones allowed to follow themselves. */
export function repeatableTokens(src: readonly number[]): Set<number> {
  const allowed = new Set<number>();
  for (let j = 1; j < src.length; j++) if (src[j] === src[j - 1]) allowed.add(src[j]);
  return allowed;
}

/** The token that may not come next after `tokens` (their last, unless repeatable), or −1 for none. */
export function bannedNext(tokens: readonly number[], repeatable: ReadonlySet<number>): number {
  const last = tokens.length > 0 ? tokens[tokens.length - 1] : -1;
  return last >= 0 && !repeatable.has(last) ? last : -1;
}

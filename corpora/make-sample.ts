/**
 * Writes corpora/eng-spa-sample.tsv, the quick-start sample, from the Tatoeba file in ../shared:
 *
 *   npx tsx corpora/make-sample.ts ../shared/corpora/tatoeba/eng-spa.tsv corpora/eng-spa-sample.tsv \
 *     ../shared/corpora/eng-spa-extra/*.dev.tsv ../shared/corpora/eng-spa-extra/*.test.tsv
 *
 * The pairs come only from the training split the shipped model uses (seed 1, the default sizes and
 * filters), so the sample holds no sentence of that model's test or validation split. Among those, whole
 * groups of one English sentence with all its translations are drawn at random (seed 2024), English
 * sentences of at most 8 words only (short sentences are what a model trained for two minutes can learn),
 * until the sample has 3,000 pairs. They are written in the order of the source file.
 *
 * Files after the output are held-out sets whose lines must never be copied into the project: a group whose
 * English sentence, or any of whose Spanish sentences, appears in one of them is left out (Tatoeba's short
 * sentences also turn up in other test sets, e.g. "Look here." in ted.test.tsv).
 */
import fs from 'node:fs';
import { filterPairs } from '../src/data/clean.js';
import { readTsv } from '../src/data/readers.js';
import { Rng } from '../src/util/rng.js';
import { splitCorpus } from '../src/data/split.js';
import type { SentencePair } from '../src/data/types.js';

const [input, output, ...heldOut] = process.argv.slice(2);
if (!input || !output) {
  throw new Error('usage: npx tsx corpora/make-sample.ts <eng-spa.tsv> <sample.tsv> [held-out.tsv ...]');
}
const PAIRS = 3000;
const MAX_WORDS = 8;

const forbidden = new Set(heldOut.flatMap((f) => readTsv(f).flatMap((p) => [p.src, p.tgt])));
const all = readTsv(input);
const { kept } = filterPairs(all, { maxChars: 200, maxRatio: 4, dedupe: true });
const { train } = splitCorpus(kept, { seed: 1 });
const groups = new Map<string, SentencePair[]>();
for (const p of train) {
  if (p.src.split(' ').length > MAX_WORDS) continue;
  const g = groups.get(p.src);
  if (g) g.push(p);
  else groups.set(p.src, [p]);
}
const order = [...groups.values()];
new Rng(2024).shuffle(order);
const chosen: SentencePair[] = [];
for (const g of order) {
  if (chosen.length + g.length > PAIRS) continue;
  if (g.some((p) => forbidden.has(p.src) || forbidden.has(p.tgt))) continue;
  chosen.push(...g);
  if (chosen.length === PAIRS) break;
}
chosen.sort((a, b) => (a.origin?.line ?? 0) - (b.origin?.line ?? 0));
fs.writeFileSync(output, chosen.map((p) => `${p.src}\t${p.tgt}\n`).join(''));
process.stderr.write(
  `${output}: ${chosen.length} pairs, ${new Set(chosen.map((p) => p.src)).size} English sentences\n`,
);

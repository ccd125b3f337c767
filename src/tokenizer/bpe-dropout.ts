/**
 * BPE-dropout (Provilkov et al., 2020): encode with a tokenizer.json's merges, skipping each applicable
 * merge with probability p at every merge step, so that a word is seen in training under several
 * segmentations (subword regularisation). With p = 0 it gives exactly the pieces transformers.js gives
 * (test/tokenizer.test.ts checks that on real sentences).
 *
 * Written here because transformers.js ignores the `dropout` field of a BPE tokenizer.json, and Hugging
 * Face `tokenizers`' Node bindings cannot set it on a loaded tokenizer.
 *
 * It reads the format this project writes (src/tokenizer/train.ts): NFC, Metaspace with a prefix "▁",
 * optionally the marks . , ! ? ; : split off words, optionally digits split one per piece, byte fallback
 * pieces <0xXX>.
 */
import fs from 'node:fs';
import { UNK_ID } from './special-ids.js';
import { PUNCTUATION_SPLIT } from './train.js';
import type { Rng } from '../util/rng.js';

interface PreTokenizerJson {
  type: string;
  pattern?: { Regex?: string; String?: string };
  behavior?: string;
  invert?: boolean;
  individual_digits?: boolean;
}

interface TokenizerJson {
  pre_tokenizer?: (PreTokenizerJson & { pretokenizers?: PreTokenizerJson[] }) | null;
  model: { type: string; vocab: Record<string, number>; merges: string[]; byte_fallback?: boolean };
}

export class BpeDropoutEncoder {
  private readonly ranks = new Map<string, number>();
  private readonly vocab: Map<string, number>;
  private readonly splitDigits: boolean;
  private readonly splitPunctuation: boolean;
  private readonly byteFallback: boolean;
  private readonly utf8 = new TextEncoder();

  private constructor(
    json: TokenizerJson,
    readonly file: string,
  ) {
    if (json.model.type !== 'BPE')
      throw new Error(`${file}: BPE-dropout needs a BPE tokenizer, found ${json.model.type}`);
    json.model.merges.forEach((m, i) => this.ranks.set(m, i));
    this.vocab = new Map(Object.entries(json.model.vocab));
    const steps = preTokenizerSteps(json);
    this.splitDigits = steps?.includes('Digits') ?? false;
    this.splitPunctuation = steps?.includes('Split') ?? false;
    this.byteFallback = json.model.byte_fallback ?? false;
  }

  static load(file: string): BpeDropoutEncoder {
    return new BpeDropoutEncoder(JSON.parse(fs.readFileSync(file, 'utf8')) as TokenizerJson, file);
  }

  /**
   * This encoder for `file` when it is a tokenizer this project trains (NFC, Metaspace, optional digits,
   * BPE), else undefined: other tokenizer.json files are encoded by transformers.js only.
   */
  static forOwnFormat(file: string): BpeDropoutEncoder | undefined {
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as TokenizerJson & {
      normalizer?: { type: string } | null;
    };
    const own =
      json.model?.type === 'BPE' && json.normalizer?.type === 'NFC' && preTokenizerSteps(json) !== undefined;
    return own ? new BpeDropoutEncoder(json, file) : undefined;
  }

  /** Token ids of `text` (already normalised as the training data is), merges dropped with probability p. */
  encode(text: string, p: number, rng: Rng): number[] {
    const ids: number[] = [];
    for (const piece of this.pieces(text)) {
      for (const token of this.bpe(piece, p, rng)) {
        const id = this.vocab.get(token);
        if (id !== undefined) ids.push(id);
        else if (this.byteFallback)
          for (const b of this.utf8.encode(token))
            ids.push(this.vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`) ?? UNK_ID);
        else ids.push(UNK_ID);
      }
    }
    return ids;
  }

  /**
   * Metaspace words ("▁word"), then the marks . , ! ? ; : each on its own and digits one per piece, when the
   * tokenizer splits them.
   */
  private pieces(text: string): string[] {
    if (text === '') return [];
    const marked = '▁' + text.normalize('NFC').replaceAll(' ', '▁');
    let words = marked.split(/(?=▁)/u);
    if (this.splitPunctuation) words = words.flatMap((w) => w.match(/[^.,!?;:]+|[.,!?;:]/gu) ?? []);
    if (this.splitDigits) words = words.flatMap((w) => w.match(/[^\d]+|\d/gu) ?? []);
    return words;
  }

  /** Greedy lowest-rank merges, each candidate skipped with probability p at each step. */
  private bpe(piece: string, p: number, rng: Rng): string[] {
    const symbols = Array.from(piece);
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const rank = this.ranks.get(`${symbols[i]} ${symbols[i + 1]}`);
        if (rank === undefined || rank >= bestRank) continue;
        if (p > 0 && rng.next() < p) continue;
        best = i;
        bestRank = rank;
      }
      if (best < 0) return symbols;
      symbols.splice(best, 2, symbols[best] + symbols[best + 1]);
    }
  }
}

/**
 * The pre-tokenizer steps of a tokenizer this project writes ('Metaspace', then optionally 'Split' with
 * exactly PUNCTUATION_SPLIT, then optionally 'Digits'), or undefined for any other pre-tokenizer.
 */
function preTokenizerSteps(json: TokenizerJson): string[] | undefined {
  const pre = json.pre_tokenizer;
  if (!pre) return undefined;
  const steps = pre.type === 'Sequence' ? (pre.pretokenizers ?? []) : [pre];
  const names = steps.map((p) => p.type);
  const known = ['Metaspace', 'Metaspace,Split', 'Metaspace,Digits', 'Metaspace,Split,Digits'];
  if (!known.includes(names.join(','))) return undefined;
  const split = steps.find((p) => p.type === 'Split');
  if (split && JSON.stringify(split) !== JSON.stringify(PUNCTUATION_SPLIT)) return undefined;
  return names;
}

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
 * optionally digits split one per piece, byte fallback pieces <0xXX>.
 */
import fs from 'node:fs';
import { UNK_ID } from './special-ids.js';
import type { Rng } from '../util/rng.js';

interface TokenizerJson {
  pre_tokenizer?: { type: string; pretokenizers?: { type: string }[] } | null;
  model: { type: string; vocab: Record<string, number>; merges: string[]; byte_fallback?: boolean };
}

export class BpeDropoutEncoder {
  private readonly ranks = new Map<string, number>();
  private readonly vocab: Map<string, number>;
  private readonly splitDigits: boolean;
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
    const pre = json.pre_tokenizer;
    this.splitDigits = pre?.type === 'Sequence' && (pre.pretokenizers ?? []).some((p) => p.type === 'Digits');
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
    const pre = json.pre_tokenizer;
    const ownPre =
      pre?.type === 'Metaspace' ||
      (pre?.type === 'Sequence' &&
        (pre.pretokenizers ?? []).map((p) => p.type).join(',') === 'Metaspace,Digits');
    const own = json.model?.type === 'BPE' && json.normalizer?.type === 'NFC' && ownPre;
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

  /** Metaspace words ("▁word"), then digits one per piece when the tokenizer splits them. */
  private pieces(text: string): string[] {
    if (text === '') return [];
    const marked = '▁' + text.normalize('NFC').replaceAll(' ', '▁');
    const words = marked.split(/(?=▁)/u);
    if (!this.splitDigits) return words;
    return words.flatMap((w) => w.match(/[^\d]+|\d/gu) ?? []);
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

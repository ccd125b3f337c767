/**
 * A subword tokenizer loaded from a Hugging Face `tokenizer.json` through transformers.js.
 * Any BPE/Unigram/WordPiece tokenizer.json works; the model only needs ids for <pad>, <unk>, <s>, </s>,
 * which tokenizers trained by this project put at 0–3 (others are looked up by name).
 */
import fs from 'node:fs';
import { PreTrainedTokenizer } from '@xenova/transformers';
import { BOS_ID, EOS_ID, PAD_ID, UNK_ID } from './special-ids.js';

export class SubwordTokenizer {
  private constructor(
    private readonly tok: PreTrainedTokenizer,
    readonly file: string,
    readonly vocabSize: number,
  ) {}

  static load(file: string): SubwordTokenizer {
    let json: unknown;
    try {
      json = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`cannot read tokenizer ${file}: ${(err as Error).message}`, { cause: err });
    }
    let tok: PreTrainedTokenizer;
    try {
      tok = new PreTrainedTokenizer(json, { clean_up_tokenization_spaces: false });
    } catch (err) {
      throw new Error(
        `${file} is not a tokenizer.json that transformers.js can load: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const vocabSize = (tok as unknown as { model: { vocab: unknown[] } }).model.vocab.length;
    const t = new SubwordTokenizer(tok, file, vocabSize);
    const expected: [string, number][] = [
      ['<pad>', PAD_ID],
      ['<unk>', UNK_ID],
      ['<s>', BOS_ID],
      ['</s>', EOS_ID],
    ];
    for (const [token, id] of expected) {
      const got = t.tokenToId(token);
      if (got !== id)
        throw new Error(`${file}: special token ${token} must have id ${id}, found ${got ?? 'none'}`);
    }
    return t;
  }

  /** Ids without special tokens. */
  encode(text: string): number[] {
    return this.tok.encode(text, null, { add_special_tokens: false });
  }

  /** Text of ids, special tokens dropped. */
  decode(ids: readonly number[]): string {
    if (ids.length === 0) return ''; // transformers.js rejects an empty id list
    return this.tok.decode([...ids], { skip_special_tokens: true, clean_up_tokenization_spaces: false });
  }

  /** The subword strings of ids, for display (e.g. "▁casa"). */
  tokens(ids: readonly number[]): string[] {
    const vocab = (this.tok as unknown as { model: { vocab: string[] } }).model.vocab;
    return ids.map((i) => vocab[i] ?? '<unk>');
  }

  /**
   * Whether the vocabulary writes `text` with its own pieces: no <unk> and no UTF-8 byte piece ("<0x44>"),
   * which stand for characters the tokenizer never saw in training.
   */
  knows(text: string): boolean {
    return this.ownPieces(this.encode(text));
  }

  /** Whether `ids` are all the vocabulary's own pieces (see `knows`). */
  ownPieces(ids: readonly number[]): boolean {
    return !ids.includes(UNK_ID) && !this.tokens(ids).some((t) => /^<0x[0-9A-F]{2}>$/.test(t));
  }

  tokenToId(token: string): number | undefined {
    const map = (this.tok as unknown as { model: { tokens_to_ids: Map<string, number> } }).model
      .tokens_to_ids;
    return map.get(token);
  }
}

/** Whether source and target come from one tokenizer file: their ids name the same subwords. */
export function oneVocabulary(src: SubwordTokenizer, tgt: SubwordTokenizer): boolean {
  return src.file === tgt.file;
}

/**
 * Train a BPE tokenizer and save it as a Hugging Face `tokenizer.json`.
 *
 * Training is done by Hugging Face's own `tokenizers` library (Rust, through its Node bindings; in a
 * child process, see bpe-train-child.mjs). Those
 * bindings (0.23) expose `Tokenizer.train(files)` but not the trainer's options, so the vocabulary
 * size cannot be passed in; they train with the default target of 30,000 tokens. BPE is greedy, so the
 * first k merges of a long run are exactly the merges a run stopped at k would learn: we keep the
 * alphabet and the first (vocabSize − specials − alphabet) merges. That truncation is the only part done
 * here by hand.
 *
 * Format choices, for loading with transformers.js (`@xenova/transformers` 2.x):
 * - Metaspace pre-tokenization (SentencePiece style: spaces become "▁" and start words), so decoding is
 *   lossless: decode(encode(s)) === s for any s made of characters seen in training.
 * - `add_prefix_space: true` alongside `prepend_scheme: "always"`: transformers.js 2.x reads the former.
 * - merges written as "a b" strings, the format transformers.js 2.x parses.
 * - ids 0–3 are <pad>, <unk>, <s>, </s> in every tokenizer, as the model expects.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SPECIAL_TOKENS } from './special-ids.js';
import { writeFileAtomic } from '../util/atomic.js';

export interface TrainTokenizerOptions {
  /** Total vocabulary size, special tokens (and byte tokens) included. */
  vocabSize: number;
  /** Split every digit into a piece of its own (no merge joins two digits). */
  splitDigits?: boolean;
  /**
   * Split the marks that end sentences and clauses (. , ! ? ; :) off the word before them, so no token
   * ends in one (see PUNCTUATION_SPLIT).
   */
  splitPunctuation?: boolean;
  /**
   * Reserve the 256 byte pieces <0x00>…<0xFF>: a character the training text never had (an emoji, a
   * rare letter) is written as its UTF-8 bytes instead of <unk>, so any string survives a round trip.
   */
  byteFallback?: boolean;
}

/** The byte pieces of byte fallback, in the spelling transformers.js and `tokenizers` use. */
export const BYTE_TOKENS: readonly string[] = Array.from(
  { length: 256 },
  (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`,
);

interface TrainedBpeJson {
  model: { vocab: Record<string, number>; merges: ([string, string] | string)[] };
}

/** Train on `sentences` (already normalized) and return the tokenizer.json object. */
export function trainBpeTokenizer(sentences: readonly string[], opts: TrainTokenizerOptions): object {
  if (sentences.length === 0) throw new Error('cannot train a tokenizer on zero sentences');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-tok-'));
  try {
    const corpus = path.join(dir, 'corpus.txt');
    fs.writeFileSync(corpus, sentences.join('\n') + '\n');
    const saved = path.join(dir, 'trained.json');
    const child = spawnSync(
      process.execPath,
      [
        fileURLToPath(new URL('./bpe-train-child.mjs', import.meta.url)),
        corpus,
        saved,
        opts.splitDigits ? '1' : '0',
        opts.splitPunctuation ? '1' : '0',
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        encoding: 'utf8',
      },
    );
    if (child.status !== 0)
      throw new Error(`BPE training failed: ${(child.stderr || child.error?.message || '').trim()}`);
    const trained = JSON.parse(fs.readFileSync(saved, 'utf8')) as TrainedBpeJson;
    return truncatedTokenizerJson(trained, opts);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const METASPACE = {
  type: 'Metaspace',
  replacement: '▁',
  add_prefix_space: true,
  prepend_scheme: 'always',
  split: true,
};

/**
 * The marks split off words: without this, BPE learns pieces such as "w." and "book." (814 of the 8,000
 * tokens of the first shared English–Spanish vocabulary ended in "."), so a name copied from the source
 * carries the sentence's full stop inside its last piece and the model, having "said" the period, does not
 * end the sentence ("Kraków." → "Kraków. Kóroów."). Isolated marks carry no "▁", so decoding still writes
 * "Kraków." with no space. Only these six: "¿" and "¡" open a word and quotes and apostrophes sit inside
 * or around one, so splitting them would leave a word without its "▁" (a rarer piece).
 */
export const PUNCTUATION_MARKS = '.,!?;:';
export const PUNCTUATION_SPLIT = {
  type: 'Split',
  // Inside a character class none of the six needs escaping, in JavaScript and in Rust's regex syntax.
  pattern: { Regex: `[${PUNCTUATION_MARKS}]` },
  behavior: 'Isolated',
  invert: false,
};

/** The pre-tokenizer of the tokenizers this project writes: Metaspace words, then marks, then digits. */
export function preTokenizerJson(opts: { splitDigits?: boolean; splitPunctuation?: boolean }): object {
  const steps: object[] = [METASPACE];
  if (opts.splitPunctuation) steps.push(PUNCTUATION_SPLIT);
  if (opts.splitDigits) steps.push({ type: 'Digits', individual_digits: true });
  return steps.length === 1 ? METASPACE : { type: 'Sequence', pretokenizers: steps };
}

interface PreTokenizedJson {
  pre_tokenizer?: { type: string; pretokenizers?: object[] } | null;
}

/** Whether a tokenizer.json splits the marks off words (PUNCTUATION_SPLIT is one of its pre-tokenizers). */
export function splitsPunctuation(json: PreTokenizedJson): boolean {
  const pre = json.pre_tokenizer;
  const steps = pre?.type === 'Sequence' ? (pre.pretokenizers ?? []) : pre ? [pre] : [];
  return steps.some((p) => JSON.stringify(p) === JSON.stringify(PUNCTUATION_SPLIT));
}

/**
 * The same tokenizer with the marks split off words: PUNCTUATION_SPLIT right after Metaspace. Vocabulary,
 * ids and merges are unchanged, so a model trained with `json` keeps its embeddings; the tokens that end in
 * a mark are simply never produced again, and fine-tuning teaches the model the new segmentation.
 */
export function withPunctuationSplit<T extends PreTokenizedJson>(json: T, file: string): T {
  if (splitsPunctuation(json)) return json;
  const pre = json.pre_tokenizer;
  const steps = pre?.type === 'Sequence' ? (pre.pretokenizers ?? []) : pre ? [pre] : [];
  if ((steps[0] as { type?: string } | undefined)?.type !== 'Metaspace')
    throw new Error(
      `${file}: cannot add the punctuation split: its pre-tokenizer does not start with Metaspace (found ${pre?.type ?? 'none'})`,
    );
  return {
    ...json,
    pre_tokenizer: { type: 'Sequence', pretokenizers: [steps[0], PUNCTUATION_SPLIT, ...steps.slice(1)] },
  };
}

function truncatedTokenizerJson(trained: TrainedBpeJson, opts: TrainTokenizerOptions): object {
  const { vocabSize } = opts;
  const bytes = opts.byteFallback ? BYTE_TOKENS : [];
  const merges = trained.model.merges.map((m) =>
    typeof m === 'string' ? (m.split(' ') as [string, string]) : m,
  );
  const byId = Object.entries(trained.model.vocab).sort((a, b) => a[1] - b[1]);
  // The trainer numbers the alphabet first, then one token per merge.
  const alphabet = byId.slice(0, byId.length - merges.length).map(([t]) => t);
  const room = vocabSize - SPECIAL_TOKENS.length - bytes.length - alphabet.length;
  if (room < 0) {
    throw new Error(
      `vocabulary size ${vocabSize} is smaller than the ${alphabet.length} characters of the training text plus ${SPECIAL_TOKENS.length} special tokens${bytes.length ? ` and ${bytes.length} byte tokens` : ''}`,
    );
  }
  const kept = merges.slice(0, room);
  const vocab: Record<string, number> = {};
  for (const t of [...SPECIAL_TOKENS, ...bytes, ...alphabet, ...kept.map(([a, b]) => a + b)]) {
    if (!(t in vocab)) vocab[t] = Object.keys(vocab).length;
  }
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: { type: 'NFC' },
    pre_tokenizer: preTokenizerJson(opts),
    post_processor: null,
    // Byte pieces are turned back into characters before the metaspace decoder restores the spaces.
    decoder: opts.byteFallback
      ? { type: 'Sequence', decoders: [{ type: 'ByteFallback' }, METASPACE] }
      : METASPACE,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: opts.byteFallback ?? false,
      vocab,
      merges: kept.map(([a, b]) => `${a} ${b}`),
    },
  };
}

/** Train and write to `file` atomically. */
export function trainTokenizerFile(
  sentences: readonly string[],
  file: string,
  opts: TrainTokenizerOptions,
): void {
  const json = trainBpeTokenizer(sentences, opts);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, JSON.stringify(json) + '\n');
}

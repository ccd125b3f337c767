/**
 * The one way to translate: the CLI, the evaluator and the server all go through a Translator.
 * It loads a model directory once, normalises input text the same way as training data, translates in
 * length-sorted batches, and returns plain data (strings, numbers, arrays): no tensors leave this module.
 */
import * as tf from '@tensorflow/tfjs-core';
import { normalizeText, singleSpaced } from '../data/readers.js';
import { EOS_ID } from '../tokenizer/special-ids.js';
import { oneVocabulary } from '../tokenizer/subword.js';
import { loadModelDir, type LoadedModel } from './model-dir.js';
import { greedySearch, type Hypothesis } from '../search/greedy.js';
import { DEFAULT_COVERAGE_PENALTY, DEFAULT_LENGTH_PENALTY, beamSearch } from '../search/beam.js';
import { attentionLabels, segmentWords, wordAlignment } from './alignment.js';
import { holdSymbols, restoreSymbols } from './symbols.js';
import { recase } from './recase.js';
import { splitSentences } from './sentences.js';
import { quotePieces, requote } from './quotes.js';
import { joinTranslations, type Translation } from './translation.js';
import { forceAlign, type AlignOptions, type AlignPair, type ForcedAlignment } from './force-align.js';

export interface TranslateOptions {
  /** 1 = greedy. */
  beam?: number;
  /** How many hypotheses to return per sentence (≤ beam). */
  nbest?: number;
  /** GNMT length-penalty α for beam search. */
  lengthPenalty?: number;
  /** GNMT coverage-penalty β for beam search (0 = off; default DEFAULT_COVERAGE_PENALTY, src/search/beam.ts). */
  coveragePenalty?: number;
  maxLenRatio?: number;
  /** Include subword tokens and attention matrices. */
  withAttention?: boolean;
  /**
   * Re-case input written in one case ("THE CAT IS BLACK.") with the source vocabulary before translating
   * (src/translate/recase.ts); default true.
   */
  recase?: boolean;
  /**
   * Never write a subword twice in a row unless the source has it twice in a row (src/search/stutter.ts):
   * stops "Lo Lo Lopezpez" for "Lopez". Default true; only models with one vocabulary for both sides.
   */
  blockStutter?: boolean;
  /**
   * Translate each sentence of a text alone and join the translations (src/translate/sentences.ts): a model
   * trained on single sentences stops after the first. Default true.
   */
  splitSentences?: boolean;
}

export type { Translation, TranslationHypothesis } from './translation.js';

export class Translator {
  private constructor(readonly loaded: LoadedModel) {}

  /** Requires an initialised backend (see src/backend/select.ts). */
  static load(dir: string): Translator {
    return new Translator(loadModelDir(dir));
  }

  get config() {
    return this.loaded.config;
  }

  /** One tokenizer file for both sides: source and target ids name the same subwords. */
  get sharedVocabulary(): boolean {
    return oneVocabulary(this.loaded.srcTokenizer, this.loaded.tgtTokenizer);
  }

  parameterCount(): number {
    return this.loaded.model.parameterCount();
  }

  /**
   * Translations of `texts`, each split into sentences first (`splitSentences`, default true), with the
   * quotation marks at their edges lifted off: the sentences of all texts are translated together in
   * length-sorted batches, then the marks put back and the sentences joined per text.
   */
  translate(texts: readonly string[], opts: TranslateOptions = {}): Translation[] {
    const sources = texts.map((t) => normalizeText(t));
    if (opts.splitSentences === false) return this.translateSentences(sources, opts);
    // Quotation marks at a sentence's edges go around the model (src/translate/quotes.ts).
    const pieces = sources.map((s) => splitSentences(s).flatMap(quotePieces));
    const translated = this.translateSentences(
      pieces.flat().map((p) => p.text),
      opts,
    );
    let next = 0;
    return pieces.map((parts, k) =>
      joinTranslations(
        sources[k],
        parts.map((p) => requote(translated[next++], p)),
      ),
    );
  }

  private translateSentences(texts: readonly string[], opts: TranslateOptions): Translation[] {
    const beam = opts.beam ?? 1;
    const nbest = Math.min(opts.nbest ?? 1, beam);
    const { model, srcTokenizer, tgtTokenizer } = this.loaded;
    // Word links from the folder's statistical aligner, when it has one and the caller wants alignments.
    const lexicon = opts.withAttention ? this.loaded.lexicon : undefined;
    const sources = texts.map((t) => normalizeText(t));
    const recased = sources.map((s) => (opts.recase === false ? undefined : recase(srcTokenizer, s)));
    // Symbols the vocabulary cannot write go around the model (src/translate/symbols.ts).
    const held = sources.map((s, k) => holdSymbols(srcTokenizer, recased[k] ?? s));
    const ids = sources.map((s, k) => [...srcTokenizer.encode(held[k]?.text ?? recased[k] ?? s), EOS_ID]);
    const textOf = (k: number, text: string, tokens: readonly number[], attention?: number[][]) => {
      const h = held[k];
      if (!h) return text;
      const links =
        attention && tokens.length > 0
          ? wordAlignment(srcTokenizer.tokens(ids[k].slice(0, -1)), tgtTokenizer.tokens(tokens), attention)
              .links
          : [];
      return restoreSymbols(text, h.held, links);
    };
    const results = new Array<Translation>(texts.length);
    const blockStutter = (opts.blockStutter ?? true) && this.sharedVocabulary;
    // An empty line translates to an empty line: the model is never asked (it would invent a sentence).
    ids.forEach((x, k) => {
      if (x.length === 1)
        results[k] = {
          source: sources[k],
          sourceTokens: opts.withAttention ? attentionLabels([]) : undefined,
          hypotheses: [
            {
              text: textOf(k, '', []),
              score: 0,
              logProb: 0,
              ...(opts.withAttention ? { tokens: [], attention: [] } : {}),
            },
          ],
        };
    });
    // Length-sorted batches: similar lengths waste less padding.
    const order = [...ids.keys()]
      .filter((k) => ids[k].length > 1)
      .sort((a, b) => ids[a].length - ids[b].length);
    const batchSize = beam > 1 ? Math.max(1, Math.floor(64 / beam)) : 64;
    for (let i = 0; i < order.length; i += batchSize) {
      const chunk = order.slice(i, i + batchSize);
      const src = chunk.map((k) => ids[k]);
      // Putting symbols back needs the attention of the translations that held some.
      const withAttention = opts.withAttention || chunk.some((k) => held[k] !== undefined);
      const searchOpts = { maxLenRatio: opts.maxLenRatio, withAttention, blockStutter };
      const hyps: Hypothesis[][] =
        beam > 1
          ? beamSearch(model, src, {
              ...searchOpts,
              beamSize: beam,
              nbest,
              lengthPenalty: opts.lengthPenalty ?? DEFAULT_LENGTH_PENALTY,
              coveragePenalty: opts.coveragePenalty ?? DEFAULT_COVERAGE_PENALTY,
            })
          : greedySearch(model, src, searchOpts).map((h) => [h]);
      chunk.forEach((k, j) => {
        const srcPieces = opts.withAttention ? srcTokenizer.tokens(ids[k].slice(0, -1)) : undefined;
        const srcWords = lexicon && srcPieces && segmentWords(srcPieces).words;
        results[k] = {
          source: sources[k],
          ...(recased[k] !== undefined ? { recased: recased[k] } : {}),
          sourceTokens: srcPieces && attentionLabels(srcPieces),
          hypotheses: hyps[j].slice(0, nbest).map((h) => {
            const tokens = opts.withAttention ? tgtTokenizer.tokens(h.tokens) : undefined;
            return {
              // A lone "▁" piece (the one before a digit) next to another word's "▁" decodes as two
              // spaces; input is single-spaced, so the output is too (after symbols, which count words).
              text: singleSpaced(textOf(k, tgtTokenizer.decode(h.tokens), h.tokens, h.attention)),
              score: h.score,
              logProb: h.logProb,
              tokens,
              attention: opts.withAttention ? h.attention : undefined,
              pGen: opts.withAttention ? h.pGen : undefined,
              ...(srcWords && tokens && { links: lexicon.alignChunks(srcWords, segmentWords(tokens).words) }),
            };
          }),
          ...(lexicon && { linkMethod: lexicon.describe() }),
        };
      });
    }
    return results;
  }

  /**
   * Forced alignment of given translations: word links, attention and each target token's log-probability
   * under teacher forcing (src/translate/force-align.ts).
   */
  align(pairs: readonly AlignPair[], opts: AlignOptions = {}): ForcedAlignment[] {
    return forceAlign(this.loaded, pairs, opts);
  }

  dispose(): void {
    this.loaded.model.dispose();
  }

  /** Live tensors, for leak checks. */
  static liveTensors(): number {
    return tf.memory().numTensors;
  }
}

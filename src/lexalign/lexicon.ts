/**
 * A word aligner for one language pair that can be saved beside a model (`lexicon.json` in a model
 * folder): the statistical aligner of diagonal-ibm2.ts in both directions, symmetrised. It aligns
 * *chunks*, the whitespace-separated pieces of text that the page shows as words ("porte.", "l'avis",
 * "don't"): each chunk is split into the aligner's own words by words.ts (punctuation off, "l'avis" → le
 * avis, "don't" → do not), those words are aligned, and a link between two words links their chunks.
 *
 * Why: on the Hansards set the statistical aligner's links are right about four times in five (AER 18–24%,
 * README) where a small model's attention is right about one time in three; the page and the API draw
 * these links when a model folder has a lexicon, and guided-alignment training (src/train/) trains
 * attention toward them.
 */
import fs from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic } from '../util/atomic.js';
import { flipLinks, symmetrize, SYMMETRIZATIONS, type Symmetrization } from './symmetrize.js';
import { DiagonalIbm2, type DiagonalIbm2Options, type LexicalTable } from './diagonal-ibm2.js';
import { alignmentWords } from './words.js';

export const LEXICON_FORMAT = 'nmt-lexicon/1';

/** Entries of t(f | e) below this are not saved: they almost never decide a link (README measures it). */
export const SAVED_MIN_PROBABILITY = 1e-3;

const TableSchema = z.object({
  source: z.array(z.string()),
  target: z.array(z.string()),
  entries: z.array(z.number()).refine((e) => e.length % 3 === 0, 'entries must be [e, f, t] triples'),
});

const LexiconFileSchema = z.object({
  format: z.literal(LEXICON_FORMAT),
  srcLang: z.string(),
  tgtLang: z.string(),
  symmetrization: z.enum(SYMMETRIZATIONS),
  /** What it was trained on, for the model card. */
  trainedOn: z.object({ pairs: z.number().int(), corpora: z.array(z.string()) }),
  forward: TableSchema,
  reverse: TableSchema,
});

export type LexiconFile = z.infer<typeof LexiconFileSchema>;

/** Whitespace chunks of a text (what the page calls words). */
export function chunksOf(text: string): string[] {
  return text.split(/\s+/u).filter((c) => c !== '');
}

/** The aligner's words of `chunks` and, for each, the chunk it came from. */
export function chunkWords(chunks: readonly string[], lang: string): { words: string[]; chunkOf: number[] } {
  const words: string[] = [];
  const chunkOf: number[] = [];
  chunks.forEach((c, k) => {
    for (const w of alignmentWords(c, lang)) {
      words.push(w);
      chunkOf.push(k);
    }
  });
  return { words, chunkOf };
}

export interface LexiconOptions {
  srcLang: string;
  tgtLang: string;
  symmetrization: Symmetrization;
  /** The corpus files it learns from, recorded for the model card. */
  corpora?: string[];
  em?: DiagonalIbm2Options;
}

export class Lexicon {
  private constructor(
    readonly srcLang: string,
    readonly tgtLang: string,
    readonly symmetrization: Symmetrization,
    readonly trainedOn: { pairs: number; corpora: string[] },
    private readonly forward: DiagonalIbm2,
    private readonly reverse: DiagonalIbm2,
  ) {}

  /** Trains both directions on sentence pairs (texts; words.ts splits them). */
  static train(pairs: readonly { src: string; tgt: string }[], opts: LexiconOptions): Lexicon {
    const words = pairs.map((p) => ({
      source: alignmentWords(p.src, opts.srcLang),
      target: alignmentWords(p.tgt, opts.tgtLang),
    }));
    return Lexicon.fromWordPairs(words, opts);
  }

  /** Trains both directions on pairs already split into the aligner's words. */
  static fromWordPairs(
    words: readonly { source: readonly string[]; target: readonly string[] }[],
    opts: LexiconOptions,
  ): Lexicon {
    const forward = new DiagonalIbm2(opts.em).train(words);
    const reverse = new DiagonalIbm2(opts.em).train(
      words.map((w) => ({ source: w.target, target: w.source })),
    );
    return new Lexicon(
      opts.srcLang,
      opts.tgtLang,
      opts.symmetrization,
      { pairs: words.length, corpora: opts.corpora ?? [] },
      forward,
      reverse,
    );
  }

  /** Links [source word, target word] between two lists of the aligner's words. */
  alignWords(source: readonly string[], target: readonly string[]): [number, number][] {
    const fwd = this.forward.align(source, target);
    const rev = flipLinks(this.reverse.align(target, source));
    return symmetrize(fwd, rev, this.symmetrization);
  }

  /** Links [source chunk, target chunk] (see the header), sorted, each once. */
  alignChunks(source: readonly string[], target: readonly string[]): [number, number][] {
    const s = chunkWords(source, this.srcLang);
    const t = chunkWords(target, this.tgtLang);
    const seen = new Set<string>();
    const links: [number, number][] = [];
    for (const [i, j] of this.alignWords(s.words, t.words)) {
      const link: [number, number] = [s.chunkOf[i], t.chunkOf[j]];
      const key = link.join('-');
      if (seen.has(key)) continue;
      seen.add(key);
      links.push(link);
    }
    return links.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  }

  /** One line for people: how these links are made. */
  describe(): string {
    return (
      `Word links from a statistical word aligner (IBM Model 2 with a diagonal prior, as fast_align) learnt ` +
      `from ${this.trainedOn.pairs.toLocaleString('en')} sentence pairs in both directions and combined ` +
      `(${this.symmetrization}); the heatmap is the model's own attention.`
    );
  }

  toFile(minProbability = SAVED_MIN_PROBABILITY): LexiconFile {
    const table = (m: DiagonalIbm2): LexicalTable => {
      const t = m.toTable(minProbability);
      // Six significant digits: the links do not change and the file is a third of the size.
      return { ...t, entries: t.entries.map((x, k) => (k % 3 === 2 ? Number(x.toPrecision(6)) : x)) };
    };
    return {
      format: LEXICON_FORMAT,
      srcLang: this.srcLang,
      tgtLang: this.tgtLang,
      symmetrization: this.symmetrization,
      trainedOn: this.trainedOn,
      forward: table(this.forward),
      reverse: table(this.reverse),
    };
  }

  /** Written atomically (temporary file + rename). */
  save(file: string, minProbability = SAVED_MIN_PROBABILITY): void {
    writeFileAtomic(file, JSON.stringify(this.toFile(minProbability)));
  }

  static fromFile(data: unknown, where = 'lexicon'): Lexicon {
    const parsed = LexiconFileSchema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${where}: ${issue.path.join('.') || 'file'}: ${issue.message}`);
    }
    const f = parsed.data;
    return new Lexicon(
      f.srcLang,
      f.tgtLang,
      f.symmetrization,
      f.trainedOn,
      DiagonalIbm2.fromTable(f.forward),
      DiagonalIbm2.fromTable(f.reverse),
    );
  }

  static load(file: string): Lexicon {
    let data: unknown;
    try {
      data = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`cannot read lexicon ${file}: ${(err as Error).message}`, { cause: err });
    }
    return Lexicon.fromFile(data, file);
  }
}

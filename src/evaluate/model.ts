/**
 * A model scored on test sets: each set translated with the chosen search (on worker threads, or in this
 * thread), its hypotheses optionally written to a file, then corpus BLEU and chrF against its references.
 * The TensorFlow.js backend must be initialised first (src/backend/select.ts).
 */
import fs from 'node:fs';
import path from 'node:path';

import {
  type BleuScore,
  type BleuTokenizerName,
  type ChrfScore,
  corpusBleu,
  corpusChrf,
  groupReferencesBySource,
} from '../metrics/index.js';
import { WorkerPool } from '../server/pool.js';
import { Translator } from '../translate/translator.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { TestSet } from './test-sets.js';

export interface SearchOptions {
  /** Beam size; 1 = greedy. */
  beam: number;
  /** GNMT length penalty α. */
  lengthPenalty: number;
  /** GNMT coverage penalty β (0 = off). */
  coveragePenalty: number;
  /** Block immediate subword repeats the source does not have (src/search/stutter.ts); default true. */
  blockStutter?: boolean;
  /** Translate each sentence of a line alone (src/translate/sentences.ts); default true. */
  splitSentences?: boolean;
}

export interface ModelEvaluationOptions extends SearchOptions {
  /** Score only the first N pairs of each set. */
  limit?: number;
  /** Translate each distinct source once and score it against all its references (nrefs:var). */
  multiRef: boolean;
  /** Translation worker threads; 1 translates in this thread. */
  workers: number;
  /** The backend the worker threads initialise (this thread's is initialised by the caller). */
  backend?: string;
  /** Write the hypotheses here, one per line; with several sets, `<out>.<set name>` each. */
  out?: string;
  tokenize: BleuTokenizerName;
  lowercase: boolean;
  chrfWordOrder: number;
  /** Progress lines while a large set is translated. */
  progress?: (message: string) => void;
}

/** One test set translated and scored. */
export interface SetResult {
  name: string;
  description: string;
  bleu: BleuScore;
  chrf: ChrfScore;
  /** Sentences translated (distinct sources with multiRef). */
  sentences: number;
  /** Pairs in the set (after limit). */
  pairs: number;
  referenceStreams: number;
  seconds: number;
  out?: string;
}

/** Translates every set with the model in `dir` and scores it, in the given order. */
export async function evaluateModel(
  dir: string,
  sets: readonly TestSet[],
  o: ModelEvaluationOptions,
): Promise<SetResult[]> {
  const translator = await openBatchTranslator(dir, o);
  const results: SetResult[] = [];
  try {
    for (const set of sets) {
      let sources = o.limit === undefined ? set.sources : set.sources.slice(0, o.limit);
      const references = o.limit === undefined ? set.references : set.references.slice(0, o.limit);
      if (sources.length === 0) throw new Error(`the test set ${set.description} is empty`);
      const pairs = sources.length;
      // Reference streams in sacrebleu's layout; one stream unless multiRef groups several per source.
      let referenceStreams: string[][] = [references];
      if (o.multiRef) {
        const grouped = groupReferencesBySource(sources, references);
        sources = grouped.sources;
        referenceStreams = grouped.streams;
      }
      const t0 = performance.now();
      const hyps = await translator.translate(sources, (n) => {
        if (sources.length > 64) o.progress?.(`${set.name}: translated ${n}/${sources.length}`);
      });
      const seconds = (performance.now() - t0) / 1000;
      const out = o.out && sets.length > 1 ? `${o.out}.${set.name.replace(/\s+/g, '-')}` : o.out;
      if (out) {
        fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
        writeFileAtomic(out, hyps.map((h) => h.replace(/[\r\n]+/g, ' ') + '\n').join(''));
      }
      results.push({
        name: set.name,
        description: set.description,
        bleu: corpusBleu(hyps, referenceStreams, { tokenize: o.tokenize, lowercase: o.lowercase }),
        chrf: corpusChrf(hyps, referenceStreams, { wordOrder: o.chrfWordOrder }),
        sentences: hyps.length,
        pairs,
        referenceStreams: referenceStreams.length,
        seconds,
        out,
      });
    }
  } finally {
    await translator.close();
  }
  return results;
}

export interface BatchTranslator {
  /** The best hypothesis of each source, in order; `progress` gets the number translated so far. */
  translate: (sources: string[], progress: (n: number) => void) => Promise<string[]>;
  close: () => Promise<void>;
}

/**
 * Translation through worker threads (one per core: the wasm backend is single-threaded) or in this
 * thread; evaluation and forward translation (src/cli/forward-translate.ts) use it.
 */
export async function openBatchTranslator(
  dir: string,
  o: SearchOptions & Pick<ModelEvaluationOptions, 'workers' | 'backend'>,
): Promise<BatchTranslator> {
  const chunk = 64;
  const opts = {
    beam: o.beam,
    lengthPenalty: o.lengthPenalty,
    coveragePenalty: o.coveragePenalty,
    blockStutter: o.blockStutter,
    splitSentences: o.splitSentences,
  };
  const chunksOf = (xs: string[]) => {
    const cs: string[][] = [];
    for (let i = 0; i < xs.length; i += chunk) cs.push(xs.slice(i, i + chunk));
    return cs;
  };
  if (o.workers > 1) {
    const pool = await WorkerPool.start({
      modelDir: dir,
      workers: o.workers,
      backend: o.backend,
      maxBatch: chunk,
    });
    return {
      translate: async (sources, progress) => {
        let done = 0;
        const results = await Promise.all(
          chunksOf(sources).map((c) =>
            pool.translate(c, opts).then((r) => {
              progress((done += c.length));
              return r;
            }),
          ),
        );
        return results.flat().map((r) => r.hypotheses[0]?.text ?? '');
      },
      close: () => pool.close(),
    };
  }
  const translator = Translator.load(dir);
  return {
    translate: async (sources, progress) => {
      const hyps: string[] = [];
      for (const c of chunksOf(sources)) {
        for (const r of translator.translate(c, opts)) hyps.push(r.hypotheses[0]?.text ?? '');
        progress(hyps.length);
      }
      return hyps;
    },
    close: async () => translator.dispose(),
  };
}

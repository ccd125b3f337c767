/**
 * The test sets a model is scored on, read into source sentences and their references: any corpus spec
 * (a TSV pair file, "test.en,test.es", synthetic:…), two line-aligned files, or the model's own held-out
 * split (test.tsv in the model folder, else recomputed from the training corpus named in config.json).
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

import { loadCorpus } from '../data/corpus.js';
import { readModelConfig, readModelTestSet } from '../translate/model-dir.js';
import { corpusSplits } from '../train/prepare.js';
import { readSegments } from './files.js';

/** Where one test set comes from (`evaluate --test`, `--src/--ref`, `--split`). */
export type TestSetSource =
  | { kind: 'corpus'; spec: string }
  | { kind: 'files'; src: string; ref: string }
  | { kind: 'split'; split: 'test' | 'valid' };

export interface TestSet {
  /** A short name for a row of the table: the file name without extension, or the split's name. */
  name: string;
  /** Where the pairs came from, in full (the report's "… sentences of <description>"). */
  description: string;
  sources: string[];
  /** One reference per source, line-aligned. */
  references: string[];
}

/** What `--split` needs from config.json's `info` (written by the trainer); missing split fields take the training defaults. */
const SplitInfoSchema = z.object({
  // A list since training takes several corpora; the first is the one split.
  corpus: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  reverse: z.boolean().default(false),
  split: z.object({
    seed: z.number().int().default(1),
    // Absent: the size training chose from the corpus (defaultHeldOutSize), which the split recomputes.
    validSize: z.number().int().min(0).optional(),
    testSize: z.number().int().min(0).optional(),
    maxChars: z.number().int().min(1).default(200),
    maxRatio: z.number().min(1).default(4),
  }),
});

/** The name of a set in the table: the file name without extension, or the split's name. */
export function testSetName(source: TestSetSource): string {
  switch (source.kind) {
    case 'corpus':
      return path.basename(source.spec.split(',')[0]).replace(/\.(tsv|txt)$/i, '');
    case 'split':
      return `${source.split} split`;
    case 'files':
      return path.basename(source.src);
  }
}

/** Reads one test set; `modelDir` is the model being scored (its split, for `kind: 'split'`). */
export async function readTestSet(source: TestSetSource, modelDir: string): Promise<TestSet> {
  const name = testSetName(source);
  switch (source.kind) {
    case 'corpus': {
      const pairs = loadCorpus(source.spec);
      return {
        name,
        description: source.spec,
        sources: pairs.map((p) => p.src),
        references: pairs.map((p) => p.tgt),
      };
    }
    case 'files':
      return { name, ...(await readAlignedFiles(source.src, source.ref)) };
    case 'split':
      return { name, ...readHeldOutSplit(source.split, modelDir) };
  }
}

/** Source and reference files, one segment per line, read as sacrebleu reads them. */
async function readAlignedFiles(src: string, ref: string): Promise<Omit<TestSet, 'name'>> {
  for (const f of [src, ref]) if (!fs.existsSync(f)) throw new Error(`file not found: ${f}`);
  const [sources, references] = await Promise.all([readSegments(src), readSegments(ref)]);
  if (sources.length !== references.length) {
    throw new Error(
      `line count mismatch: source file ${src} has ${sources.length} lines, ` +
        `reference file ${ref} has ${references.length} lines`,
    );
  }
  return { description: `${src},${ref}`, sources, references };
}

/** The model's held-out split: the test.tsv its folder keeps, else recomputed as training split it. */
function readHeldOutSplit(split: 'test' | 'valid', modelDir: string): Omit<TestSet, 'name'> {
  const cfgFile = path.join(modelDir, 'config.json');
  const modelConfig = readModelConfig(modelDir);
  // The test split travels with the model (test.tsv), so it needs no corpus; older folders re-derive it.
  const kept = split === 'test' ? readModelTestSet(modelDir, modelConfig) : undefined;
  if (kept) {
    const trained = modelConfig.info.corpus;
    const first = Array.isArray(trained) ? trained[0] : trained;
    const corpus = typeof first === 'string' ? ` of ${first}` : '';
    return {
      description: `test split${corpus} (${path.join(modelDir, modelConfig.testSet ?? '')})`,
      sources: kept.map((p) => p.src),
      references: kept.map((p) => p.tgt),
    };
  }
  const parsed = SplitInfoSchema.safeParse(modelConfig.info);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `${cfgFile}: --split needs info.corpus and info.split as written by training; ` +
        `invalid field "info.${issue.path.join('.')}": ${issue.message}`,
    );
  }
  const info = parsed.data;
  let splits: ReturnType<typeof corpusSplits>;
  try {
    splits = corpusSplits({ corpus: info.corpus, reverse: info.reverse, ...info.split });
  } catch (err) {
    throw new Error(
      `${(err as Error).message} (--split ${split} recomputes the split from the training corpus, ` +
        `info.corpus in ${cfgFile}` +
        (split === 'test' ? ', because the model folder keeps no test.tsv' : '') +
        '; with the corpus elsewhere, use --test FILE)',
      { cause: err },
    );
  }
  const pairs = split === 'valid' ? splits.valid : splits.test;
  if (pairs.length === 0) {
    throw new Error(
      `${cfgFile}: the ${split} split of ${info.corpus} is empty (${split}Size 0 at training time)`,
    );
  }
  return {
    description: `${split} split of ${info.corpus} (seed ${info.split.seed})`,
    sources: pairs.map((p) => p.src),
    references: pairs.map((p) => p.tgt),
  };
}

/**
 * `npm run evaluate -- --model DIR …`: the flags of the test sets, the backend, then translation and
 * scoring (src/evaluate/). Imported by evaluate.ts only in model mode (it loads TensorFlow.js).
 */
import fs from 'node:fs';
import path from 'node:path';

import { initBackend } from '../backend/select.js';
// Registers the synthetic: corpus source, so --test synthetic:dates:… and --split on such models work.
import '../data/synthetic.js';
import { evaluateModel } from '../evaluate/model.js';
import { modelReport } from '../evaluate/report.js';
import { readTestSet, type TestSetSource } from '../evaluate/test-sets.js';
import type { BleuTokenizerName } from '../metrics/index.js';
import { createLogger } from '../util/log.js';
import { UsageError } from './args.js';

/** The parsed flags of `npm run evaluate` (all modes). */
export interface EvaluateOptions {
  hyp?: string;
  alignments?: string;
  gold?: string;
  oneBasedGold?: boolean;
  ref?: string;
  model?: string;
  /** Test sets (repeatable --test). */
  test?: string[];
  src?: string;
  split?: 'test' | 'valid';
  beam: number;
  lengthPenalty: number;
  coveragePenalty: number;
  blockStutter: boolean;
  splitSentences: boolean;
  limit?: number;
  multiRef?: boolean;
  workers: number;
  out?: string;
  json?: boolean;
  tokenize: BleuTokenizerName;
  lowercase?: boolean;
  chrfWordOrder: number;
  width: number;
  backend?: string;
}

/** The flags of one test set: testSetSource checks that they name exactly one. */
type SingleSetOptions = Pick<EvaluateOptions, 'src' | 'ref' | 'split'> & { test?: string };

/** The test sets the flags name, in table order, each as the flags of a single set. */
function testSetOptions(o: EvaluateOptions): SingleSetOptions[] {
  // Several --test files and --split combine into one table; --src/--ref is a set of its own kind.
  if (o.src !== undefined && (o.test !== undefined || o.split !== undefined))
    throw new UsageError(`choose one test set: --${o.test ? 'test' : 'split'} or --src, not both`);
  const sets: SingleSetOptions[] = [
    ...(o.test ?? []).map((test) => ({ test })),
    ...(o.split ? [{ split: o.split }] : []),
    ...(o.src || o.ref ? [{ src: o.src, ref: o.ref }] : []),
  ];
  return sets.length > 0 ? sets : [{}];
}

/** Where one set comes from, or the usage error of its flags. */
function testSetSource(o: SingleSetOptions): TestSetSource {
  const given = (['test', 'src', 'split'] as const).filter((k) => o[k] !== undefined);
  if (given.length === 0)
    throw new UsageError('--model needs a test set: --test FILE.tsv, --src F --ref F, or --split test');
  if (given.length > 1) throw new UsageError(`choose one test set: --${given[0]} or --${given[1]}, not both`);
  if (o.ref !== undefined && !o.src)
    throw new UsageError('--ref goes with --src (or with --hyp); --test and --split carry their references');
  if (o.test) return { kind: 'corpus', spec: o.test };
  if (o.src) {
    if (!o.ref) throw new UsageError('--src needs --ref (the reference translations, line-aligned)');
    return { kind: 'files', src: o.src, ref: o.ref };
  }
  return { kind: 'split', split: o.split as 'test' | 'valid' };
}

/** Translate one or more test sets with a model and score the translations (one table for several). */
export async function evaluateModelCommand(o: EvaluateOptions): Promise<string> {
  const dir = o.model as string;
  if (!fs.existsSync(dir)) throw new Error(`model directory not found: ${dir}`);
  if (!fs.existsSync(path.join(dir, 'config.json'))) {
    throw new Error(`not a model directory: ${path.join(dir, 'config.json')} not found`);
  }
  // Each set's flags are checked just before it is read, so the first set at fault is the one reported.
  const sets = await Promise.all(testSetOptions(o).map(async (one) => readTestSet(testSetSource(one), dir)));
  const log = createLogger('evaluate', process.env.NMT_LOG_LEVEL ?? (o.json ? 'warn' : 'info'));
  await initBackend(o.backend, (m) => log.info(m));
  const search = {
    beam: o.beam,
    lengthPenalty: o.lengthPenalty,
    coveragePenalty: o.coveragePenalty,
    blockStutter: o.blockStutter,
    splitSentences: o.splitSentences,
  };
  const results = await evaluateModel(dir, sets, {
    ...search,
    limit: o.limit,
    multiRef: Boolean(o.multiRef),
    workers: o.workers,
    backend: o.backend,
    out: o.out,
    tokenize: o.tokenize,
    lowercase: o.lowercase ?? false,
    chrfWordOrder: o.chrfWordOrder,
    progress: (m) => log.info(m),
  });
  return modelReport(dir, results, {
    ...search,
    multiRef: Boolean(o.multiRef),
    json: Boolean(o.json),
    width: o.width,
  });
}

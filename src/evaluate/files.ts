/**
 * Scores a hypothesis file against a reference file with BLEU and chrF, reading the files the way the
 * sacrebleu command line does, so that the numbers match `sacrebleu REF -i HYP -m bleu chrf`.
 */
import { readFile } from 'node:fs/promises';

import {
  type BleuScore,
  type BleuTokenizerName,
  type ChrfScore,
  corpusBleu,
  corpusChrf,
} from '../metrics/index.js';
import { stripTrailingWhitespace } from '../metrics/tokenizers.js';

export interface ScoreFilesOptions {
  /** BLEU tokenizer. Default '13a'. */
  tokenize?: BleuTokenizerName;
  /** Lowercased BLEU, like sacrebleu's `-lc` (which, in sacrebleu, applies to BLEU only). Default false. */
  lowercase?: boolean;
  /** Lowercased chrF, like sacrebleu's `--chrf-lowercase`. Default false. */
  chrfLowercase?: boolean;
  /** chrF word n-gram order: 0 for chrF, 2 for chrF++. Default 0. */
  chrfWordOrder?: number;
  /** Decimals of the scores in `bleuString` and `chrfString` (sacrebleu `-w`). Default 2. */
  width?: number;
}

export interface FileScores {
  /** Corpus BLEU, unrounded. */
  bleu: number;
  /** Corpus chrF (chrF++ when chrfWordOrder is 2), unrounded. */
  chrf: number;
  signature: { bleu: string; chrf: string };
  /** e.g. `BLEU = 27.43 60.7/35.4/22.1/13.9 (BP = 0.962 ratio = 0.962 hyp_len = 2050 ref_len = 2130)`. */
  bleuString: string;
  /** e.g. `chrF2 = 52.28`. */
  chrfString: string;
  /** The full score objects: n-gram counts, precisions, brevity penalty, chrF statistics. */
  details: { bleu: BleuScore; chrf: ChrfScore };
}

/**
 * Reads one segment per line, as sacrebleu does: UTF-8 (invalid bytes are an error, not U+FFFD; a
 * byte-order mark is kept, as Python's 'utf-8' codec keeps it), lines end at "\n" only, a final newline
 * does not start an extra line, and each line loses its trailing whitespace (which also drops the "\r"
 * of Windows line endings).
 */
export async function readSegments(path: string): Promise<string[]> {
  const bytes = await readFile(path);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new Error(`${path} is not valid UTF-8`);
  }
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map(stripTrailingWhitespace);
}

function lineCount(n: number): string {
  return n === 1 ? '1 line' : `${n} lines`;
}

/**
 * BLEU and chrF of a hypothesis file against a line-aligned reference file; equivalent to
 * `sacrebleu REF -i HYP -m bleu chrf` with the matching options.
 */
export async function scoreFiles(
  hypPath: string,
  refPath: string,
  opts: ScoreFilesOptions = {},
): Promise<FileScores> {
  const [hyps, refs] = await Promise.all([readSegments(hypPath), readSegments(refPath)]);
  if (hyps.length !== refs.length) {
    throw new Error(
      `line count mismatch: hypothesis file ${hypPath} has ${lineCount(hyps.length)}, ` +
        `reference file ${refPath} has ${lineCount(refs.length)}`,
    );
  }
  const bleu = corpusBleu(hyps, refs, {
    tokenize: opts.tokenize ?? '13a',
    lowercase: opts.lowercase ?? false,
  });
  const chrf = corpusChrf(hyps, refs, {
    wordOrder: opts.chrfWordOrder ?? 0,
    lowercase: opts.chrfLowercase ?? false,
  });
  const width = opts.width ?? 2;
  return {
    bleu: bleu.score,
    chrf: chrf.score,
    signature: { bleu: bleu.signature, chrf: chrf.signature },
    bleuString: bleu.toString(width),
    chrfString: chrf.toString(width),
    details: { bleu, chrf },
  };
}

/**
 * What `evaluate --hyp/--ref` prints: the scores as one JSON object, or sacrebleu's two text lines with
 * signatures.
 */
export async function scoreFilesReport(
  hypPath: string,
  refPath: string,
  opts: ScoreFilesOptions,
  json: boolean,
): Promise<string> {
  const result = await scoreFiles(hypPath, refPath, opts);
  if (json) return JSON.stringify(result, null, 2);
  const { bleu, chrf } = result.details;
  return [
    bleu.format({ width: opts.width, withSignature: true }),
    chrf.format({ width: opts.width, withSignature: true }),
  ].join('\n');
}

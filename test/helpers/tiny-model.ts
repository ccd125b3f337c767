/**
 * A tiny, untrained model directory for route and browser tests: BPE tokenizers (about 200 tokens) trained on
 * corpora/sample.eng-spa.tsv and a Seq2Seq with E = H = A = O = 16, randomly initialised with seed 1.
 * Its translations are gibberish, but deterministic, which is all the server tests need.
 */
import path from 'node:path';
import { initBackend } from '../../src/backend/select.js';
import { readTsv } from '../../src/data/readers.js';
import type { SentencePair } from '../../src/data/types.js';
import { ModelConfigSchema } from '../../src/model/config.js';
import { saveModelDir } from '../../src/translate/model-dir.js';
import { Seq2Seq } from '../../src/model/seq2seq.js';
import { SubwordTokenizer } from '../../src/tokenizer/subword.js';
import { trainTokenizerFile } from '../../src/tokenizer/train.js';
import { REPO_ROOT, SAMPLE_CORPUS } from '../../src/util/repo-paths.js';

/** Trains a BPE tokenizer on each side of `pairs`, writing them to `srcFile` and `tgtFile`. */
export function trainTokenizerPair(
  pairs: SentencePair[],
  srcFile: string,
  tgtFile: string,
  vocabSize: number,
): void {
  trainTokenizerFile(
    pairs.map((p) => p.src),
    srcFile,
    { vocabSize },
  );
  trainTokenizerFile(
    pairs.map((p) => p.tgt),
    tgtFile,
    { vocabSize },
  );
}

/**
 * Writes config.json, weights.bin and the two tokenizers into `dir`; returns `dir`. With `copy`, a model
 * as issue 12 trains them: one shared tokenizer (digits split, byte fallback), all embeddings tied,
 * copying through attention.
 */
export async function makeTinyModel(dir: string, opts: { copy?: boolean } = {}): Promise<string> {
  await initBackend();
  const pairs = readTsv(SAMPLE_CORPUS);
  let srcTokenizerFile = path.join(dir, 'tokenizer.eng.json');
  let tgtTokenizerFile = path.join(dir, 'tokenizer.spa.json');
  if (opts.copy) {
    srcTokenizerFile = tgtTokenizerFile = path.join(dir, 'tokenizer.shared.json');
    trainTokenizerFile(
      pairs.flatMap((p) => [p.src, p.tgt]),
      srcTokenizerFile,
      { vocabSize: 500, splitDigits: true, byteFallback: true },
    );
  } else trainTokenizerPair(pairs, srcTokenizerFile, tgtTokenizerFile, 200);
  const config = ModelConfigSchema.parse({
    ...(opts.copy ? { tiedEmbeddings: 'all', copyAttention: true } : {}),
    srcVocabSize: SubwordTokenizer.load(srcTokenizerFile).vocabSize,
    tgtVocabSize: SubwordTokenizer.load(tgtTokenizerFile).vocabSize,
    embeddingSize: 16,
    encoderHiddenSize: 16,
    decoderHiddenSize: 16,
    attentionSize: 16,
    outputSize: 16,
    dropout: 0,
  });
  const model = new Seq2Seq(config, 1);
  try {
    saveModelDir(dir, model, {
      srcLang: 'eng',
      tgtLang: 'spa',
      srcTokenizerFile,
      tgtTokenizerFile,
      info: {
        corpus: path.relative(REPO_ROOT, SAMPLE_CORPUS),
        untrained: true,
        parameters: model.parameterCount(),
      },
    });
  } finally {
    model.dispose();
  }
  return dir;
}

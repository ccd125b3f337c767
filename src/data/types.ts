/** Where a sentence pair came from, so every later error can name the file and line. */
export interface Origin {
  file: string;
  line: number;
}

/** One aligned sentence pair: `src` is translated into `tgt`. */
export interface SentencePair {
  src: string;
  tgt: string;
  origin?: Origin;
}

export interface CorpusSplits {
  train: SentencePair[];
  valid: SentencePair[];
  test: SentencePair[];
}

/** A malformed corpus: the message always names the file and (when known) the 1-based line. */
export class CorpusError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line?: number,
  ) {
    super(line === undefined ? `${file}: ${message}` : `${file}:${line}: ${message}`);
    this.name = 'CorpusError';
  }
}

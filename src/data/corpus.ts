/**
 * One entry point from a corpus "spec" string (as typed on the command line) to sentence pairs.
 *
 * Built-in specs:
 * - `path/to/pairs.tsv` or `path/to/pairs.txt`: a tab-separated pair file (`readTsv`);
 * - `path/a.en,path/a.es`: two line-aligned Moses files, source first (`readMoses`).
 *
 * Other kinds of corpus (e.g. generated `synthetic:` ones) plug in with `registerCorpusSource`, so this module
 * does not need to know about them.
 */
import { readMoses, readTsv } from './readers.js';
import { CorpusError, type SentencePair } from './types.js';

export interface LoadCorpusOptions {
  /** Swap source and target (column 1 ↔ column 2 of a TSV, or the two Moses files). */
  reverse?: boolean;
}

/** Produces pairs for a registered prefix; `rest` is the spec without the prefix (`synthetic:copy` → `copy`). */
export type CorpusSource = (rest: string, opts: LoadCorpusOptions) => SentencePair[];

/** `name:` with a name of at least two characters, so a Windows drive such as `C:` is not taken for a prefix. */
const PREFIX = /^[a-z][a-z0-9+.-]+:/i;

const sources = new Map<string, CorpusSource>();

/**
 * Makes `loadCorpus` hand specs starting with `prefix` (e.g. `'synthetic:'`, which must end with a colon) to `load`.
 * Returns a function that removes the registration again (handy in tests).
 */
export function registerCorpusSource(prefix: string, load: CorpusSource): () => void {
  const match = PREFIX.exec(prefix);
  if (!match || match[0] !== prefix) {
    throw new Error(
      `registerCorpusSource: prefix must look like 'name:' (letters first, ending in ':'), got '${prefix}'`,
    );
  }
  const key = prefix.toLowerCase();
  if (sources.has(key)) throw new Error(`registerCorpusSource: '${prefix}' is already registered`);
  sources.set(key, load);
  return () => {
    if (sources.get(key) === load) sources.delete(key);
  };
}

/** Loads the pairs a spec names; throws `CorpusError` for a spec it cannot interpret or a malformed file. */
export function loadCorpus(spec: string, opts: LoadCorpusOptions = {}): SentencePair[] {
  const prefix = PREFIX.exec(spec)?.[0];
  if (prefix !== undefined) {
    const load = sources.get(prefix.toLowerCase());
    if (!load) {
      const known = [...sources.keys()].join(', ') || 'none';
      throw new CorpusError(`no corpus source is registered for '${prefix}' (registered: ${known})`, spec);
    }
    return load(spec.slice(prefix.length), opts);
  }

  if (spec.includes(',')) {
    const files = spec.split(',');
    if (files.length !== 2 || files.some((f) => f.trim() === '')) {
      throw new CorpusError('a Moses spec needs exactly two files: source,target', spec);
    }
    const [srcFile, tgtFile] = files.map((f) => f.trim());
    return opts.reverse ? readMoses(tgtFile, srcFile) : readMoses(srcFile, tgtFile);
  }

  if (/\.(tsv|txt)$/i.test(spec)) return readTsv(spec, { reverse: opts.reverse });

  throw new CorpusError(
    'unknown corpus spec: expected a .tsv/.txt pair file, two Moses files as source,target, ' +
      'or a registered prefix such as synthetic:',
    spec,
  );
}

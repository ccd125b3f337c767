/**
 * Parsers for command-line options, shared by the commands in src/cli.
 *
 * Each takes the option's name (or the environment variable's) and returns a commander argument parser:
 *
 *   .option('--beam <k>', 'beam size', positiveInt('--beam'), 5)
 *
 * A rejected value throws a UsageError that names the option and quotes the value, e.g.
 * `--beam expects a positive integer, got '0'`; the commands print it as one line on stderr and exit 1.
 */
import os from 'node:os';
import { InvalidArgumentError, Option } from 'commander';
import { type BackendName, parseBackendName } from '../backend/names.js';
import { DEFAULT_COVERAGE_PENALTY, DEFAULT_LENGTH_PENALTY } from '../search/beam.js';

/** A command line that cannot be used as given (bad option value, options that do not go together). */
export class UsageError extends Error {}

export type Parser = (value: string) => number;

/** Repeatable options collect into an array. */
export const collect = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  value,
];

/** An integer ≥ 1. */
export const positiveInt =
  (flag: string): Parser =>
  (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} expects a positive integer, got '${v}'`);
    return n;
  };

/** An integer in [min, max]. */
export const intInRange =
  (flag: string, min: number, max: number): Parser =>
  (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new UsageError(`${flag} expects an integer in [${min}, ${max}], got '${v}'`);
    }
    return n;
  };

/** A TCP port, 0–65535 (0: any free port). */
export const port =
  (flag: string): Parser =>
  (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) {
      throw new UsageError(`${flag} expects a port number 0–65535, got '${v}'`);
    }
    return n;
  };

/** A finite number. */
export const finiteNumber =
  (flag: string): Parser =>
  (v) => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new UsageError(`${flag} expects a number, got '${v}'`);
    return n;
  };

/** A finite number ≥ 0 (an empty value is refused rather than read as 0). */
export const nonNegativeNumber =
  (flag: string): Parser =>
  (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 0)
      throw new UsageError(`${flag} expects a number ≥ 0, got '${v}'`);
    return n;
  };

/** A number > 0 (Infinity included: "no limit"). */
export const positiveNumber =
  (flag: string): Parser =>
  (v) => {
    const n = Number(v);
    if (!(n > 0)) throw new UsageError(`${flag} expects a number > 0, got '${v}'`);
    return n;
  };

/** `new Option(flags, description)` whose value is read by `parser`, told the option's long name. */
export function numberOption(flags: string, description: string, parser: (flag: string) => Parser): Option {
  const option = new Option(flags, description);
  return option.argParser(parser(option.long ?? flags));
}

/** `--no-block-stutter` (src/search/stutter.ts), defined once for translate, evaluate and forward-translate. */
export function noBlockStutterOption(): Option {
  return new Option(
    '--no-block-stutter',
    'let the model write a subword twice in a row even when the source does not have it twice (default: blocked)',
  );
}

/** `--length-penalty α`: how beam search ranks finished hypotheses (src/search/beam.ts); translate, evaluate. */
export function lengthPenaltyOption(): Option {
  return new Option('--length-penalty <alpha>', 'GNMT length penalty α for beam search')
    .argParser(nonNegativeNumber('--length-penalty'))
    .default(DEFAULT_LENGTH_PENALTY);
}

/** `--coverage-penalty β`, the other term of a finished hypothesis's score (src/search/beam.ts). */
export function coveragePenaltyOption(): Option {
  return new Option(
    '--coverage-penalty <beta>',
    'GNMT coverage penalty β for beam search: favours translations that attended to every source word (0 = off)',
  )
    .argParser(nonNegativeNumber('--coverage-penalty'))
    .default(DEFAULT_COVERAGE_PENALTY);
}

/** `--no-split-sentences` (src/translate/sentences.ts), for translate, evaluate and forward-translate. */
export function noSplitSentencesOption(): Option {
  return new Option(
    '--no-split-sentences',
    'translate each line as one piece, as written: not sentence by sentence, quotation marks not lifted off (default: split)',
  );
}

/**
 * `--workers <n>` for commands that translate many sentences (evaluate, forward-translate): worker threads,
 * one per core by default.
 */
export function translationWorkersOption(): Option {
  return new Option(
    '--workers <n>',
    'translation worker threads (default: one per core; 1 translates in this thread)',
  )
    .argParser(positiveInt('--workers'))
    .default(Math.max(1, os.availableParallelism()));
}

/** What --backend says where it chooses this process's own backend. */
const BACKEND_HELP =
  'tensorflow-gpu | tensorflow | wasm | cpu (default: fastest that loads; env NMT_BACKEND)';

/**
 * `--backend <name>`, defined once for every command. `description` says whose backend it is when not this
 * process's (the workers', the children's); a command that picks one itself passes `defaultName`, the
 * others leave the choice to initBackend (NMT_BACKEND, else the fastest that loads).
 *
 * The name is checked at the flag by parseBackendName (src/backend/names.ts, which loads no TensorFlow.js,
 * so commands whose main thread never initialises a backend start as fast as before), the same function
 * that initBackend applies to NMT_BACKEND: both give the same answer and the same error.
 */
export function backendOption(description = BACKEND_HELP, defaultName?: BackendName): Option {
  const option = new Option('--backend <name>', description).argParser((value: string) => {
    try {
      return parseBackendName(value);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  });
  return defaultName === undefined ? option : option.default(defaultName);
}

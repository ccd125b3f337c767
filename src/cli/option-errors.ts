/**
 * Messages for options that reach a zod schema (training options from flags or a --config file): they name
 * the flag a user typed, `--valid-size`, not the schema's field `validSize` nor zod's own wording for a
 * missing value ("Invalid input: expected string, received undefined").
 */
import type { z } from 'zod';

/** What a required option holds, for "--out <dir> is required". */
const PLACEHOLDERS: Record<string, string> = {
  out: '<dir>: the run folder (checkpoints, metrics.jsonl, model/)',
  corpus: '<spec>: the training pairs, e.g. a TSV file source<TAB>target',
};

/** `validSize` → `--valid-size`. */
export function flagName(field: string): string {
  return `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** One line for the first problem of a failed parse, naming the flag. */
export function describeOptionIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid options';
  // Only a --config file can carry keys no flag sets (commander refuses unknown flags itself).
  if (issue.code === 'unrecognized_keys') return `--config: unknown option ${issue.keys.join(', ')}`;
  const field = issue.path.map(String).join('.');
  if (field === '') return `invalid options: ${issue.message}`;
  const flag = flagName(field);
  const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
  if (missing) return `${flag} ${PLACEHOLDERS[field] ?? '<value>'} is required`;
  return `invalid ${flag}: ${issue.message}`;
}

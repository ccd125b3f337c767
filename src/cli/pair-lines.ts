/** The input lines of the aligners (`npm run align`, `npm run lexical-align`): one sentence pair each. */
import type { AlignPair } from '../translate/force-align.js';
import { UsageError } from './args.js';

/** `source<TAB>target` (a third column, e.g. attribution, is ignored) or `source ||| target`. */
export function parsePairLine(line: string, lineNo: number): AlignPair {
  const cols = line.includes('\t') ? line.split('\t') : line.split(' ||| ');
  if (cols.length < 2) {
    throw new UsageError(`line ${lineNo}: expected "source<TAB>target" (or "source ||| target")`);
  }
  const [source, target] = cols;
  if (source.trim() === '') throw new UsageError(`line ${lineNo}: the source is empty`);
  return { source, target };
}

/**
 * `npm run -s evaluate -- --alignments HYP --gold GOLD [--one-based-gold] [--json]`: the alignment error
 * rate of Pharaoh word links against human ones (src/metrics/aer.ts), no model and no TensorFlow.js.
 */
import { readFile } from 'node:fs/promises';
import { aerOfTexts, formatAer, linkLines } from '../metrics/aer.js';

export interface AlignmentReportOptions {
  oneBasedGold?: boolean;
  json?: boolean;
  /** Decimals of the printed percentages. */
  width?: number;
  /** Where warnings go (default: stderr). */
  warn?: (message: string) => void;
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`, {
      cause: err,
    });
  }
}

/** The report `evaluate --alignments` prints: one text line, or one JSON object. */
export async function alignmentReport(
  hypFile: string,
  goldFile: string,
  o: AlignmentReportOptions = {},
): Promise<string> {
  const [hypText, goldText] = await Promise.all([
    readText(hypFile, 'alignment file'),
    readText(goldFile, 'gold alignment file'),
  ]);
  // A 1-based gold file read as 0-based scores badly but silently; its tell-tale is that no index is 0.
  if (!o.oneBasedGold && !linkLines(goldText).some((l) => /(^|\s)0[-p]|[-p]0(\s|$)/.test(l))) {
    (o.warn ?? ((m: string) => process.stderr.write(`${m}\n`)))(
      `evaluate: no link in ${goldFile} uses index 0; if its indices start at 1, add --one-based-gold`,
    );
  }
  const s = aerOfTexts(hypText, goldText, {
    oneBasedGold: o.oneBasedGold,
    hypName: hypFile,
    goldName: goldFile,
  });
  if (o.json) {
    return JSON.stringify(
      {
        aer: s.aer,
        precision: s.precision,
        recall: s.recall,
        links: s.hyp,
        sentences: s.sentences,
        gold: { sure: s.sure, possible: s.possible },
        intersections: { sure: s.hypSure, possible: s.hypPossible },
        oneBasedGold: Boolean(o.oneBasedGold),
        alignments: hypFile,
        goldFile,
      },
      null,
      2,
    );
  }
  return formatAer(s, o.width ?? 2);
}

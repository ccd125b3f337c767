/**
 * The --test files, scored when training ends with the exported (best) model, beam 5, as `evaluate` scores
 * them: through the Translator (each line sentence by sentence, single-case input re-cased, stutters blocked).
 */
import fs from 'node:fs';
import path from 'node:path';
import { corpusBleu, corpusChrf } from '../metrics/index.js';
import { Translator } from '../translate/translator.js';
import type { Logger } from '../util/log.js';
import type { NamedPairs } from './prepare.js';

/** Scores of each test set, by name. */
export type TestScores = Record<string, { bleu: number; chrf: number; sentences: number }>;

/** The beam the test sets are translated with. */
export const TEST_BEAM = 5;

/** Scores `testSets` with the model in `modelDir`, logging each; undefined when there is nothing to score. */
export function scoreTestSets(modelDir: string, testSets: NamedPairs[], log: Logger): TestScores | undefined {
  if (testSets.length === 0 || !fs.existsSync(path.join(modelDir, 'config.json'))) return undefined;
  const translator = Translator.load(modelDir);
  const tests: TestScores = {};
  try {
    for (const set of testSets) {
      const t0 = Date.now();
      const hyps = translator
        .translate(
          set.pairs.map((p) => p.src),
          { beam: TEST_BEAM },
        )
        .map((t) => t.hypotheses[0].text);
      const refs = set.pairs.map((p) => p.tgt);
      tests[set.name] = {
        bleu: corpusBleu(hyps, refs).score,
        chrf: corpusChrf(hyps, refs).score,
        sentences: hyps.length,
      };
      log.info(
        `test ${set.name} (beam ${TEST_BEAM}, best model): BLEU ${tests[set.name].bleu.toFixed(2)}, chrF ${tests[set.name].chrf.toFixed(2)}, ${hyps.length} sentences [${((Date.now() - t0) / 1000).toFixed(0)} s]`,
      );
    }
  } finally {
    translator.dispose();
  }
  return tests;
}

/** A Translator over a model folder for one describe block: loaded before its tests, disposed of after. */
import fs from 'node:fs';
import path from 'node:path';
import { initBackend } from '../../src/backend/select.js';
import { Translator } from '../../src/translate/translator.js';
import { repoRoot } from './paths.js';

export const SHIPPED_MODEL = path.join(repoRoot, 'models', 'eng-spa');

/**
 * Call inside a `describe`: registers the hooks and returns the translator's getter. The block's tests are
 * skipped, with a message, when the folder is missing (a checkout without models/).
 */
export function useTranslator(dir: string = SHIPPED_MODEL): () => Translator {
  let translator: Translator | undefined;
  before(async function () {
    if (!fs.existsSync(path.join(dir, 'config.json'))) {
      console.log(`    skipping: ${dir} not found`);
      this.skip();
    }
    await initBackend('wasm');
    translator = Translator.load(dir);
  });
  after(() => translator?.dispose());
  return () => translator!;
}

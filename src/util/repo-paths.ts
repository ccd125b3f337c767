/**
 * Files of the repository that tools and tests find from the code's own location (not the working folder),
 * so they work whichever folder a command is started in.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's top folder (this file is src/util/repo-paths.ts). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The 30 English–Spanish pairs bundled with the repository: the corpus that is always there. */
export const SAMPLE_CORPUS = path.join(REPO_ROOT, 'corpora', 'sample.eng-spa.tsv');

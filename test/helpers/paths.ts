/** Paths shared by tests: the repository root and the read-only ../shared folder beside it. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const sharedDir = path.resolve(repoRoot, '..', 'shared');
export const tatoebaSpa = path.join(sharedDir, 'corpora', 'tatoeba', 'eng-spa.tsv');

/** Skip the current test with a message saying what is missing. */
export function requireFile(ctx: Mocha.Context, file: string): void {
  if (!fs.existsSync(file)) {
    ctx.test!.title += ` [skipped: ${file} not found; this test needs ../shared, present in CI]`;
    ctx.skip();
  }
}

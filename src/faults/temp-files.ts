/**
 * The temporary files of atomic writes (src/util/atomic.ts names them `.<file>.<pid>.<ms>.tmp` beside the
 * file they replace): which ones a killed child left, and whether their target has been saved again since.
 */
import fs from 'node:fs';
import path from 'node:path';

export const TEMP_RE = /^\.(.+)\.(\d+)\.(\d+)\.tmp$/;

/** Temporary files of atomic writes anywhere under `dir` (relative paths). */
export function listTemps(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (TEMP_RE.test(e.name)) out.push(path.relative(dir, path.join(d, e.name)));
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out.sort();
}

/** The file a temporary file was going to replace. */
export function tempTarget(rel: string): string {
  const m = TEMP_RE.exec(path.basename(rel));
  return path.join(path.dirname(rel), m ? m[1] : rel);
}

/** The process that wrote a temporary file (null when the name is not one of a temporary file). */
export function tempWriter(rel: string): number | null {
  const m = TEMP_RE.exec(path.basename(rel));
  return m ? Number(m[2]) : null;
}

/** The file's inode, or null when it does not exist: a new inode means the file was saved again. */
export function inode(file: string): number | null {
  try {
    return fs.statSync(file).ino;
  } catch {
    return null;
  }
}

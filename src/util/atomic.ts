/**
 * Atomic file writes: write a temporary file in the same folder, fsync it, then rename it over the
 * target. A crash at any moment leaves either the old file or the new one, never a torn file.
 */
import fs from 'node:fs';
import path from 'node:path';

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'w');
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
    syncDir(dir);
  } catch (err) {
    // Clean up best effort: a failure here (e.g. `tmp` is a directory that is not ours) must not
    // replace the error that names `file`.
    try {
      if (fd !== undefined) fs.closeSync(fd);
    } catch {
      // already reported below
    }
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // already reported below
    }
    throw new Error(`could not write ${file}: ${(err as Error).message}`, { cause: err });
  }
  removeStaleTemps(dir, path.basename(file));
}

/**
 * Remove temporary files of earlier writes of the same file whose process is gone (killed mid-write:
 * SIGKILL, power cut). Temporary files of live processes, including this one, are left alone.
 */
function removeStaleTemps(dir: string, base: string): void {
  const prefix = `.${base}.`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = Number(name.slice(prefix.length).split('.')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || processExists(pid)) continue;
    try {
      fs.rmSync(path.join(dir, name), { force: true });
    } catch {
      // Best effort: a leftover temporary file is harmless.
    }
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** fsync the folder so the rename itself survives a power cut (best effort where unsupported). */
export function syncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Some file systems do not allow fsync on a directory; the rename is still atomic there.
  }
}

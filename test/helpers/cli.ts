/** Runs the project's command-line tools as child processes, from any working directory. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './paths.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Working directory (default: the repository). */
  cwd?: string;
  /** Written to the child's stdin, which is then closed. */
  input?: string;
  env?: NodeJS.ProcessEnv;
}

/** `node --import tsx src/cli/<name>.ts ...args`, as `npm run <name>` runs it, without npm's own output. */
export function runCli(name: string, args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return runNode([path.join(repoRoot, 'src', 'cli', `${name}.ts`), ...args], opts);
}

/** `npm run train` on an English→Spanish corpus into `out`, with more flags after. */
export function trainEngSpa(
  corpus: string,
  out: string,
  args: string[],
  opts: CliOptions = {},
): Promise<CliResult> {
  return runCli(
    'train',
    ['--corpus', corpus, '--src-lang', 'eng', '--tgt-lang', 'spa', '--out', out, ...args],
    opts,
  );
}

/**
 * tsx's loader by URL: `--import tsx` is resolved from the working directory, which need not be this
 * repository (a copied model folder is tried from elsewhere).
 */
export const TSX_IMPORT = import.meta.resolve('tsx');

/** `node --import tsx ...args` (a script path first). */
export function runNode(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX_IMPORT, ...args], {
      cwd: opts.cwd ?? repoRoot,
      env: { ...process.env, NMT_LOG_JSON: '0', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/** Splits a README command line into words, honouring '…' and "…" quotes (enough for its commands). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] ?? m[2] ?? m[3]);
  return words;
}

/**
 * The port a server child reports ("listening on http://host:PORT/"), polling its collected output; throws
 * with `name` and the output when the child exits or a minute passes first.
 */
export async function waitForListeningPort(
  child: { exitCode: number | null },
  output: () => string,
  name: string,
): Promise<number> {
  for (const t0 = Date.now(); ;) {
    const m = /listening on http:\/\/[^:]+:(\d+)\//.exec(output());
    if (m) return Number(m[1]);
    if (child.exitCode !== null || Date.now() - t0 > 60_000) throw new Error(`${name}: ${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

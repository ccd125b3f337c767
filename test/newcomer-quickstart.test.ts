/**
 * The README's quick start, run as written in a folder that looks like a fresh clone: the repository's files
 * (git ls-files) copied to a temporary folder with no ../shared beside it, node_modules linked in (standing
 * for `npm ci`). The train command gets extra flags that make it a few seconds (a tiny model, three steps);
 * everything else runs exactly as the README says, so a README edit that breaks the quick start fails here.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { TSX_IMPORT, runNode, shellWords, type CliResult, waitForListeningPort } from './helpers/cli.js';
import { repoRoot } from './helpers/paths.js';

/** Appended to the README's train command: later flags win, so the run takes seconds, not minutes. */
const FAST_TRAIN = (
  '--max-steps 3 --embedding-size 16 --hidden-size 16 --attention-size 16 --output-size 16 ' +
  '--vocab-size 500 --workers 1 --bleu-sentences 5'
).split(' ');

/** The shell lines of the first ```sh block under the "## Quick start" heading, comments removed. */
function quickStartCommands(readme: string): string[] {
  const section = /^## Quick start[^\n]*\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1];
  if (!section) throw new Error('README.md has no "## Quick start" section');
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('the README quick start has no ```sh block');
  return block
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l !== '');
}

/** `npm run [-s] <script> -- args` → the script's file and its arguments (as package.json runs it). */
function npmScript(words: string[]): { script: string; args: string[] } {
  const scripts = (
    JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    }
  ).scripts;
  const rest = words.slice(words[1] === 'start' ? 2 : words[2] === '-s' ? 3 : 2);
  const name = words[1] === 'start' ? 'start' : words[words[2] === '-s' ? 3 : 2];
  const command = scripts[name];
  // `tsx file.ts`, or `node --import tsx file.ts` (train and start: see src/cli/train.ts on Ctrl-C).
  const m = /^(?:tsx|node --import tsx) (\S+\.ts)$/.exec(command ?? '');
  if (!m) throw new Error(`npm script "${name}" is not "tsx <file>.ts": ${command}`);
  const dashes = rest.indexOf('--');
  return { script: m[1], args: dashes === -1 ? [] : rest.slice(dashes + 1) };
}

describe('README quick start in a fresh clone (no ../shared)', function () {
  this.timeout(600_000);
  let root: string;
  let clone: string;
  const timings: string[] = [];

  before(function () {
    let files: string[];
    try {
      files = execFileSync('git', ['ls-files', '-z'], { cwd: repoRoot, encoding: 'utf8' }).split('\0');
    } catch (err) {
      this.test!.parent!.title += ` [skipped: git ls-files failed: ${(err as Error).message.split('\n')[0]}]`;
      this.skip();
    }
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-fresh-'));
    clone = path.join(root, 'clone');
    for (const f of files!.filter((f) => f !== '' && fs.existsSync(path.join(repoRoot, f)))) {
      fs.mkdirSync(path.dirname(path.join(clone, f)), { recursive: true });
      fs.copyFileSync(path.join(repoRoot, f), path.join(clone, f));
    }
    fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(clone, 'node_modules'));
    expect(fs.existsSync(path.join(root, 'shared')), 'no ../shared beside the clone').to.equal(false);
  });
  after(() => {
    if (root) fs.rmSync(root, { recursive: true, force: true });
    if (timings.length > 0) console.log(`      (${timings.join(', ')})`);
  });

  it('every quick-start command works, in order', async () => {
    const commands = quickStartCommands(fs.readFileSync(path.join(clone, 'README.md'), 'utf8'));
    const ran: string[] = [];
    for (const line of commands) {
      if (line === 'npm ci') continue; // node_modules is linked in
      const piped = /^echo\s+("[^"]*"|'[^']*')\s*\|\s*(.*)$/.exec(line);
      const words = shellWords(piped ? piped[2] : line);
      const input = piped ? `${piped[1].slice(1, -1)}\n` : undefined;
      const { script, args } = npmScript(words);
      const name = path.basename(script, '.ts');
      const t0 = performance.now();
      if (name === 'serve') {
        await serveAndLook(path.join(clone, script), args);
      } else {
        const extra = name === 'train' ? FAST_TRAIN : [];
        const r: CliResult = await runNode([script, ...args, ...extra], { cwd: clone, input });
        expect(r.code, `${line}\n${r.stderr}`).to.equal(0);
        if (name === 'translate') expect(r.stdout.trim(), line).to.not.equal('');
        if (name === 'evaluate')
          expect(r.stdout, line)
            .to.match(/^BLEU\|/m)
            .and.match(/test\.tsv/);
      }
      timings.push(`${name} ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      ran.push(name);
    }
    expect(ran).to.deep.equal(['train', 'translate', 'evaluate', 'serve']);
  });

  /** Starts the server as the README does (on a free port), loads the page and asks the API once. */
  async function serveAndLook(script: string, args: string[]): Promise<void> {
    const child: ChildProcess = spawn(
      process.execPath,
      ['--import', TSX_IMPORT, script, ...args, '--port', '0'],
      {
        cwd: clone,
        env: { ...process.env, NMT_LOG_JSON: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    try {
      const port = await waitForListeningPort(child, () => output, 'npm start');
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(page.status).to.equal(200);
      expect(await page.text()).to.contain('<form');
      const api = await fetch(`http://127.0.0.1:${port}/api/translate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'Where is Tom?' }),
      });
      expect(api.status).to.equal(200);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    }
  }
});

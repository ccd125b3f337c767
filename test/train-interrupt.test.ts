/**
 * Ctrl-C during `npm run train`, as a terminal delivers it: SIGINT to every process of the command's
 * process group (npm, the shell, node) at once. The trainer must save a checkpoint after the current step
 * and exit normally; a wrapper that relays the signal a second time, or escalates to SIGKILL while the
 * training step keeps node busy, would lose the work since the last checkpoint (and a write under way).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { readTsv } from '../src/data/readers.js';
import { readCheckpoint } from '../src/train/checkpoint.js';
import { repoRoot } from './helpers/paths.js';

describe('Ctrl-C during npm run train', function () {
  this.timeout(180_000);
  let dir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-interrupt-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('saves a checkpoint after the current step and exits 0, nothing half-written', async function () {
    const corpus = path.join(dir, 'pairs.tsv');
    const pairs = readTsv(path.join(repoRoot, 'corpora', 'eng-spa-sample.tsv')).slice(0, 1500);
    fs.writeFileSync(corpus, pairs.map((p) => `${p.src}\t${p.tgt}\n`).join(''));
    const out = path.join(dir, 'run');
    const args = [
      ...['run', '-s', 'train', '--', '--corpus', corpus, '--src-lang', 'eng', '--tgt-lang', 'spa'],
      ...['--out', out, '--vocab-size', '500', '--embedding-size', '128', '--hidden-size', '256'],
      ...['--attention-size', '128', '--output-size', '128', '--token-budget', '3000', '--backend', 'wasm'],
      // One worker and steps of a few hundred ms: node's main thread is busy when the signal arrives.
      ...[
        '--workers',
        '1',
        '--max-steps',
        '100000',
        '--valid-every',
        '100000',
        '--checkpoint-every',
        '100000',
      ],
    ];
    // detached: its own process group, which the test signals as a terminal would.
    const child = spawn('npm', args, {
      cwd: repoRoot,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NMT_LOG_JSON: '0' },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal })),
    );
    const started = Date.now();
    while (!/training engine: /.test(stderr)) {
      if (child.exitCode !== null || Date.now() - started > 120_000)
        throw new Error(`training did not start:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 1500)); // a few steps in
    process.kill(-child.pid!, 'SIGINT');
    // npm itself ends as a Ctrl-C'd command does (by the signal); what matters is what the trainer did.
    const { code, signal } = await exited;
    expect(code === 0 || signal === 'SIGINT', `${code} ${signal}\n${stderr}`).to.equal(true);
    expect(stderr).to.include('Ctrl-C: saving a checkpoint after this step');
    const stopped = /stopped: interrupted at step (\d+)/.exec(stderr);
    expect(stopped, stderr).to.not.equal(null);
    const step = Number(stopped![1]);
    expect(step).to.be.greaterThan(0);
    expect(readCheckpoint(path.join(out, 'last.ckpt')).header.state.step).to.equal(step);
    expect(fs.readdirSync(out).filter((f) => f.includes('.tmp'))).to.deep.equal([]);
  });
});

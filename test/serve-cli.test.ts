/**
 * `npm start` itself (src/cli/serve.ts as a process): it refuses an invalid model, listens, cuts off a
 * request whose body stops arriving after --request-timeout, and stops cleanly on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { repoRoot } from './helpers/paths.js';
import { makeTinyModel } from './helpers/tiny-model.js';

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startServe(args: string[]): Started {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(repoRoot, 'src/cli/serve.ts'), ...args],
    {
      cwd: repoRoot,
      env: { ...process.env, NMT_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function listeningPort(s: Started, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(s.output());
    if (m) return Number(m[1]);
    if (s.child.exitCode !== null) throw new Error(`serve exited ${s.child.exitCode}: ${s.output()}`);
    if (Date.now() - t0 > timeoutMs)
      throw new Error(`serve did not listen within ${timeoutMs} ms: ${s.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sends headers promising 100 bytes, then 10 of them, and waits for whatever the server answers. */
function stalledRequest(port: number): Promise<{ answer: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(
        'POST /api/translate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
          'Content-Length: 100\r\n\r\n{"text":"H',
      );
    });
    let answer = '';
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('close', () => resolve({ answer, ms: performance.now() - t0 }));
    socket.on('error', reject);
  });
}

describe('npm start (serve.ts as a process)', function () {
  this.timeout(120_000);
  let dir: string;
  let modelDir: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-serve-'));
    modelDir = path.join(dir, 'model');
    fs.mkdirSync(modelDir);
    await makeTinyModel(modelDir);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a model directory with a missing file, naming it, and exits 1', async () => {
    const broken = path.join(dir, 'broken');
    fs.cpSync(modelDir, broken, { recursive: true });
    fs.rmSync(path.join(broken, 'weights.bin'));
    const s = startServe(['--model', broken, '--port', '0']);
    expect(await s.exited).to.equal(1);
    expect(s.output()).to.include(`serve: cannot load model ${broken}`).and.to.include('weights.bin');
    expect(s.output()).not.to.include('listening on');
  });

  it('serves, answers 408 to a body that stops arriving after --request-timeout, stops on SIGTERM', async () => {
    const s = startServe(['--model', modelDir, '--port', '0', '--request-timeout', '1']);
    try {
      const port = await listeningPort(s, 60_000);
      // the log names the matmul the workers run (wasm is what loads here)
      expect(s.output()).to.match(/matmul \(in the workers\): (OpenBLAS|XNNPACK)/);
      const health = await fetch(`http://127.0.0.1:${port}/api/health`);
      expect(health.status).to.equal(200);
      const { answer, ms } = await stalledRequest(port);
      expect(answer).to.match(/^HTTP\/1\.1 408 /);
      // 1 s timeout, checked every second
      expect(ms).to.be.within(900, 5000);
      const ok = await fetch(`http://127.0.0.1:${port}/api/translate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'Hello.' }),
      });
      expect(ok.status).to.equal(200);
    } finally {
      s.child.kill('SIGTERM');
    }
    expect(await s.exited).to.equal(0);
    expect(s.output()).to.include('SIGTERM: no longer accepting connections');
  });
});

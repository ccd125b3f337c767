import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { initBackend } from '../src/backend/select.js';
import { loadModelDir, readModelConfig } from '../src/model/model-dir.js';
import { makeTinyModel } from './helpers/tiny-model.js';
import { repoRoot } from './helpers/paths.js';

/** Copy a model directory (and its tokenizers, which it references by relative path). */
function copyModel(from: string, to: string): string {
  fs.cpSync(from, to, { recursive: true });
  return to;
}

describe('model directories', function () {
  let base: string;
  let tmp: string;
  before(async () => {
    await initBackend('wasm');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-modeldir-'));
    base = await makeTinyModel(path.join(tmp, 'base'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('loads a valid model', () => {
    const m = loadModelDir(base);
    expect(m.model.parameterCount()).to.be.greaterThan(0);
    m.model.dispose();
  });

  it('refuses a missing weights file, naming it', () => {
    const dir = copyModel(base, path.join(tmp, 'missing'));
    fs.rmSync(path.join(dir, 'weights.bin'));
    expect(() => loadModelDir(dir)).to.throw(`cannot read weights ${path.join(dir, 'weights.bin')}`);
  });

  it('refuses a truncated weights file, naming it', () => {
    const dir = copyModel(base, path.join(tmp, 'truncated'));
    const f = path.join(dir, 'weights.bin');
    fs.writeFileSync(f, fs.readFileSync(f).subarray(0, 1000));
    expect(() => loadModelDir(dir)).to.throw(`${f}: expected`);
  });

  it('refuses corrupted weights (checksum), naming the file', () => {
    const dir = copyModel(base, path.join(tmp, 'corrupt'));
    const f = path.join(dir, 'weights.bin');
    const b = fs.readFileSync(f);
    b[100] ^= 0xff;
    fs.writeFileSync(f, b);
    expect(() => loadModelDir(dir)).to.throw(`${f}: checksum mismatch`);
  });

  it('refuses weights that do not match the config, naming the file and tensor', () => {
    const dir = copyModel(base, path.join(tmp, 'mismatch'));
    const cfgFile = path.join(dir, 'config.json');
    const cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8'));
    cfg.model.encoderHiddenSize = 24;
    fs.writeFileSync(cfgFile, JSON.stringify(cfg));
    expect(() => loadModelDir(dir)).to.throw(
      /weights\.bin: tensor "encoder\.l0\.fwd\.Wx" has shape \[16,64\] but the configuration needs \[16,96\]/,
    );
  });

  it('refuses a missing or invalid config.json, naming the file and field', () => {
    const dir = copyModel(base, path.join(tmp, 'badcfg'));
    const cfgFile = path.join(dir, 'config.json');
    const cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8'));
    cfg.model.dropout = 'lots';
    fs.writeFileSync(cfgFile, JSON.stringify(cfg));
    expect(() => readModelConfig(dir)).to.throw(`${cfgFile}: invalid field "model.dropout"`);
    fs.writeFileSync(cfgFile, '{"format": "nmt-model/1", ');
    expect(() => readModelConfig(dir)).to.throw(`cannot read model config ${cfgFile}`);
    fs.rmSync(cfgFile);
    expect(() => readModelConfig(dir)).to.throw(`cannot read model config ${cfgFile}`);
  });

  it('refuses a tokenizer whose vocabulary does not match the config', () => {
    const dir = copyModel(base, path.join(tmp, 'tokmismatch'));
    const cfgFile = path.join(dir, 'config.json');
    const cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8'));
    cfg.model.srcVocabSize += 1;
    fs.writeFileSync(cfgFile, JSON.stringify(cfg));
    expect(() => loadModelDir(dir)).to.throw(
      /tokenizer\.eng\.json has \d+ tokens but .*config\.json says srcVocabSize/,
    );
  });
});

describe('translate CLI', function () {
  let tmp: string;
  let model: string;
  before(async () => {
    await initBackend('wasm');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-cli-'));
    model = await makeTinyModel(path.join(tmp, 'm'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const run = (args: string[], input: string) =>
    spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli/translate.ts'), ...args], {
      input,
      encoding: 'utf8',
      cwd: repoRoot,
      env: { ...process.env, NMT_BACKEND: 'wasm' },
    });

  it('writes one translation per input line and nothing else on stdout', () => {
    const r = run(['--model', model, '--beam', '2'], 'The cat sleeps.\n\nWhere is the library?\n');
    expect(r.status, r.stderr).to.equal(0);
    const lines = r.stdout.split('\n');
    expect(lines).to.have.length(4); // three translations + the final newline
    expect(lines[3]).to.equal('');
  });

  it('--alignments appends Pharaoh pairs after a tab; --attention prints the matrix', () => {
    const r = run(['--model', model, '--alignments'], 'The cat sleeps.\n');
    expect(r.status, r.stderr).to.equal(0);
    const [text, align] = r.stdout.trimEnd().split('\t');
    expect(text.length).to.be.greaterThan(0);
    for (const pair of align.split(' ')) expect(pair).to.match(/^[0-2]-\d+$/);
    const a = run(['--model', model, '--attention'], 'The cat sleeps.\n');
    expect(a.status, a.stderr).to.equal(0);
    expect(a.stdout).to.include('</s>');
  });

  it('a bad model directory exits 1 with a message naming the file', () => {
    const r = run(['--model', path.join(tmp, 'nope')], 'hi\n');
    expect(r.status).to.equal(1);
    expect(r.stderr).to.include(path.join(tmp, 'nope', 'config.json'));
    expect(r.stdout).to.equal('');
  });
});

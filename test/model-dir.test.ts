import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { initBackend } from '../src/backend/select.js';
import { loadModelDir, readModelConfig } from '../src/translate/model-dir.js';
import { makeTinyModel } from './helpers/tiny-model.js';
import { repoRoot } from './helpers/paths.js';

/** Copy a model directory (and its tokenizers, which it references by relative path). */
function copyModel(from: string, to: string): string {
  fs.cpSync(from, to, { recursive: true });
  return to;
}

/** Rewrites a model directory's config.json through `change`; returns the file's path. */
function editConfig(dir: string, change: (cfg: { model: Record<string, unknown> }) => void): string {
  const cfgFile = path.join(dir, 'config.json');
  const cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8'));
  change(cfg);
  fs.writeFileSync(cfgFile, JSON.stringify(cfg));
  return cfgFile;
}

/**
 * In the enclosing describe: before its tests, a temporary folder (`tmp`, named from `prefix`) with a tiny
 * model in its subfolder `name` (`model`), on the wasm backend; after them, the folder is removed.
 */
function withTinyModel(prefix: string, name: string): { tmp: string; model: string } {
  const fixture = { tmp: '', model: '' };
  before(async () => {
    await initBackend('wasm');
    fixture.tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    fixture.model = await makeTinyModel(path.join(fixture.tmp, name));
  });
  after(() => fs.rmSync(fixture.tmp, { recursive: true, force: true }));
  return fixture;
}

describe('model directories', function () {
  const fx = withTinyModel('nmt-modeldir-', 'base');

  it('loads a valid model', () => {
    const m = loadModelDir(fx.model);
    expect(m.model.parameterCount()).to.be.greaterThan(0);
    m.model.dispose();
  });

  it('refuses a missing weights file, naming it', () => {
    const dir = copyModel(fx.model, path.join(fx.tmp, 'missing'));
    fs.rmSync(path.join(dir, 'weights.bin'));
    expect(() => loadModelDir(dir)).to.throw(`cannot read weights ${path.join(dir, 'weights.bin')}`);
  });

  it('refuses a truncated weights file, naming it', () => {
    const dir = copyModel(fx.model, path.join(fx.tmp, 'truncated'));
    const f = path.join(dir, 'weights.bin');
    fs.writeFileSync(f, fs.readFileSync(f).subarray(0, 1000));
    expect(() => loadModelDir(dir)).to.throw(`${f}: expected`);
  });

  it('refuses corrupted weights (checksum), naming the file', () => {
    const dir = copyModel(fx.model, path.join(fx.tmp, 'corrupt'));
    const f = path.join(dir, 'weights.bin');
    const b = fs.readFileSync(f);
    b[100] ^= 0xff;
    fs.writeFileSync(f, b);
    expect(() => loadModelDir(dir)).to.throw(`${f}: checksum mismatch`);
  });

  it('refuses weights that do not match the config, naming the file and tensor', () => {
    const dir = copyModel(fx.model, path.join(fx.tmp, 'mismatch'));
    editConfig(dir, (cfg) => (cfg.model.encoderHiddenSize = 24));
    expect(() => loadModelDir(dir)).to.throw(
      /weights\.bin: tensor "encoder\.l0\.fwd\.Wx" has shape \[16,64\] but the configuration needs \[16,96\]/,
    );
  });

  it('refuses a missing or invalid config.json, naming the file and field', () => {
    const dir = copyModel(fx.model, path.join(fx.tmp, 'badcfg'));
    const cfgFile = editConfig(dir, (cfg) => (cfg.model.dropout = 'lots'));
    expect(() => readModelConfig(dir)).to.throw(`${cfgFile}: invalid field "model.dropout"`);
    fs.writeFileSync(cfgFile, '{"format": "nmt-model/1", ');
    expect(() => readModelConfig(dir)).to.throw(`cannot read model config ${cfgFile}`);
    fs.rmSync(cfgFile);
    expect(() => readModelConfig(dir)).to.throw(`cannot read model config ${cfgFile}`);
  });

  it('refuses a tokenizer whose vocabulary does not match the config', () => {
    const dir = copyModel(fx.model, path.join(fx.tmp, 'tokmismatch'));
    editConfig(dir, (cfg) => (cfg.model.srcVocabSize = (cfg.model.srcVocabSize as number) + 1));
    expect(() => loadModelDir(dir)).to.throw(
      // The model folder's own copy of the source tokenizer (saveModelDir copies it in).
      /src\.tokenizer\.json has \d+ tokens but .*config\.json says srcVocabSize/,
    );
  });
});

describe('translate CLI', function () {
  const fx = withTinyModel('nmt-cli-', 'm');

  const run = (args: string[], input: string) =>
    spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli/translate.ts'), ...args], {
      input,
      encoding: 'utf8',
      cwd: repoRoot,
      env: { ...process.env, NMT_BACKEND: 'wasm' },
    });

  it('writes one translation per input line and nothing else on stdout', () => {
    const r = run(['--model', fx.model, '--beam', '2'], 'The cat sleeps.\n\nWhere is the library?\n');
    expect(r.status, r.stderr).to.equal(0);
    const lines = r.stdout.split('\n');
    expect(lines).to.have.length(4); // three translations + the final newline
    expect(lines[3]).to.equal('');
  });

  it('--alignments appends Pharaoh pairs after a tab; --attention prints the matrix', () => {
    const r = run(['--model', fx.model, '--alignments'], 'The cat sleeps.\n');
    expect(r.status, r.stderr).to.equal(0);
    const [text, align] = r.stdout.trimEnd().split('\t');
    expect(text.length).to.be.greaterThan(0);
    for (const pair of align.split(' ')) expect(pair).to.match(/^[0-2]-\d+$/);
    const a = run(['--model', fx.model, '--attention'], 'The cat sleeps.\n');
    expect(a.status, a.stderr).to.equal(0);
    expect(a.stdout).to.include('</s>');
  });

  it('a bad model directory exits 1 with a message naming the file', () => {
    const r = run(['--model', path.join(fx.tmp, 'nope')], 'hi\n');
    expect(r.status).to.equal(1);
    expect(r.stderr).to.include(path.join(fx.tmp, 'nope', 'config.json'));
    expect(r.stdout).to.equal('');
  });
});

/**
 * A newcomer's first hour (issue 13): held-out sizes that fit a small corpus, run folders that are never
 * overwritten silently, model folders that work wherever they are copied (tokenizers and test split inside),
 * messages that say what is wrong, logs in time order that do not print into the progress bar, and a test
 * run free of "kernel … is already registered" noise.
 *
 * Everything here runs without ../shared (the data comes from corpora/); the one check that needs the real
 * Tatoeba file skips with a message when it is absent.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import cliProgress from 'cli-progress';
import { describeOptionIssue } from '../src/cli/option-errors.js';
import { filterPairs } from '../src/data/clean.js';
import { readMoses, readTsv } from '../src/data/readers.js';
import { defaultHeldOutSize, splitCorpus } from '../src/data/split.js';
import type { SentencePair } from '../src/data/types.js';
import { ModelConfigSchema } from '../src/model/config.js';
import { loadModelDir, readModelTestSet, saveModelDir } from '../src/translate/model-dir.js';
import { scoreRows } from '../src/server/pages.js';
import { Seq2Seq } from '../src/model/seq2seq.js';
import { SubwordTokenizer } from '../src/tokenizer/subword.js';
import { trainTokenizerFile } from '../src/tokenizer/train.js';
import { readCheckpoint } from '../src/train/checkpoint.js';
import { TrainConfigSchema } from '../src/train/config.js';
import { RunFolderError, heldOutTestPairs, prepareRunFolder, runEntries } from '../src/train/run-folder.js';
import { attachProgressBar, createLogger } from '../src/util/log.js';
import * as selectStatic from '../src/backend/select.js';
import { TSX_IMPORT, runCli, runNode, trainEngSpa, waitForListeningPort } from './helpers/cli.js';
import { repoRoot, requireFile, sharedDir, tatoebaSpa } from './helpers/paths.js';
import { trainTokenizerPair } from './helpers/tiny-model.js';

const SAMPLE = path.join(repoRoot, 'corpora', 'eng-spa-sample.tsv');

/** Distinct pairs `source i` → `target i` (one translation each, so sizes are exact). */
const distinctPairs = (n: number): SentencePair[] =>
  Array.from({ length: n }, (_, i) => ({ src: `source ${i}`, tgt: `target ${i}` }));

describe('newcomer: held-out sizes that fit the corpus', () => {
  it('holds out 5% each, at least 100 (never more than 10% of the corpus) and at most 2,000', () => {
    const sizes = [10, 100, 1000, 3000, 10_000, 40_000, 118_964].map((n) => defaultHeldOutSize(n));
    expect(sizes).to.deep.equal([1, 10, 100, 150, 500, 2000, 2000]);
    expect(defaultHeldOutSize(2)).to.equal(0);
  });

  it('a corpus of 1,000 pairs splits 800 / 100 / 100 by default', () => {
    const { train, valid, test } = splitCorpus(distinctPairs(1000), { seed: 1 });
    expect([train.length, valid.length, test.length]).to.deep.equal([800, 100, 100]);
  });

  it('from 40,000 pairs up, the default split is the one the old fixed sizes (2,000 / 2,000) gave', () => {
    const pairs = distinctPairs(40_000);
    expect(splitCorpus(pairs, { seed: 1 })).to.deep.equal(
      splitCorpus(pairs, { seed: 1, validSize: 2000, testSize: 2000 }),
    );
  });

  it('explicit sizes still win over the default', () => {
    const { valid, test } = splitCorpus(distinctPairs(1000), { seed: 1, validSize: 7, testSize: 0 });
    expect([valid.length, test.length]).to.deep.equal([7, 0]);
  });

  it('a split that leaves nothing to train on names the flags to change', () => {
    expect(() => splitCorpus(distinctPairs(100), { seed: 1, validSize: 60, testSize: 60 }))
      .to.throw(RangeError, /no training pairs/)
      .with.property('message')
      .that.matches(/--test-size/)
      .and.matches(/--valid-size/);
  });

  it('the Tatoeba eng-spa split is unchanged: the default equals seed 1, valid 2000, test 2000', function () {
    requireFile(this, tatoebaSpa);
    const { kept } = filterPairs(readTsv(tatoebaSpa), { maxChars: 200, maxRatio: 4, dedupe: true });
    const auto = splitCorpus(kept, { seed: 1 });
    const fixed = splitCorpus(kept, { seed: 1, validSize: 2000, testSize: 2000 });
    expect(auto.test).to.deep.equal(fixed.test);
    expect(auto.valid).to.deep.equal(fixed.valid);
    expect(auto.train.length).to.equal(fixed.train.length);
  });
});

describe('newcomer: run folders', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-runfolder-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A folder that looks like a finished run, plus a file of the user's. */
  function fakeRun(): void {
    for (const f of ['last.ckpt', 'best.ckpt', 'step-100.ckpt', 'metrics.jsonl', 'notes.txt'])
      fs.writeFileSync(path.join(dir, f), 'x');
    fs.mkdirSync(path.join(dir, 'model'));
    fs.writeFileSync(path.join(dir, 'model', 'config.json'), '{}');
  }

  it('a missing or empty folder is fine', () => {
    expect(prepareRunFolder(path.join(dir, 'new'), {})).to.deep.equal([]);
    expect(prepareRunFolder(dir, {})).to.deep.equal([]);
  });

  it('a folder holding a run is refused, naming what is there and --resume / --overwrite', () => {
    fakeRun();
    expect(() => prepareRunFolder(dir, {}))
      .to.throw(RunFolderError, /already holds a training run/)
      .with.property('message')
      .that.matches(/best\.ckpt, last\.ckpt, metrics\.jsonl, model\/, step-100\.ckpt/)
      .and.matches(/--resume/)
      .and.matches(/--overwrite/);
    expect(fs.existsSync(path.join(dir, 'model', 'config.json'))).to.equal(true);
  });

  it('--resume keeps everything; --overwrite deletes only the run, not the user’s files', () => {
    fakeRun();
    expect(prepareRunFolder(dir, { resume: true })).to.deep.equal([]);
    expect(runEntries(dir)).to.have.length(5);
    const removed = prepareRunFolder(dir, { overwrite: true });
    expect(removed).to.deep.equal(['best.ckpt', 'last.ckpt', 'metrics.jsonl', 'model', 'step-100.ckpt']);
    expect(fs.readdirSync(dir)).to.deep.equal(['notes.txt']);
  });

  it('--resume with --overwrite, or --resume without last.ckpt beside a trained model, is refused', () => {
    expect(() => prepareRunFolder(dir, { resume: true, overwrite: true })).to.throw(
      RunFolderError,
      /choose one/,
    );
    fs.mkdirSync(path.join(dir, 'model'));
    expect(() => prepareRunFolder(dir, { resume: true })).to.throw(RunFolderError, /no last\.ckpt/);
    // A run killed before its first checkpoint has only metrics.jsonl: resuming starts it again.
    fs.rmSync(path.join(dir, 'model'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'metrics.jsonl'), '');
    expect(prepareRunFolder(dir, { resume: true })).to.deep.equal([]);
  });
});

describe('newcomer: model folders carry their tokenizers', () => {
  let dir: string;
  let model: Seq2Seq;
  let shared: string;
  let src: string;
  let tgt: string;
  before(async () => {
    await selectStatic.initBackend('wasm');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-modelfolder-'));
    const pairs = readTsv(path.join(repoRoot, 'corpora', 'sample.eng-spa.tsv'));
    shared = path.join(dir, 'vocab', 'eng-spa.tokenizer.json');
    trainTokenizerFile([...pairs.map((p) => p.src), ...pairs.map((p) => p.tgt)], shared, { vocabSize: 200 });
    src = path.join(dir, 'vocab', 'eng.tokenizer.json');
    tgt = path.join(dir, 'vocab', 'spa.tokenizer.json');
    trainTokenizerPair(pairs, src, tgt, 200);
    const size = SubwordTokenizer.load(shared).vocabSize;
    const dims = {
      embeddingSize: 8,
      encoderHiddenSize: 8,
      decoderHiddenSize: 8,
      attentionSize: 8,
      outputSize: 8,
    };
    model = new Seq2Seq(ModelConfigSchema.parse({ srcVocabSize: size, tgtVocabSize: size, ...dims }), 1);
  });
  after(() => {
    model?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const save = (to: string, srcTokenizerFile: string, tgtTokenizerFile: string, testPairs?: SentencePair[]) =>
    saveModelDir(to, model, {
      srcLang: 'eng',
      tgtLang: 'spa',
      srcTokenizerFile,
      tgtTokenizerFile,
      testPairs,
    });

  it('a shared vocabulary is copied once, and both config entries point to the copy', () => {
    const to = path.join(dir, 'shared-model');
    const config = save(to, shared, shared);
    expect(config.tokenizers).to.deep.equal({ src: 'tokenizer.json', tgt: 'tokenizer.json' });
    expect(fs.readdirSync(to).sort()).to.deep.equal(['config.json', 'tokenizer.json', 'weights.bin']);
    expect(fs.readFileSync(path.join(to, 'tokenizer.json')).equals(fs.readFileSync(shared))).to.equal(true);
  });

  it('two vocabularies become src.tokenizer.json and tgt.tokenizer.json; test pairs become test.tsv', () => {
    const to = path.join(dir, 'two-model');
    const pairs = [
      { src: 'Hi.', tgt: 'Hola.' },
      { src: 'Go.', tgt: 'Ve.' },
    ];
    const config = save(to, src, tgt, pairs);
    expect(config.tokenizers).to.deep.equal({ src: 'src.tokenizer.json', tgt: 'tgt.tokenizer.json' });
    expect(config.testSet).to.equal('test.tsv');
    expect(fs.readFileSync(path.join(to, 'test.tsv'), 'utf8')).to.equal('Hi.\tHola.\nGo.\tVe.\n');
    expect(readModelTestSet(to)?.map((p) => [p.src, p.tgt])).to.deep.equal([
      ['Hi.', 'Hola.'],
      ['Go.', 'Ve.'],
    ]);
    expect(() => save(path.join(dir, 'bad-test'), src, tgt, [{ src: 'a\tb', tgt: 'c' }])).to.throw(
      /test pair 1 has an empty side, a tab or a line break/,
    );
  });

  it('a folder moved away from the tokenizers it points to says so and names export-model', () => {
    // As folders were written before the copy: a relative path outside the folder.
    const old = path.join(dir, 'models', 'old');
    save(old, src, tgt);
    const cfgFile = path.join(old, 'config.json');
    const cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8')) as { tokenizers: Record<string, string> };
    cfg.tokenizers = { src: '../../vocab/eng.tokenizer.json', tgt: '../../vocab/spa.tokenizer.json' };
    fs.writeFileSync(cfgFile, JSON.stringify(cfg));
    loadModelDir(old).model.dispose(); // works where it is
    const moved = path.join(dir, 'moved');
    fs.cpSync(old, moved, { recursive: true });
    expect(() => loadModelDir(moved))
      .to.throw(`${path.join(moved, 'config.json')}: tokenizers.src "../../vocab/eng.tokenizer.json"`)
      .with.property('message')
      .that.matches(/not found; this model folder refers to a tokenizer outside itself/)
      .and.contains('npm run export-model');
  });
});

describe('newcomer: held-out data stays out of the repository', () => {
  it('test.tsv leaves out split pairs that are also lines of the run’s --valid/--test files', () => {
    const splits = {
      train: [],
      valid: [],
      test: [
        { src: 'Look here.', tgt: 'Miren aquí.' },
        { src: 'Look here.', tgt: 'Mira aquí.' },
        { src: 'Go.', tgt: 'Ve.' },
      ],
    };
    const testFile = { pairs: [{ src: 'Look here.', tgt: 'Miren aquí.' }] };
    expect(heldOutTestPairs({ testSize: 3 }, splits, [testFile])).to.deep.equal(splits.test.slice(1));
    expect(heldOutTestPairs({ testSize: 3 }, splits)).to.deep.equal(splits.test);
    expect(heldOutTestPairs({ testSize: 0 }, splits)).to.equal(undefined);
  });

  it('no file in the repository holds a line of ../shared/corpora/eng-spa-extra/*.dev.tsv or *.test.tsv', function () {
    const extra = path.join(sharedDir, 'corpora', 'eng-spa-extra');
    requireFile(this, extra);
    const forbidden = new Set<string>();
    for (const f of fs.readdirSync(extra).filter((f) => /\.(dev|test)\.tsv$/.test(f))) {
      for (const line of fs.readFileSync(path.join(extra, f), 'utf8').split('\n')) {
        if (line.trim() !== '') forbidden.add(line.replace(/\r$/, ''));
      }
    }
    expect(forbidden.size).to.be.greaterThan(1000);
    let files: string[];
    try {
      files = execFileSync('git', ['ls-files', '-z'], { cwd: repoRoot, encoding: 'utf8' }).split('\0');
    } catch {
      files = ['corpora/eng-spa-sample.tsv', 'corpora/sample.eng-spa.tsv'];
    }
    const found: string[] = [];
    for (const f of files.filter((f) => f !== '')) {
      const file = path.join(repoRoot, f);
      if (!fs.existsSync(file) || fs.statSync(file).size > 20_000_000) continue;
      const bytes = fs.readFileSync(file);
      if (bytes.subarray(0, 8000).includes(0)) continue; // binary (weights, images)
      const lines = bytes.toString('utf8').split('\n');
      lines.forEach((l, i) => {
        if (forbidden.has(l.replace(/\r$/, ''))) found.push(`${f}:${i + 1}: ${l}`);
      });
    }
    expect(found, 'lines copied from held-out files').to.deep.equal([]);
  });
});

describe('newcomer: messages', () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-messages-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a binary file named .tsv is "not a text file", not a line-end or encoding problem', () => {
    const cases: [string, Uint8Array, RegExp][] = [
      ['gz.tsv', gzipSync(Buffer.from('Hi.\tHola.\n')), /gzip-compressed/],
      ['zip.tsv', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x0d, 0x00, 0x0a]), /zip archive/],
      // Random-looking bytes with a CR and a NUL: used to be "carriage return (CR) inside the line".
      ['bin.tsv', Buffer.from([0x41, 0x0d, 0x42, 0x00, 0xff, 0x0a]), /NUL byte at byte 4 of the line/],
      ['utf16.tsv', Buffer.from('\ufeffHi.\tHola.\n', 'utf16le'), /UTF-16/],
      ['utf16-nobom.tsv', Buffer.from('Hi.\tHola.\nGo.\tVe.\n', 'utf16le'), /UTF-16/],
    ];
    for (const [name, bytes, reason] of cases) {
      const file = path.join(dir, name);
      fs.writeFileSync(file, bytes);
      expect(() => readTsv(file), name)
        .to.throw(`${file}:1: not a text file`)
        .with.property('message')
        .that.matches(reason);
    }
    // Moses files go through the same check.
    const text = path.join(dir, 'ok.en');
    fs.writeFileSync(text, 'Hi.\n');
    expect(() => readMoses(text, path.join(dir, 'gz.tsv'))).to.throw(/not a text file/);
  });

  it('a missing --out (or --corpus) names the flag, not the schema', () => {
    const missing = (input: Record<string, unknown>) => {
      const r = TrainConfigSchema.safeParse(input);
      expect(r.success).to.equal(false);
      return describeOptionIssue(r.error!);
    };
    expect(missing({ corpus: 'a.tsv' })).to.match(/^--out <dir>.* is required$/);
    expect(missing({ out: 'runs/x' })).to.match(/^--corpus <spec>.* is required/);
    expect(missing({ corpus: 'a.tsv', out: 'x', validSize: 0 })).to.match(/^invalid --valid-size: /);
    expect(missing({ corpus: 'a.tsv', out: 'x', hiddenSise: 3 })).to.match(
      /--config: unknown option hiddenSise/,
    );
  });

  it('train: a missing --out and a binary corpus are one plain line each, exit 1', async () => {
    const noOut = await runCli('train', ['--corpus', SAMPLE]);
    expect(noOut.code).to.equal(1);
    expect(noOut.stderr.trim()).to.match(/^train: --out <dir>: the run folder .* is required$/);
    const gz = path.join(dir, 'gz.tsv');
    fs.writeFileSync(gz, gzipSync(Buffer.from('Hi.\tHola.\n')));
    const binary = await runCli('train', [
      '--corpus',
      gz,
      '--out',
      path.join(dir, 'run'),
      '--backend',
      'cpu',
    ]);
    expect(binary.code).to.equal(1);
    expect(binary.stderr).to.contain(`train: ${gz}:1: not a text file: it looks like gzip-compressed`);
    expect(binary.stderr).to.not.match(/carriage return/);
  });

  it('log lines come out in the order they were logged, also around a direct stderr write and exit', async () => {
    const script = path.join(dir, 'order.ts');
    const logModule = path.join(repoRoot, 'src', 'util', 'log.ts');
    fs.writeFileSync(
      script,
      `import { createLogger } from ${JSON.stringify(logModule)};\n` +
        `const log = createLogger('order');\n` +
        `for (let i = 1; i <= 3; i++) log.info('info ' + i);\n` +
        `process.stderr.write('order: error after info 3\\n');\n` +
        `log.warn('warn 4');\n` +
        `process.exit(1);\n`,
    );
    for (const json of ['0', '1']) {
      const r = await runNode([script], { env: { NMT_LOG_JSON: json } });
      const lines = r.stderr
        .trim()
        .split('\n')
        .map((l) => /info \d|error after info 3|warn 4/.exec(l)?.[0]);
      expect(lines, `NMT_LOG_JSON=${json}: ${r.stderr}`).to.deep.equal([
        'info 1',
        'info 2',
        'info 3',
        'error after info 3',
        'warn 4',
      ]);
    }
  });

  it('a line logged while the progress bar is drawn clears the bar’s line first, and nothing when it is not', () => {
    const written: string[] = [];
    const stderr = process.stderr as NodeJS.WriteStream & { isTTY: boolean };
    const { write } = stderr;
    const wasTTY = stderr.isTTY;
    const barOutput: string[] = [];
    // A terminal for the bar alone (cli-progress draws through readline's escape sequences and write).
    const terminal = { isTTY: true, columns: 80, write: (s: string) => barOutput.push(s) > 0 };
    const bar = new cliProgress.SingleBar(
      { stream: terminal as unknown as NodeJS.WritableStream },
      cliProgress.Presets.legacy,
    );
    const log = createLogger('bar', 'info');
    try {
      stderr.isTTY = true;
      stderr.write = ((s: string) => written.push(s) > 0) as typeof stderr.write;
      attachProgressBar(bar);
      bar.start(10, 3);
      log.info('while drawn');
      bar.stop();
      log.info('after stop');
    } finally {
      stderr.write = write;
      stderr.isTTY = wasTTY;
      attachProgressBar(undefined);
    }
    expect(barOutput.join('')).to.contain('3/10');
    expect(written).to.have.length(2);
    // Erase the bar's line, print the line, save the cursor there (where the bar goes back when it stops).
    const ESC = '\x1b';
    expect(written[0].startsWith(`\r${ESC}[2K`), JSON.stringify(written[0])).to.equal(true);
    expect(written[0].endsWith(`while drawn\n${ESC}7`), JSON.stringify(written[0])).to.equal(true);
    expect(written[1], 'no escape sequences when no bar is drawn').to.not.contain(ESC).and.not.contain('\r');
    expect(written[1]).to.match(/after stop\n$/);
  });
});

describe('newcomer: one module graph under mocha (no "kernel … is already registered")', () => {
  it('a module imported statically and one imported dynamically are the same instance', async () => {
    // Mocha require()s test files; with tsx's CommonJS hook (import=tsx) they became CommonJS copies, and every
    // `await import()` in src/ loaded a second, ES-module copy of the backend code, which registered its kernels
    // again. .mocharc.json loads tests through tsx's ES-module hook only (import=tsx/esm): one copy of each.
    const dynamic = await import('../src/backend/select.js');
    expect(dynamic.initBackend).to.equal(selectStatic.initBackend);
  });

  it('starting the in-process translation service after initBackend registers no kernel twice', async () => {
    const warnings: string[] = [];
    const { warn } = console;
    console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(' '));
    try {
      await selectStatic.initBackend('wasm');
      // service.ts imports the backend dynamically: the path that used to print the noise.
      const { InProcessService } = await import('../src/server/service.js');
      const { makeTinyModel } = await import('./helpers/tiny-model.js');
      const modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-noise-'));
      try {
        await makeTinyModel(modelDir);
        const service = await InProcessService.load(modelDir);
        await service.close();
      } finally {
        fs.rmSync(modelDir, { recursive: true, force: true });
      }
    } finally {
      console.warn = warn;
    }
    expect(warnings.filter((w) => /already registered/.test(w))).to.deep.equal([]);
  });
});

describe('newcomer: a small corpus, end to end (train, refuse, resume, overwrite, copy, serve)', function () {
  this.timeout(300_000);
  let dir: string;
  let run: string;
  let corpus: string;
  /** Tiny and quick: the default command plus sizes that make each run a few seconds. */
  const TINY = (
    '--embedding-size 8 --hidden-size 8 --attention-size 8 --output-size 8 --vocab-size 500 ' +
    '--bleu-sentences 5 --workers 1 --backend wasm'
  ).split(' ');
  const train = (...args: string[]) => trainEngSpa(corpus, run, [...TINY, ...args]);
  const step = (ckpt: string) => readCheckpoint(ckpt).header.state.step;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-newcomer-'));
    run = path.join(dir, 'runs', 'small');
    corpus = path.join(dir, 'first-1000.tsv');
    const lines = fs.readFileSync(SAMPLE, 'utf8').split('\n').slice(0, 1000);
    fs.writeFileSync(corpus, lines.join('\n') + '\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('trains on 1,000 pairs with the default held-out sizes, into a self-contained model folder', async () => {
    const r = await train('--max-steps', '2');
    expect(r.code, r.stderr).to.equal(0);
    const split = /split of .*: (\d+) train, (\d+) valid, (\d+) test pairs/.exec(r.stderr);
    expect(split, r.stderr).to.not.equal(null);
    const [trainN, validN, testN] = split!.slice(1).map(Number);
    expect(validN).to.be.within(100, 110);
    expect(testN).to.be.within(100, 110);
    expect(trainN + validN + testN).to.equal(1000);

    const model = path.join(run, 'model');
    const config = JSON.parse(fs.readFileSync(path.join(model, 'config.json'), 'utf8')) as {
      tokenizers: { src: string; tgt: string };
      testSet?: string;
    };
    for (const file of Object.values(config.tokenizers)) {
      expect(file, 'a path inside the folder').to.not.match(/^\.\.|^\//);
      expect(fs.existsSync(path.join(model, file)), file).to.equal(true);
    }
    expect(config.testSet).to.equal('test.tsv');
    const kept = readTsv(path.join(model, 'test.tsv'));
    expect(kept).to.have.length(testN);
    const corpusLines = new Set(fs.readFileSync(corpus, 'utf8').split('\n'));
    for (const p of kept) expect(corpusLines.has(`${p.src}\t${p.tgt}`), p.src).to.equal(true);
  });

  it('training into the same --out again is refused and changes nothing', async () => {
    const configFile = path.join(run, 'model', 'config.json');
    const before = fs.readFileSync(configFile);
    const r = await train('--max-steps', '1');
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/already holds a training run/);
    expect(r.stderr).to.contain('--resume').and.contain('--overwrite');
    expect(fs.readFileSync(configFile).equals(before)).to.equal(true);
    expect(step(path.join(run, 'last.ckpt'))).to.equal(2);
  });

  it('--resume continues the run', async () => {
    const r = await train('--max-steps', '4', '--resume');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/resumed from .*last\.ckpt: step 2/);
    expect(step(path.join(run, 'last.ckpt'))).to.equal(4);
  });

  it("--resume with --learning-rate continues at the rate typed now, not the checkpoint's", async () => {
    const last = path.join(run, 'last.ckpt');
    const saved = readCheckpoint(last).header.state.learningRate;
    const r = await train('--max-steps', '5', '--resume', '--learning-rate', String(saved / 4));
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.contain(`--learning-rate ${saved / 4} replaces the checkpoint's ${saved}`);
    expect(readCheckpoint(last).header.state).to.include({ step: 5, learningRate: saved / 4 });
    // Resuming without the flag keeps the rate the run has now.
    const again = await train('--max-steps', '6', '--resume');
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stderr).not.to.contain('replaces the checkpoint');
    expect(readCheckpoint(last).header.state).to.include({ step: 6, learningRate: saved / 4 });
  });

  it('--overwrite deletes the earlier run and starts again', async () => {
    const r = await train('--max-steps', '1', '--overwrite');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/--overwrite: deleted the earlier run's .*last\.ckpt/);
    expect(step(path.join(run, 'last.ckpt'))).to.equal(1);
    const steps = fs
      .readFileSync(path.join(run, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { step?: number }).step ?? 0);
    expect(Math.max(...steps)).to.equal(1);
  });

  describe('the model folder copied elsewhere, with the run and its vocab/ gone', () => {
    let elsewhere: string;
    let copied: string;
    before(() => {
      elsewhere = path.join(dir, 'elsewhere');
      copied = path.join(elsewhere, 'my-model');
      fs.mkdirSync(elsewhere);
      fs.cpSync(path.join(run, 'model'), copied, { recursive: true });
      fs.rmSync(path.join(dir, 'runs'), { recursive: true, force: true });
      fs.rmSync(corpus);
    });

    it('translates (from another working directory, by a relative path)', async () => {
      const r = await runCli('translate', ['--model', 'my-model', '--backend', 'wasm'], {
        cwd: elsewhere,
        input: 'Where is Tom?\nI like tea.\n',
      });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout.split('\n')).to.have.length(3); // two lines and the final newline
    });

    it('evaluate --split test reads the folder’s test.tsv (the corpus is gone)', async () => {
      const r = await runCli(
        'evaluate',
        [
          '--model',
          copied,
          '--split',
          'test',
          '--beam',
          '1',
          '--workers',
          '1',
          '--json',
          '--backend',
          'wasm',
        ],
        { cwd: elsewhere },
      );
      expect(r.code, r.stderr).to.equal(0);
      const report = JSON.parse(r.stdout) as { sentences: number; testSet: string; bleu: number };
      expect(report.testSet).to.contain(path.join(copied, 'test.tsv'));
      expect(report.sentences).to.equal(readTsv(path.join(copied, 'test.tsv')).length);
      expect(report.bleu).to.be.a('number');
    });

    it('export-model makes another self-contained copy, test.tsv included, with the scores of a several-set evaluate', async () => {
      // evaluate --json on two sets prints { model, sets }; the page reads one record per set.
      const evaluated = await runCli(
        'evaluate',
        ['--model', copied, '--split', 'test', '--test', path.join(copied, 'test.tsv'), '--beam', '1'].concat(
          ['--workers', '1', '--json', '--backend', 'wasm'],
        ),
        { cwd: elsewhere },
      );
      expect(evaluated.code, evaluated.stderr).to.equal(0);
      const report = JSON.parse(evaluated.stdout) as { sets: Record<string, { bleu: number }> };
      expect(Object.keys(report.sets)).to.have.length(2);
      const scoresFile = path.join(elsewhere, 'scores.json');
      fs.writeFileSync(scoresFile, evaluated.stdout);
      const exported = path.join(elsewhere, 'exported');
      const r = await runCli('export-model', ['--from', copied, '--to', exported, '--scores', scoresFile]);
      expect(r.code, r.stderr).to.equal(0);
      expect(fs.readFileSync(path.join(exported, 'test.tsv'), 'utf8')).to.equal(
        fs.readFileSync(path.join(copied, 'test.tsv'), 'utf8'),
      );
      const config = JSON.parse(fs.readFileSync(path.join(exported, 'config.json'), 'utf8')) as {
        tokenizers: { src: string; tgt: string };
        info: Record<string, unknown>;
      };
      for (const file of Object.values(config.tokenizers))
        expect(fs.existsSync(path.join(exported, file)), file).to.equal(true);
      const recorded = config.info.scores as { testSet: string; bleu: number; model: string }[];
      expect(recorded.map((x) => x.bleu)).to.deep.equal(Object.values(report.sets).map((x) => x.bleu));
      for (const x of recorded) expect(x.model).to.equal(copied);
      const rows = scoreRows(config.info).filter((row) => row.how === 'greedy' && row.role === 'test');
      expect(rows.map((row) => row.set)).to.deep.equal(['test', 'split']);
    });

    it('npm start -- --model DIR serves it: the page and the API answer', async () => {
      const child: ChildProcess = spawn(
        process.execPath,
        [
          '--import',
          TSX_IMPORT,
          path.join(repoRoot, 'src/cli/serve.ts'),
          '--model',
          'my-model',
          '--port',
          '0',
          '--backend',
          'wasm',
        ],
        { cwd: elsewhere, env: { ...process.env, NMT_LOG_JSON: '0' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
      try {
        const port = await waitForListeningPort(child, () => output, 'serve');
        const page = await fetch(`http://127.0.0.1:${port}/`);
        expect(page.status).to.equal(200);
        const api = await fetch(`http://127.0.0.1:${port}/api/translate`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text: 'Where is Tom?' }),
        });
        expect(api.status, await api.clone().text()).to.equal(200);
        expect(await api.json()).to.have.property('translations');
      } finally {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          await exited;
        }
      }
    });
  });
});

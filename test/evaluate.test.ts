/**
 * `npm run evaluate` (src/cli/evaluate.ts) as a child process: scoring files against the sacrebleu
 * reference numbers, clear one-line errors, and translating a test set with a (tiny, untrained) model.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { DEFAULT_COVERAGE_PENALTY, DEFAULT_LENGTH_PENALTY } from '../src/search/beam.js';
import { expect } from 'chai';

import { readTsv } from '../src/data/readers.js';
import { corpusBleu } from '../src/metrics/index.js';
import { scoreRecords } from '../src/evaluate/report.js';
import { repoRoot, sharedDir } from './helpers/paths.js';
import { makeTinyModel } from './helpers/tiny-model.js';

const execFileAsync = promisify(execFile);
const fixtureDir = path.join(sharedDir, 'fixtures', 'sacrebleu');
const sample = path.join(repoRoot, 'corpora', 'sample.eng-spa.tsv');
/** The sacrebleu fixture files, as `--hyp H --ref R`. */
const FIXTURE_FILES = ['--hyp', path.join(fixtureDir, 'hyp.es'), '--ref', path.join(fixtureDir, 'ref.es')];

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run -s evaluate -- ...args`; never throws on a non-zero exit code. */
async function evaluate(...args: string[]): Promise<RunResult> {
  try {
    const { stdout, stderr } = await execFileAsync('npm', ['run', '-s', 'evaluate', '--', ...args], {
      cwd: repoRoot,
      env: { ...process.env, NMT_LOG_LEVEL: 'warn' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Exit code 1, nothing on stdout, one line on stderr. */
function expectOneLineError(r: RunResult, what?: string): void {
  expect(r.code, what).to.equal(1);
  expect(r.stdout, what).to.equal('');
  expect(r.stderr.trimEnd().split('\n'), what).to.have.length(1);
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

describe('npm run evaluate', function () {
  this.timeout(120_000);
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-evaluate-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  function requireFixtures(ctx: Mocha.Context): void {
    if (fs.existsSync(path.join(fixtureDir, 'hyp.es'))) return;
    ctx.test!.title += ` [skipped: sacrebleu fixtures not found at ${fixtureDir}]`;
    ctx.skip();
  }

  describe('--hyp/--ref (files only)', () => {
    it('--json prints exactly one object with the sacrebleu 2.5.1 scores and signatures', async function () {
      requireFixtures(this);
      const r = await evaluate(...FIXTURE_FILES, '--json');
      expect(r.code, r.stderr).to.equal(0);
      const out = JSON.parse(r.stdout) as {
        bleu: number;
        chrf: number;
        signature: { bleu: string; chrf: string };
      };
      expect(round4(out.bleu)).to.equal(27.4314);
      expect(round4(out.chrf)).to.equal(52.2809);
      expect(out.signature.bleu).to.match(/^nrefs:1\|case:mixed\|eff:no\|tok:13a\|smooth:exp\|version:/);
      expect(out.signature.chrf).to.match(/^nrefs:1\|case:mixed\|eff:yes\|nc:6\|nw:0\|space:no\|version:/);
    });

    it('passes --tokenize and --lowercase through (text mode prints sacrebleu lines)', async function () {
      requireFixtures(this);
      const r = await evaluate(...FIXTURE_FILES, '--tokenize', 'none', '--width', '4');
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(
        /^BLEU\|nrefs:1\|case:mixed\|eff:no\|tok:none\|smooth:exp\|version:\S+ = 22\.9225 /,
      );
      expect(r.stdout).to.match(/\nchrF2\|\S+ = 52\.2809\n$/);
      const lc = await evaluate(...FIXTURE_FILES, '--lowercase', '--json');
      expect(round4((JSON.parse(lc.stdout) as { bleu: number }).bleu)).to.equal(28.614);
    });

    it('mismatched line counts: exit code 1, one line on stderr naming both files', async () => {
      const hyp = path.join(tmp, 'three.txt');
      const ref = path.join(tmp, 'two.txt');
      fs.writeFileSync(hyp, 'a\nb\nc\n');
      fs.writeFileSync(ref, 'a\nb\n');
      const r = await evaluate('--hyp', hyp, '--ref', ref, '--json');
      expectOneLineError(r);
      expect(r.stderr).to.include(hyp).and.to.include(ref);
    });

    it('a missing file or a missing --ref is a clear error', async () => {
      const missing = path.join(tmp, 'nope.txt');
      const r = await evaluate('--hyp', missing, '--ref', sample);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.include(missing);
      const noRef = await evaluate('--hyp', sample);
      expect(noRef.code).to.equal(1);
      expect(noRef.stderr).to.match(/--hyp needs --ref/);
    });
  });

  describe('--model (translate and score)', () => {
    let modelDir: string;
    before(async function () {
      this.timeout(120_000);
      modelDir = await makeTinyModel(fs.mkdtempSync(path.join(tmp, 'model-')));
    });

    it('--test FILE.tsv --json --beam 2 --out: one object with numeric scores, and the hypotheses file', async () => {
      const out = path.join(tmp, 'out', 'hyp.txt');
      const r = await evaluate('--model', modelDir, '--test', sample, '--json', '--beam', '2', '--out', out);
      expect(r.code, r.stderr).to.equal(0);
      const report = JSON.parse(r.stdout) as {
        bleu: number;
        chrf: number;
        signature: { bleu: string; chrf: string };
        beam: number;
        sentences: number;
        seconds: number;
      };
      const pairs = readTsv(sample);
      expect(report.bleu).to.be.a('number').within(0, 100);
      expect(report.chrf).to.be.a('number').within(0, 100);
      expect(report.signature.bleu).to.match(/^nrefs:1\|/);
      expect(report.signature.chrf).to.match(/^nrefs:1\|/);
      expect(report).to.include({
        beam: 2,
        sentences: pairs.length,
        splitSentences: true,
        lengthPenalty: DEFAULT_LENGTH_PENALTY,
        coveragePenalty: DEFAULT_COVERAGE_PENALTY,
      });
      expect(report.seconds).to.be.a('number').above(0);
      // The file holds the hypotheses that were scored.
      const hyps = fs.readFileSync(out, 'utf8').split('\n');
      expect(hyps.pop()).to.equal('');
      expect(hyps).to.have.length(pairs.length);
      expect(
        corpusBleu(
          hyps,
          pairs.map((p) => p.tgt),
        ).score,
      ).to.equal(report.bleu);
    });

    it('--no-split-sentences: each line translated as one piece, and the report says so', async () => {
      const args = ['--model', modelDir, '--test', sample, '--limit', '3', '--no-split-sentences'];
      const json = await evaluate(...args, '--json');
      expect(json.code, json.stderr).to.equal(0);
      expect(JSON.parse(json.stdout)).to.include({ splitSentences: false, sentences: 3 });
      const text = await evaluate(...args);
      expect(text.code, text.stderr).to.equal(0);
      expect(text.stdout).to.include('lines not split into sentences');
    });

    it('--src/--ref in text mode prints BLEU, chrF with signatures and the speed; --limit', async () => {
      const pairs = readTsv(sample).slice(0, 6);
      const src = path.join(tmp, 'test.en');
      const ref = path.join(tmp, 'test.es');
      fs.writeFileSync(src, pairs.map((p) => p.src + '\n').join(''));
      fs.writeFileSync(ref, pairs.map((p) => p.tgt + '\n').join(''));
      const r = await evaluate(
        '--model',
        modelDir,
        '--src',
        src,
        '--ref',
        ref,
        '--beam',
        '1',
        '--limit',
        '4',
      );
      expect(r.code, r.stderr).to.equal(0);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines).to.have.length(3);
      expect(lines[0]).to.match(/^BLEU\|nrefs:1\|.* = \d+\.\d\d /);
      expect(lines[1]).to.match(/^chrF2\|nrefs:1\|.* = \d+\.\d\d$/);
      expect(lines[2]).to.match(/^4 sentences of .* in \d+\.\d\d s \(\d+\.\d sentences\/s, greedy\)$/);
    });

    it('--workers 2 (worker threads) gives the same hypotheses and scores as --workers 1', async () => {
      const outs = [1, 2].map((w) => path.join(tmp, `workers-${w}.txt`));
      const reports = [];
      for (const [i, w] of [1, 2].entries()) {
        const r = await evaluate(
          '--model',
          modelDir,
          '--test',
          sample,
          '--beam',
          '2',
          '--json',
          '--workers',
          String(w),
          '--out',
          outs[i],
        );
        expect(r.code, r.stderr).to.equal(0);
        reports.push(JSON.parse(r.stdout) as { bleu: number; sentences: number });
      }
      expect(fs.readFileSync(outs[1], 'utf8')).to.equal(fs.readFileSync(outs[0], 'utf8'));
      expect(reports[1].bleu).to.equal(reports[0].bleu);
      expect(reports[1].sentences).to.equal(readTsv(sample).length);
    });

    it('--multi-ref translates each distinct source once and scores it against all its references', async () => {
      const pairs = readTsv(sample).slice(0, 3);
      // the second source twice, with two different references
      const tsv = path.join(tmp, 'multi.tsv');
      const rows = [...pairs, { src: pairs[1].src, tgt: 'Otra traducción distinta.' }];
      fs.writeFileSync(tsv, rows.map((p) => `${p.src}\t${p.tgt}\n`).join(''));
      const out = path.join(tmp, 'multi-hyp.txt');
      const r = await evaluate(
        '--model',
        modelDir,
        '--test',
        tsv,
        '--multi-ref',
        '--beam',
        '1',
        '--json',
        '--out',
        out,
      );
      expect(r.code, r.stderr).to.equal(0);
      const report = JSON.parse(r.stdout) as {
        bleu: number;
        sentences: number;
        pairs: number;
        signature: { bleu: string };
      };
      expect(report).to.include({ sentences: 3, pairs: 4 });
      expect(report.signature.bleu).to.match(/^nrefs:var\|/);
      const hyps = fs.readFileSync(out, 'utf8').trimEnd().split('\n');
      expect(hyps).to.have.length(3);
      const streams = [pairs.map((p) => p.tgt), ['', 'Otra traducción distinta.', '']];
      expect(corpusBleu(hyps, streams).score).to.equal(report.bleu);
    });

    it('errors: missing model, mismatched --src/--ref, no test set, no split info (exit 1, one line)', async () => {
      const noModel = path.join(tmp, 'no-such-model');
      const cases: [string[], RegExp | string[]][] = [
        [['--model', noModel, '--test', sample], [noModel]],
        [['--model', tmp, '--test', sample], [path.join(tmp, 'config.json')]],
        [['--model', modelDir], /needs a test set/],
        [['--model', modelDir, '--test', sample, '--src', sample], /choose one test set/],
        [['--model', modelDir, '--hyp', sample, '--ref', sample], /choose one mode/],
      ];
      const src = path.join(tmp, 'five.en');
      const ref = path.join(tmp, 'four.es');
      fs.writeFileSync(src, 'a\nb\nc\nd\ne\n');
      fs.writeFileSync(ref, 'a\nb\nc\nd\n');
      cases.push([
        ['--model', modelDir, '--src', src, '--ref', ref],
        [src, ref, 'line count mismatch'],
      ]);
      // The tiny model was not made by the trainer: its config.json has info.corpus but no info.split.
      cases.push([
        ['--model', modelDir, '--split', 'test'],
        [path.join(modelDir, 'config.json'), 'info.split'],
      ]);
      for (const [args, want] of cases) {
        const r = await evaluate(...args);
        const what = `evaluate ${args.join(' ')} → ${r.stderr}`;
        expectOneLineError(r, what);
        if (want instanceof RegExp) expect(r.stderr, what).to.match(want);
        else for (const s of want) expect(r.stderr, what).to.include(s);
      }
    });
  });
});

describe('scoreRecords (what export-model --scores keeps from an evaluate --json output)', function () {
  it('keeps one set as it is, gives each of several sets its own record naming the model, refuses the rest', function () {
    const one = { bleu: 30.1, testSet: 'a.tsv', model: 'm' };
    expect(scoreRecords(one, 'one.json')).to.deep.equal([one]);
    expect(
      scoreRecords(
        { model: 'm', sets: { a: { bleu: 30.1, testSet: 'a.tsv' }, b: { bleu: 12, testSet: 'b.tsv' } } },
        'x',
      ),
    ).to.deep.equal([
      { name: 'a', bleu: 30.1, testSet: 'a.tsv', model: 'm' },
      { name: 'b', bleu: 12, testSet: 'b.tsv', model: 'm' },
    ]);
    expect(() => scoreRecords([1, 2], 'list.json')).to.throw(
      'list.json: not an evaluate --json output (expected an object)',
    );
    expect(() => scoreRecords({ model: 'm', sets: {} }, 'empty.json')).to.throw(
      'empty.json: "sets" holds no scores',
    );
  });
});

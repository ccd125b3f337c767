/**
 * sacrebleu compatibility of src/metrics: every row of the reference table in
 * ../shared/fixtures/sacrebleu/ABOUT.md (sacrebleu 2.5.1, `-w 4`), small cases checked by hand, and the
 * --json output of `npm run evaluate -- --hyp H --ref R` (src/cli/evaluate.ts).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { expect } from 'chai';

import { readSegments, scoreFiles } from '../src/evaluate/files.js';
import { splitWordsForChrf } from '../src/metrics/chrf.js';
import {
  type BleuOptions,
  type ChrfOptions,
  METRICS_VERSION,
  corpusBleu,
  corpusChrf,
  formatFixed,
  groupReferencesBySource,
} from '../src/metrics/index.js';
import { splitOnWhitespace, tokenize13a, tokenizeIntl, tokenizeNone } from '../src/metrics/tokenizers.js';

const execFileAsync = promisify(execFile);

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixtureDir = path.resolve(repoRoot, '..', 'shared', 'fixtures', 'sacrebleu');
const hypFixture = path.join(fixtureDir, 'hyp.es');
const refFixture = path.join(fixtureDir, 'ref.es');

/** The fixtures live outside the repository; without them the sacrebleu comparisons cannot run. */
function requireFixtures(ctx: Mocha.Context): void {
  if (existsSync(fixtureDir)) return;
  if (ctx.test) ctx.test.title += ` [skipped: sacrebleu fixture folder not found at ${fixtureDir}]`;
  ctx.skip();
}

/** Runs the CLI the way a user would; stdout is returned untouched so tests can insist it is pure JSON. */
async function runEvaluateFiles(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await execFileAsync('npx', ['tsx', 'src/cli/evaluate.ts', ...args], {
      cwd: repoRoot,
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; code?: number };
    return { stdout: failed.stdout ?? '', stderr: failed.stderr ?? '', code: failed.code ?? -1 };
  }
}

describe('sacrebleu 2.5.1 reference scores (fixtures/sacrebleu/ABOUT.md)', () => {
  let hyps: string[] = [];
  let refs: string[] = [];

  before(async () => {
    if (!existsSync(fixtureDir)) return;
    hyps = await readSegments(hypFixture);
    refs = await readSegments(refFixture);
  });

  const bleuRows: {
    options: string;
    opts: BleuOptions;
    score: string;
    details: string;
    signature: string;
  }[] = [
    {
      options: '-m bleu',
      opts: {},
      score: '27.4314',
      details: '60.7/35.4/22.1/13.9 (BP = 0.962 ratio = 0.962 hyp_len = 2050 ref_len = 2130)',
      signature: 'nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp',
    },
    {
      options: '-m bleu -lc',
      opts: { lowercase: true },
      score: '28.6140',
      details: '62.8/36.7/23.1/14.7 (BP = 0.962 ratio = 0.962 hyp_len = 2050 ref_len = 2130)',
      signature: 'nrefs:1|case:lc|eff:no|tok:13a|smooth:exp',
    },
    {
      options: '-m bleu --tokenize none',
      opts: { tokenize: 'none' },
      score: '22.9225',
      details: '50.7/30.1/18.8/11.3 (BP = 0.960 ratio = 0.961 hyp_len = 1732 ref_len = 1802)',
      signature: 'nrefs:1|case:mixed|eff:no|tok:none|smooth:exp',
    },
    {
      options: '-m bleu --tokenize intl',
      opts: { tokenize: 'intl' },
      score: '27.2945',
      details: '61.6/35.8/22.5/14.2 (BP = 0.942 ratio = 0.943 hyp_len = 2051 ref_len = 2174)',
      signature: 'nrefs:1|case:mixed|eff:no|tok:intl|smooth:exp',
    },
  ];

  for (const row of bleuRows) {
    it(`${row.options} = ${row.score} ${row.details}`, function () {
      requireFixtures(this);
      const bleu = corpusBleu(hyps, refs, row.opts);
      expect(formatFixed(bleu.score, 4)).to.equal(row.score);
      expect(bleu.details).to.equal(row.details);
      expect(bleu.toString(4)).to.equal(`BLEU = ${row.score} ${row.details}`);
      expect(bleu.signature).to.equal(`${row.signature}|version:${METRICS_VERSION}`);
    });
  }

  const chrfRows: { options: string; opts: ChrfOptions; score: string; name: string; signature: string }[] = [
    {
      options: '-m chrf',
      opts: {},
      score: '52.2809',
      name: 'chrF2',
      signature: 'nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no',
    },
    {
      options: '-m chrf --chrf-word-order 2',
      opts: { wordOrder: 2 },
      score: '50.8378',
      name: 'chrF2++',
      signature: 'nrefs:1|case:mixed|eff:yes|nc:6|nw:2|space:no',
    },
  ];

  for (const row of chrfRows) {
    it(`${row.options} = ${row.score}`, function () {
      requireFixtures(this);
      const chrf = corpusChrf(hyps, refs, row.opts);
      expect(formatFixed(chrf.score, 4)).to.equal(row.score);
      expect(chrf.toString(4)).to.equal(`${row.name} = ${row.score}`);
      expect(chrf.signature).to.equal(`${row.signature}|version:${METRICS_VERSION}`);
    });
  }

  it('reads the fixture files as sacrebleu does (299 aligned lines, line 17 empty)', function () {
    requireFixtures(this);
    expect(hyps).to.have.length(299);
    expect(refs).to.have.length(299);
    expect(hyps[16]).to.equal('');
  });

  it('scoreFiles reproduces BLEU and chrF++ in one call', async function () {
    requireFixtures(this);
    const result = await scoreFiles(hypFixture, refFixture, { chrfWordOrder: 2, width: 4 });
    expect(formatFixed(result.bleu, 4)).to.equal('27.4314');
    expect(formatFixed(result.chrf, 4)).to.equal('50.8378');
    expect(result.bleuString).to.equal(
      'BLEU = 27.4314 60.7/35.4/22.1/13.9 (BP = 0.962 ratio = 0.962 hyp_len = 2050 ref_len = 2130)',
    );
    expect(result.chrfString).to.equal('chrF2++ = 50.8378');
    expect(result.signature.bleu).to.equal(
      `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:${METRICS_VERSION}`,
    );
    expect(result.signature.chrf).to.equal(
      `nrefs:1|case:mixed|eff:yes|nc:6|nw:2|space:no|version:${METRICS_VERSION}`,
    );
  });

  it('evaluate --hyp --json prints exactly one JSON object with the sacrebleu numbers', async function () {
    requireFixtures(this);
    const { stdout, code, stderr } = await runEvaluateFiles([
      '--hyp',
      hypFixture,
      '--ref',
      refFixture,
      '--json',
    ]);
    expect(code, stderr).to.equal(0);
    const parsed = JSON.parse(stdout) as {
      bleu: number;
      chrf: number;
      signature: { bleu: string; chrf: string };
      bleuString: string;
    };
    expect(formatFixed(parsed.bleu, 4)).to.equal('27.4314');
    expect(formatFixed(parsed.chrf, 4)).to.equal('52.2809');
    expect(parsed.signature.bleu).to.equal(
      `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:${METRICS_VERSION}`,
    );
    expect(parsed.signature.chrf).to.equal(
      `nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:${METRICS_VERSION}`,
    );
    expect(parsed.bleuString).to.equal(
      'BLEU = 27.43 60.7/35.4/22.1/13.9 (BP = 0.962 ratio = 0.962 hyp_len = 2050 ref_len = 2130)',
    );
  });
});

describe('BLEU on cases checked by hand', () => {
  // hyp: the cat sat on the mat / ref: the cat is on the mat
  //   1-grams: hyp the,cat,sat,on,the,mat (6); matched the x2, cat, on, mat     -> 5/6
  //   2-grams: the cat, cat sat, sat on, on the, the mat (5); matched 3         -> 3/5
  //   3-grams: 4 of them; only "on the mat" is in the reference                 -> 1/4
  //   4-grams: 3 of them; none matched                                          -> 0/3
  const hyp = 'the cat sat on the mat';
  const ref = 'the cat is on the mat';

  it('counts clipped n-gram matches and totals per order', () => {
    const bleu = corpusBleu([hyp], [ref]);
    expect(bleu.counts).to.deep.equal([5, 3, 1, 0]);
    expect(bleu.totals).to.deep.equal([6, 5, 4, 3]);
    expect(bleu.sysLen).to.equal(6);
    expect(bleu.refLen).to.equal(6);
    expect(bleu.bp).to.equal(1);
  });

  it("'exp' smoothing turns the first zero-match order into 1/(2 * total)", () => {
    const bleu = corpusBleu([hyp], [ref]);
    const expected = [(100 * 5) / 6, (100 * 3) / 5, (100 * 1) / 4, 100 / (2 * 3)];
    bleu.precisions.forEach((p, i) => expect(p).to.be.closeTo(expected[i], 1e-12));
    // geometric mean of the precisions, brevity penalty 1
    expect(bleu.score).to.be.closeTo(
      Math.pow(expected[0] * expected[1] * expected[2] * expected[3], 1 / 4),
      1e-9,
    );
    expect(bleu.toString()).to.equal(
      'BLEU = 37.99 83.3/60.0/25.0/16.7 (BP = 1.000 ratio = 1.000 hyp_len = 6 ref_len = 6)',
    );
  });

  it("'floor', 'add-k' and 'none' smoothing follow sacrebleu (values and signature)", () => {
    const floor = corpusBleu([hyp], [ref], { smoothMethod: 'floor' });
    expect(floor.precisions[3]).to.be.closeTo((100 * 0.1) / 3, 1e-12);
    expect(floor.signature).to.contain('|smooth:floor[0.10]|');

    // add-k adds k = 1 to matches and totals of orders 2..4 only
    const addK = corpusBleu([hyp], [ref], { smoothMethod: 'add-k' });
    expect(addK.counts).to.deep.equal([5, 4, 2, 1]);
    expect(addK.totals).to.deep.equal([6, 6, 5, 4]);
    expect(addK.signature).to.contain('|smooth:add-k[1.00]|');

    const none = corpusBleu([hyp], [ref], { smoothMethod: 'none' });
    expect(none.precisions[3]).to.equal(0);
    expect(none.score).to.equal(0);
    expect(none.signature).to.contain('|smooth:none|');
  });

  it('identical hypothesis and reference score 100', () => {
    const sentences = ['The cat sat on the mat.', '¿Dónde está la biblioteca, por favor?'];
    for (const tokenize of ['13a', 'intl', 'none'] as const) {
      const bleu = corpusBleu(sentences, sentences, { tokenize });
      expect(bleu.score, tokenize).to.be.closeTo(100, 1e-9);
      expect(bleu.bp).to.equal(1);
    }
    expect(corpusChrf(sentences, sentences).score).to.be.closeTo(100, 1e-9);
    expect(corpusChrf(sentences, sentences, { wordOrder: 2 }).score).to.be.closeTo(100, 1e-9);
  });

  it('an empty hypothesis line adds nothing to hyp_len but its reference still counts', () => {
    const bleu = corpusBleu(['', hyp], ['hello there', hyp]);
    expect(bleu.sysLen).to.equal(6);
    expect(bleu.refLen).to.equal(2 + 6);
    expect(bleu.counts).to.deep.equal([6, 5, 4, 3]);
    expect(bleu.bp).to.be.closeTo(Math.exp(1 - 8 / 6), 1e-12);
    expect(bleu.score).to.be.closeTo(100 * Math.exp(1 - 8 / 6), 1e-9);
  });

  it('an all-empty hypothesis scores 0 with BP = 0', () => {
    const bleu = corpusBleu(['', ''], ['a b', 'c']);
    expect(bleu.score).to.equal(0);
    expect(bleu.toString()).to.equal(
      'BLEU = 0.00 0.0/0.0/0.0/0.0 (BP = 0.000 ratio = 0.000 hyp_len = 0 ref_len = 3)',
    );
  });

  it('orders the hypothesis cannot have make corpus BLEU 0 (no effective order by default)', () => {
    // 2 tokens: no 3-grams at all, so precisions 3 and 4 stay 0 as in sacrebleu
    const bleu = corpusBleu(['the cat'], ['the cat']);
    expect(bleu.precisions).to.deep.equal([100, 100, 0, 0]);
    expect(bleu.score).to.equal(0);
    const effective = corpusBleu(['the cat'], ['the cat'], { effectiveOrder: true });
    expect(effective.score).to.be.closeTo(100, 1e-9);
    expect(effective.signature).to.contain('|eff:yes|');
  });

  it('lowercases before tokenizing when asked', () => {
    const upper = 'THE CAT SAT ON THE MAT';
    expect(corpusBleu([upper], [hyp]).score).to.equal(0);
    const lowered = corpusBleu([upper], [hyp], { lowercase: true });
    expect(lowered.score).to.be.closeTo(100, 1e-9);
    expect(lowered.signature).to.contain('|case:lc|');
  });

  it('multiple references: clips against the best count, picks the closest (then shorter) length', () => {
    // hyp has 3 tokens; references have 2 and 4: both are 1 away, so the shorter one (2) is used
    const bleu = corpusBleu(['the cat sat'], [['the cat'], ['the cat sat down']]);
    expect(bleu.counts).to.deep.equal([3, 2, 1, 0]);
    expect(bleu.totals).to.deep.equal([3, 2, 1, 0]);
    expect(bleu.refLen).to.equal(2);
    expect(bleu.signature).to.match(/^nrefs:2\|/);
  });

  it('variable reference counts: empty references are skipped, the signature says nrefs:var', () => {
    // segment 2 has only one reference; its '' must not act as a (length 0) reference
    const hyps = ['the cat sat', 'a dog ran'];
    const variable = corpusBleu(hyps, [
      ['the cat', 'a dog ran'],
      ['the cat sat down', ''],
    ]);
    expect(variable.signature).to.match(/^nrefs:var\|/);
    expect(variable.refLen).to.equal(2 + 3);
    expect(variable.counts).to.deep.equal([3 + 3, 2 + 2, 1 + 1, 0]);
    // same statistics as scoring each segment against its own references alone
    const first = corpusBleu([hyps[0]], [['the cat'], ['the cat sat down']]);
    const second = corpusBleu([hyps[1]], ['a dog ran']);
    expect(variable.sysLen).to.equal(first.sysLen + second.sysLen);
    // every segment with the same count keeps a number
    expect(corpusBleu(['a b'], [['a b'], ['']]).signature).to.match(/^nrefs:1\|/);
    expect(
      corpusChrf(
        ['abc', 'xyz'],
        [
          ['xyz', 'xyz'],
          ['abc', ''],
        ],
      ).score,
    ).to.be.closeTo(100, 1e-9);
    expect(
      corpusChrf(
        ['abc', 'xyz'],
        [
          ['xyz', 'xyz'],
          ['abc', ''],
        ],
      ).signature,
    ).to.match(/^nrefs:var\|/);
  });

  it('groupReferencesBySource: one segment per distinct source, first-seen order, padded streams', () => {
    const grouped = groupReferencesBySource(['a', 'b', 'a', 'c', 'a'], ['A1', 'B1', 'A2', 'C1', 'A3']);
    expect(grouped.sources).to.deep.equal(['a', 'b', 'c']);
    expect(grouped.streams).to.deep.equal([
      ['A1', 'B1', 'C1'],
      ['A2', '', ''],
      ['A3', '', ''],
    ]);
    expect(() => groupReferencesBySource(['a'], [])).to.throw('got 1 sources but 0 references');
  });

  it('a segment whose references are all empty is an error naming the segment', () => {
    expect(() => corpusBleu(['a', 'b'], ['a', ''])).to.throw('BLEU: segment 2 has no reference');
    expect(() => corpusChrf(['a'], [[''], ['']])).to.throw('chrF: segment 1 has no reference');
  });

  it('rejects hypotheses and references of different lengths, stating both counts', () => {
    expect(() => corpusBleu(['a', 'b', 'c'], ['a', 'b'])).to.throw(
      'corpusBleu: got 3 hypotheses but 2 references; there must be exactly one reference per hypothesis',
    );
    expect(() => corpusChrf(['a', 'b'], ['a'])).to.throw('corpusChrf: got 2 hypotheses but 1 reference;');
    expect(() => corpusBleu(['a', 'b'], [['a', 'b'], ['a']])).to.throw(
      'got 2 hypotheses but 1 reference in reference stream 2 of 2',
    );
    expect(() => corpusBleu([], [])).to.throw('no hypotheses');
  });
});

describe('chrF on cases checked by hand', () => {
  it('"abc" vs "abd": orders 1-3 average P = R = 7/18, so chrF = 38.8889', () => {
    // 1-grams 2/3 matched, 2-grams 1/2, 3-grams 0/1; orders 4-6 are absent and left out of the average
    const chrf = corpusChrf(['abc'], ['abd']);
    expect(chrf.score).to.be.closeTo((100 * 7) / 18, 1e-9);
    expect(chrf.toString(4)).to.equal('chrF2 = 38.8889');
  });

  it('ignores whitespace in character n-grams', () => {
    expect(corpusChrf(['a b'], ['ab']).score).to.be.closeTo(100, 1e-9);
  });

  it('an empty hypothesis line still adds its reference n-grams', () => {
    // corpus: P = 1 and R = 1/2 at orders 1-3, so F2 = 5 * 0.5 / (4 + 0.5)
    const chrf = corpusChrf(['', 'abc'], ['xyz', 'abc']);
    expect(chrf.score).to.be.closeTo((100 * 2.5) / 4.5, 1e-9);
    expect(chrf.statistics[0]).to.deep.equal({ hyp: 3, ref: 6, match: 3 });
  });

  it('multiple references: each segment uses its best reference', () => {
    expect(corpusChrf(['abc'], [['xyz'], ['abc']]).score).to.be.closeTo(100, 1e-9);
    expect(corpusChrf(['abc'], [['abc'], ['xyz']]).score).to.be.closeTo(100, 1e-9);
  });

  it('chrF++ splits one ASCII punctuation mark off a word end, else off its start', () => {
    expect(splitWordsForChrf('Hello, world! (hi) "quoted" ¿Qué? a .')).to.deep.equal([
      'Hello',
      ',',
      'world',
      '!',
      '(hi', // sacrebleu issue #124, kept for compatibility
      ')',
      '"quoted',
      '"',
      '¿Qué',
      '?',
      'a',
      '.',
    ]);
  });

  it('names and signatures follow sacrebleu', () => {
    // Epsilon smoothing averages F over all 6 + 2 orders; only character and word 1-grams exist here,
    // each with F = 1, the other six contribute ~1e-16: chrF = 100 * 2 / 8.
    const chrf = corpusChrf(['A'], ['a'], { wordOrder: 2, lowercase: true, epsSmoothing: true });
    expect(chrf.name).to.equal('chrF2++');
    expect(chrf.format({ withSignature: true })).to.equal(
      `chrF2++|nrefs:1|case:lc|eff:no|nc:6|nw:2|space:no|version:${METRICS_VERSION} = 25.00`,
    );
  });
});

describe('BLEU tokenizers', () => {
  // Expected outputs of 13a were checked against sacrebleu's regular expressions run in CPython.
  it('13a splits ASCII punctuation, keeps decimal points and thousands separators', () => {
    expect(tokenize13a('It costs $3.50, ok?')).to.equal('It costs $ 3.50 , ok ?');
    expect(tokenize13a('1990-2000 was 1,000.5 "big"')).to.equal('1990 - 2000 was 1,000.5 " big "');
    expect(tokenize13a("don't (hi) a/b end 1990.")).to.equal("don't ( hi ) a / b end 1990 .");
    expect(tokenize13a('¿Es acá?')).to.equal('¿Es acá ?');
  });

  it('13a unescapes the four mteval entities and drops <skipped>', () => {
    expect(tokenize13a('&quot;x&quot; &amp;lt; <skipped>y')).to.equal('" x " < y');
  });

  it('intl splits Unicode punctuation and symbols, except punctuation between digits', () => {
    expect(tokenizeIntl('¿Es acá?')).to.equal('¿ Es acá ?');
    expect(tokenizeIntl('¡Hola!')).to.equal('¡ Hola !');
    expect(tokenizeIntl('5€ + 3$')).to.equal('5 € + 3 $');
    expect(tokenizeIntl('It costs 1,000.5 dollars.')).to.equal('It costs 1,000.5 dollars .');
    // mteval-v14 quirk kept by sacrebleu: a line-final period after a number stays attached
    expect(tokenizeIntl('Year 1990.')).to.equal('Year 1990.');
  });

  it('none leaves the line alone', () => {
    expect(tokenizeNone('Hola, mundo.')).to.equal('Hola, mundo.');
  });

  it("splits on Python's whitespace, not JavaScript's", () => {
    expect(splitOnWhitespace('a\u0085b\u001cc\u3000d')).to.deep.equal(['a', 'b', 'c', 'd']);
    expect(splitOnWhitespace('a\ufeffb')).to.deep.equal(['a\ufeffb']);
  });
});

describe('formatting', () => {
  it("formatFixed rounds like Python's format (ties to even), not like toFixed", () => {
    expect(formatFixed(0.125, 2)).to.equal('0.12');
    expect(formatFixed(0.375, 2)).to.equal('0.38');
    expect(formatFixed(2.5, 0)).to.equal('2');
    expect(formatFixed(27.43135981540906, 4)).to.equal('27.4314');
    expect(formatFixed(-0, 1)).to.equal('-0.0');
    expect(formatFixed(1e21, 1)).to.equal('1000000000000000000000.0');
  });

  it("the signature version is this package's", () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(METRICS_VERSION).to.equal(`nmt-${pkg.version}`);
  });
});

describe('reading hypothesis and reference files', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'nmt-metrics-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const write = (name: string, content: string): string => {
    const file = path.join(dir, name);
    writeFileSync(file, content, 'utf8');
    return file;
  };

  it('tolerates a trailing newline and CRLF, keeps empty lines, strips trailing whitespace', async () => {
    expect(await readSegments(write('a.txt', 'one \r\ntwo\n\nthree'))).to.deep.equal([
      'one',
      'two',
      '',
      'three',
    ]);
    expect(await readSegments(write('b.txt', 'one\n'))).to.deep.equal(['one']);
    expect(await readSegments(write('c.txt', 'one\n\n'))).to.deep.equal(['one', '']);
    expect(await readSegments(write('d.txt', ''))).to.deep.equal([]);
  });

  it('a line-count mismatch names both files and their counts', async () => {
    const hypPath = write('hyp.txt', 'a\nb\nc\n');
    const refPath = write('ref.txt', 'a\nb\n');
    let message = '';
    try {
      await scoreFiles(hypPath, refPath);
    } catch (error) {
      message = error instanceof Error ? error.message : String(error);
    }
    expect(message).to.equal(
      `line count mismatch: hypothesis file ${hypPath} has 3 lines, reference file ${refPath} has 2 lines`,
    );
  });

  it('evaluate --hyp --json matches the library on small files', async () => {
    const hyps = ['the cat sat on the mat', 'Hola, mundo.'];
    const refs = ['the cat is on the mat', '¡Hola, mundo!'];
    const hypPath = write('toy.hyp', `${hyps.join('\n')}\n`);
    const refPath = write('toy.ref', `${refs.join('\n')}\n`);
    const args = [
      '--hyp',
      hypPath,
      '--ref',
      refPath,
      '--json',
      '--tokenize',
      'intl',
      '--chrf-word-order',
      '2',
    ];
    const { stdout, code, stderr } = await runEvaluateFiles([...args, '--width', '4']);
    expect(code, stderr).to.equal(0);
    const parsed = JSON.parse(stdout) as {
      bleu: number;
      chrf: number;
      signature: { bleu: string; chrf: string };
    };
    const bleu = corpusBleu(hyps, refs, { tokenize: 'intl' });
    const chrf = corpusChrf(hyps, refs, { wordOrder: 2 });
    expect(parsed.bleu).to.equal(bleu.score);
    expect(parsed.chrf).to.equal(chrf.score);
    expect(parsed.signature).to.deep.equal({ bleu: bleu.signature, chrf: chrf.signature });
  });

  it('evaluate --hyp exits 1 with the mismatch on stderr and nothing on stdout', async () => {
    const hypPath = write('short.hyp', 'a\n');
    const refPath = write('long.ref', 'a\nb\n');
    const { stdout, stderr, code } = await runEvaluateFiles(['--hyp', hypPath, '--ref', refPath, '--json']);
    expect(code).to.equal(1);
    expect(stdout).to.equal('');
    expect(stderr).to.contain(`${hypPath} has 1 line,`).and.to.contain(`${refPath} has 2 lines`);
  });
});

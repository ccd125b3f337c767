/**
 * Alignment error rate (src/metrics/aer.ts, Och & Ney 2003): hand-computed cases, and the Hansards
 * English–French fixture, whose published figure for awesome-align is AER 4.1% (precision 96.3%,
 * recall 95.4%, 6,038 links).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { aerOfTexts, corpusAer, formatAer, parseLinks, sentenceCounts } from '../src/metrics/aer.js';
import { repoRoot as ROOT, sharedDir } from './helpers/paths.js';

const FIXTURE = path.join(sharedDir, 'fixtures/alignment/hansards-en-fr');

describe('AER (Och & Ney 2003)', function () {
  it('parses sure (i-j) and possible (ipj) links, 1-based when asked', function () {
    const g = parseLinks(' 1-1  2p3 1-1\t3-2 ', { oneBased: true, allowPossible: true });
    expect(g.sure).to.deep.equal([
      [0, 0],
      [2, 1],
    ]);
    // Possible links include the sure ones; the duplicate 1-1 counts once.
    expect(g.possible).to.deep.equal([
      [0, 0],
      [1, 2],
      [2, 1],
    ]);
    expect(parseLinks('').sure).to.deep.equal([]);
  });

  it('rejects malformed links, index 0 in a 1-based file, and possible links in a hypothesis', function () {
    expect(() => parseLinks('0-1 x-2', { where: 'h line 4' })).to.throw('h line 4: "x-2" is not a link');
    expect(() => parseLinks('0-1', { oneBased: true })).to.throw('declared 1-based');
    expect(() => parseLinks('0p1')).to.throw('only gold files');
  });

  it('scores one sentence by hand: A = {0-0, 1-1, 2-1}, S = {0-0}, P = S ∪ {1-1}', function () {
    const c = sentenceCounts(
      [
        [0, 0],
        [1, 1],
        [2, 1],
      ],
      {
        sure: [[0, 0]],
        possible: [
          [0, 0],
          [1, 1],
        ],
      },
    );
    expect(c).to.deep.include({ hyp: 3, sure: 1, possible: 2, hypSure: 1, hypPossible: 2 });
    const s = corpusAer(
      [
        [
          [0, 0],
          [1, 1],
          [2, 1],
        ],
      ],
      [{ sure: [[0, 0]], possible: [[1, 1]] }], // sure links are added to P even when left out
    );
    expect(s.precision).to.be.closeTo(2 / 3, 1e-12); // |A∩P| / |A|
    expect(s.recall).to.equal(1); // |A∩S| / |S|
    expect(s.aer).to.be.closeTo(1 - (1 + 2) / (3 + 1), 1e-12); // 0.25
  });

  it('sums counts over the corpus instead of averaging sentence AERs', function () {
    // Sentence 1: perfect (A = S = {0-0}); sentence 2: A = {0-0, 1-1, 2-2}, S = {0-1}, nothing right.
    const s = aerOfTexts('0-0\n0-0 1-1 2-2\n', '0-0\n0-1\n');
    // Corpus: |A| = 4, |S| = 2, |A∩S| = |A∩P| = 1 → AER = 1 − 2/6; the mean of (0, 1) would be 0.5.
    expect(s.aer).to.be.closeTo(1 - 2 / 6, 1e-12);
    expect(s.precision).to.be.closeTo(1 / 4, 1e-12);
    expect(s.recall).to.be.closeTo(1 / 2, 1e-12);
    expect(s.sentences).to.equal(2);
  });

  it('counts empty lines as sentences and refuses files of different lengths', function () {
    expect(aerOfTexts('\n0-0\n', '\n0-0\n').sentences).to.equal(2);
    expect(aerOfTexts('\r\n0-0\r\n', '\n0-0').aer).to.equal(0);
    expect(() => aerOfTexts('0-0\n1-1\n', '0-0\n', { hypName: 'h', goldName: 'g' })).to.throw(
      'h has 2 lines but g has 1',
    );
  });

  describe('Hansards en-fr fixture (../shared)', function () {
    before(function () {
      if (!fs.existsSync(path.join(FIXTURE, 'en-fr.gold'))) {
        console.log(`    skipping: ${FIXTURE} not found (the shared fixtures live beside the repository)`);
        this.skip();
      }
    });

    it('reproduces awesome-align: AER 4.1%, precision 96.3%, recall 95.4%, 6,038 links', function () {
      const s = aerOfTexts(
        fs.readFileSync(path.join(FIXTURE, 'en-fr.awesome-align.out'), 'utf8'),
        fs.readFileSync(path.join(FIXTURE, 'en-fr.gold'), 'utf8'),
        { oneBasedGold: true },
      );
      expect(s.sentences).to.equal(447);
      expect(s.hyp).to.equal(6038);
      expect((100 * s.aer).toFixed(1)).to.equal('4.1');
      expect((100 * s.precision).toFixed(1)).to.equal('96.3');
      expect((100 * s.recall).toFixed(1)).to.equal('95.4');
      // The exact counts behind those figures.
      expect(s).to.deep.include({ sure: 4038, hypSure: 3853, hypPossible: 5813 });
      expect(formatAer(s)).to.match(/^AER 4\.07% {2}precision 96\.27% {2}recall 95\.42% {2}links 6,038 /);
    });

    it('npm run evaluate -- --alignments … --gold … --one-based-gold prints it', async function () {
      this.timeout(60_000);
      const { stdout } = await promisify(execFile)(
        'npx',
        [
          'tsx',
          'src/cli/evaluate.ts',
          '--alignments',
          path.join(FIXTURE, 'en-fr.awesome-align.out'),
          '--gold',
          path.join(FIXTURE, 'en-fr.gold'),
          '--one-based-gold',
          '--json',
        ],
        { cwd: ROOT },
      );
      const r = JSON.parse(stdout) as { aer: number; precision: number; recall: number; links: number };
      expect(r.links).to.equal(6038);
      expect(r.aer).to.be.closeTo(0.04069, 1e-5);
      expect(r.precision).to.be.closeTo(0.96274, 1e-5);
      expect(r.recall).to.be.closeTo(0.95419, 1e-5);
    });
  });
});

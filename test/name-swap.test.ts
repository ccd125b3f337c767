/**
 * Copy practice (src/train/name-swap.ts): names and numbers a pair writes the same on both sides are
 * replaced alike on both sides by made-up ones, each epoch anew, in the share of pairs asked for.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { NameSwapper, madeUpFamilyName, madeUpName, madeUpNumber } from '../src/train/name-swap.js';
import { TrainConfigSchema } from '../src/train/config.js';
import { prepareData } from '../src/train/prepare.js';
import { createLogger } from '../src/util/log.js';
import { Rng } from '../src/util/rng.js';
import { SAMPLE_CORPUS } from '../src/util/repo-paths.js';

const SAMPLE_3000 = path.join(path.dirname(SAMPLE_CORPUS), 'eng-spa-sample.tsv');

describe('copy practice: made-up names and numbers in training pairs', () => {
  const pairs = [
    ...Array.from({ length: 150 }, () => ({ src: 'Tom is here.', tgt: 'Tom está aquí.' })),
    { src: 'Where is tom?', tgt: '¿Dónde está Tom?' }, // a typo does not make "Tom" a common word
    { src: 'No, thank you.', tgt: 'No, gracias.' },
    { src: 'I said no.', tgt: 'Dije que no.' },
    { src: 'I went to Boston in 1999.', tgt: 'Fui a Boston en 1999.' },
  ];
  const swapper = NameSwapper.fromPairs(pairs);

  it('finds the names and numbers written the same on both sides, not common words that are capitalised', () => {
    expect(
      swapper.candidates({
        src: "Tom's dog saw Mary in Boston at 10:30.",
        tgt: 'El perro de Tom vio a Mary en Boston a las 10:30.',
      }),
    ).to.deep.equal(['Tom', 'Boston', '10', '30']);
    // "No" is also written "no"; "Mary" is not a name the training pairs taught it.
    expect(swapper.candidates({ src: 'No, Tom.', tgt: 'No, Tom.' })).to.deep.equal(['Tom']);
    expect(swapper.candidates({ src: 'Mary.', tgt: 'Mary.' })).to.deep.equal([]);
    // Only words on both sides: "Germany" is "Alemania".
    expect(swapper.candidates({ src: 'Tom left Germany.', tgt: 'Tom dejó Alemania.' })).to.deep.equal([
      'Tom',
    ]);
  });

  it('replaces each alike on both sides, numbers by as many digits, and leaves a pair without any as it is', () => {
    const rng = new Rng(5);
    for (let k = 0; k < 50; k++) {
      const p = swapper.swap(
        {
          src: "Tom's car cost $1,250 in Boston, Tom said.",
          tgt: 'El coche de Tom costó 1,250 dólares en Boston, dijo Tom.',
        },
        rng,
      );
      const m = /^(.+)'s car cost \$(\d),(\d{3}) in (.+), (.+) said\.$/u.exec(p.src);
      expect(m, p.src).to.not.equal(null);
      const [, tom, d1, d3, boston, tom2] = m as RegExpExecArray;
      expect(tom2).to.equal(tom);
      expect([tom, boston]).to.not.include('Tom');
      expect(d1).to.not.equal('0');
      expect(p.tgt).to.equal(`El coche de ${tom} costó ${d1},${d3} dólares en ${boston}, dijo ${tom}.`);
    }
    const plain = { src: 'I said no.', tgt: 'Dije que no.' };
    expect(swapper.swap(plain, rng)).to.equal(plain);
  });

  it('makes up capitalised names of 2–3 syllables, and numbers of the same length or, for long runs, now and then another', () => {
    const rng = new Rng(1);
    const names = Array.from({ length: 200 }, () => madeUpName(rng));
    for (const n of names) expect(n).to.match(/^\p{Lu}\p{Ll}{2,12}$/u);
    expect(new Set(names).size).to.be.above(190);
    // Vowel-initial names too (a quarter are drawn so), not only consonant-initial ones.
    const vowelFirst = names.filter((n) => /^[AEIOUÉÖÜÁØ]/u.test(n)).length;
    expect(vowelFirst, 'vowel-initial names of 200').to.be.within(30, 75);
    const family = Array.from({ length: 1000 }, () => madeUpFamilyName(rng));
    const prefixed = family.filter((n) => /^[OD][’']\p{Lu}\p{Ll}+$/u.test(n));
    expect(prefixed.length, 'apostrophe family names of 1,000').to.be.within(25, 80);
    for (const n of family) expect(n).to.match(/^([OD][’'])?\p{Lu}\p{Ll}{2,12}$/u);
    // Runs of up to 3 digits (groups of "1,250", parts of "10:30") keep their length; longer ones are now
    // and then made up at another length, 4–10 digits (phone numbers, long numbers), the first not 0.
    for (const short of ['7', '30', '250', '042'])
      for (let k = 0; k < 50; k++) expect(madeUpNumber(short, rng)).to.have.length(short.length);
    const long = Array.from({ length: 1000 }, () => madeUpNumber('1999', rng));
    for (const n of long) expect(n).to.match(/^[1-9]\d{3,9}$/);
    const relengthed = long.filter((n) => n.length !== 4).length;
    expect(relengthed, 'long runs made up at another length, of 1,000').to.be.within(200, 320);
    expect(new Set(long.map((n) => n.length)).size).to.equal(7);
    expect(madeUpNumber('0042', rng)).to.match(/^\d{4,10}$/);
  });

  it('in training: the share asked for, drawn anew each epoch, every other pair encoded as without it', function () {
    this.timeout(60_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-swap-'));
    try {
      const base = {
        corpus: SAMPLE_3000,
        srcLang: 'eng',
        tgtLang: 'spa',
        vocabSize: 700,
        validSize: 100,
        testSize: 0,
      };
      const off = prepareData(
        TrainConfigSchema.parse({ ...base, out: path.join(dir, 'off') }),
        createLogger('test', 'silent'),
      );
      const cfg = TrainConfigSchema.parse({
        ...base,
        out: path.join(dir, 'on'),
        swapNamesShare: 1,
        srcTokenizer: off.srcTokenizerFile,
        tgtTokenizer: off.tgtTokenizerFile,
      });
      const on = prepareData(cfg, createLogger('test', 'silent'));
      const pairs = on.trainCorpora[0].pairs;
      const swapper = NameSwapper.fromPairs(pairs);
      const [a, b, e1] = [off.epochExamples(0), on.epochExamples(0), on.epochExamples(1)];
      expect(b).to.have.length(a.length);
      const decode = (ids: readonly number[]) => on.srcTokenizer.decode(ids);
      let swapped = 0;
      // The sample's pairs in epoch order are not known here: compare by position, the order is the same.
      for (let i = 0; i < a.length; i++) {
        const was = decode(a[i].src);
        const now = decode(b[i].src);
        if (was === now) {
          expect(b[i].tgt, was).to.deep.equal(a[i].tgt);
          continue;
        }
        swapped++;
        expect(decode(e1[i].src)).to.not.equal(now); // another draw next epoch
      }
      const withNames = pairs.filter((p) => swapper.candidates(p).length > 0).length;
      expect(withNames).to.be.above(100);
      // A pair whose only candidates are one- or two-digit numbers may draw the same number again.
      const mayDrawSame = pairs.filter((p) => {
        const c = swapper.candidates(p);
        return c.length > 0 && c.every((w) => /^\d{1,2}$/u.test(w));
      }).length;
      expect(swapped).to.be.within(withNames - mayDrawSame, withNames);
      expect(swapped).to.be.above(withNames - 5);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Re-casing single-case input with the source vocabulary (src/translate/recase.ts), on the English
 * tokenizer that ships in vocab/, and through the Translator with the shipped model.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { SubwordTokenizer } from '../src/tokenizer/subword.js';
import { recase, singleCase } from '../src/translate/recase.js';
import { repoRoot, requireFile, sharedDir } from './helpers/paths.js';
import { robustnessSet, variantText } from '../src/bench/robust-set.js';
import { readTsv } from '../src/data/readers.js';
import { useTranslator } from './helpers/model-translator.js';
import { generateDates } from '../src/data/synthetic.js';
import { trainTokenizerFile } from '../src/tokenizer/train.js';

const ENG = path.join(repoRoot, 'vocab', 'eng-spa', 'eng.tokenizer.json');

describe('recase: single-case input in the casing the vocabulary knows', () => {
  let eng: SubwordTokenizer;
  before(() => {
    eng = SubwordTokenizer.load(ENG);
  });

  it('tells which single case a text is written in', () => {
    expect(singleCase('THE CAT IS BLACK.')).to.equal('upper');
    expect(singleCase('where is tom?')).to.equal('lower');
    expect(singleCase('Where is Tom?')).to.equal(undefined);
    expect(singleCase('I')).to.equal(undefined); // one letter says nothing
    expect(singleCase('2015 — 10:30')).to.equal(undefined);
    expect(singleCase('ÑANDÚ')).to.equal('upper');
  });

  it('re-cases ALL-CAPS sentences: the sentence start, "I" and frequent names up, other words down', () => {
    expect(recase(eng, 'THE CAT IS BLACK.')).to.equal('The cat is black.');
    expect(recase(eng, 'I THINK TOM AND MARY LIVE IN BOSTON.')).to.equal(
      'I think Tom and Mary live in Boston.',
    );
    expect(recase(eng, "DON'T TELL MOM.")).to.equal("Don't tell mom.");
    // Numbers and symbols are untouched; whitespace is kept as typed.
    expect(recase(eng, 'TOM PAID $25 AT  10:30.')).to.equal('Tom paid $25 at  10:30.');
    // A new sentence starts after final punctuation.
    expect(recase(eng, 'STOP. WHERE IS TOM?')).to.equal('Stop. Where is Tom?');
  });

  it('writes words the vocabulary has no one piece for Capitalised (mostly names), frequent ones as usual', () => {
    // "Marrakesh", "Jonas", "Berg", "Krakow" are not one subword in any casing: names, most likely.
    expect(recase(eng, 'I VISITED MARRAKESH WITH OLGA LAST YEAR.')).to.equal(
      'I visited Marrakesh with Olga last year.',
    );
    expect(recase(eng, 'we met jonas berg in krakow.')).to.equal('We met Jonas Berg in Krakow.');
    // Words whose capitalised form is frequent only at the start of sentences stay in lower case.
    expect(recase(eng, 'I THINK THEY KNOW HOW IT WORKS.')).to.equal('I think they know how it works.');
  });

  it("restores 208 of the robustness set's 261 name spellings from ALL CAPS (README figure)", () => {
    let names = 0;
    let restored = 0;
    for (const item of robustnessSet(250)) {
      const caps = variantText(item.text, 'upper');
      const out = recase(eng, caps) ?? caps;
      for (const name of item.keep.filter((k) => /\p{L}/u.test(k))) {
        names++;
        if (out.includes(name)) restored++;
      }
    }
    expect([restored, names]).to.deep.equal([208, 261]);
  });

  it('writes 95.98% of the words of tatoeba2021.test sources as written, from lower case (README figure)', function () {
    const file = path.join(sharedDir, 'corpora', 'eng-spa-extra', 'tatoeba2021.test.tsv');
    requireFile(this, file);
    let words = 0;
    let right = 0;
    for (const { src } of readTsv(file).slice(0, 1000)) {
      const out = (recase(eng, src.toLowerCase()) ?? src.toLowerCase()).split(/\s+/u);
      src.split(/\s+/u).forEach((w, i) => {
        words++;
        if (out[i] === w) right++;
      });
    }
    expect(((100 * right) / words).toFixed(2)).to.equal('95.98');
  });

  it('re-cases lower-case sentences the same way', () => {
    expect(recase(eng, 'i met john in paris last monday.')).to.equal('I met John in Paris last Monday.');
    expect(recase(eng, 'where is tom?')).to.equal('Where is Tom?');
  });

  it('keeps lower case where the vocabulary was learnt from lower-cased text, with or without byte pieces', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-recase-'));
    try {
      const dates = generateDates(500, 3).pairs.map((p) => p.src);
      for (const byteFallback of [false, true]) {
        const file = path.join(dir, `dates-${byteFallback}.json`);
        trainTokenizerFile(dates, file, { vocabSize: 300, byteFallback });
        const lowerOnly = SubwordTokenizer.load(file);
        expect(recase(lowerOnly, 'december the first , 1994')).to.equal(undefined);
        expect(recase(lowerOnly, 'DECEMBER THE FIRST , 1994')).to.equal('december the first , 1994');
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves mixed-case text, and text it would not change, alone', () => {
    expect(recase(eng, 'Where is TOM?')).to.equal(undefined);
    expect(recase(eng, 'iPhone sales rose.')).to.equal(undefined);
    expect(recase(eng, '12:30')).to.equal(undefined);
    expect(recase(eng, '')).to.equal(undefined);
  });
});

describe('Translator re-cases single-case input', function () {
  this.timeout(60_000);
  const translator = useTranslator();

  it('translates an ALL-CAPS sentence as its re-cased text, and says so', () => {
    const [caps, normal] = translator().translate(['WHERE IS THE LIBRARY?', 'Where is the library?'], {
      withAttention: true,
    });
    expect(caps.source).to.equal('WHERE IS THE LIBRARY?');
    expect(caps.recased).to.equal('Where is the library?');
    expect(normal.recased).to.equal(undefined);
    expect(caps.hypotheses[0].text).to.equal(normal.hypotheses[0].text);
    expect(caps.sourceTokens).to.deep.equal(normal.sourceTokens);
  });

  it('translates as written with recase: false', () => {
    const [asWritten] = translator().translate(['WHERE IS THE LIBRARY?'], {
      recase: false,
      withAttention: true,
    });
    expect(asWritten.recased).to.equal(undefined);
    expect(asWritten.sourceTokens?.join('')).to.contain('WH');
  });
});

/**
 * The shared BPE vocabulary (src/tokenizer/train.ts): digits one per piece, byte fallback so that any
 * string survives encode → decode, BPE-dropout equal to transformers.js at p = 0, script detection for
 * `--shared-vocab auto`, and the training noise (src/train/augment.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { readTsv } from '../src/data/readers.js';
import { Rng } from '../src/util/rng.js';
import {
  PUNCTUATION_MARKS,
  splitsPunctuation,
  trainTokenizerFile,
  withPunctuationSplit,
} from '../src/tokenizer/train.js';
import { SubwordTokenizer } from '../src/tokenizer/subword.js';
import { BpeDropoutEncoder } from '../src/tokenizer/bpe-dropout.js';
import { dominantScript, sameScript } from '../src/tokenizer/script.js';
import { augmentPair, weightedEpochPairs, withoutFinalPunctuation } from '../src/train/augment.js';
import { SAMPLE_CORPUS } from '../src/util/repo-paths.js';

const HARD = [
  'Barack Obama visited Germany in 2015.',
  'It costs $25 at 10:30 — call 555-0142 😀',
  'THE CAT IS BLACK.',
  'Ünïcödé 中文 tést ½ ∑ ñandú',
  '¿Dónde está la biblioteca?',
  '',
];

describe('shared BPE vocabulary: digits, byte fallback, BPE-dropout', () => {
  let dir: string;
  let file: string;
  let sentences: string[];

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-tok-test-'));
    file = path.join(dir, 'shared.tokenizer.json');
    const pairs = readTsv(SAMPLE_CORPUS);
    sentences = [...pairs.map((p) => p.src), ...pairs.map((p) => p.tgt), 'We met in 1999 and 2024.'];
    trainTokenizerFile(sentences, file, { vocabSize: 600, splitDigits: true, byteFallback: true });
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes every string back exactly, with no <unk>, even characters never seen in training', () => {
    const tok = SubwordTokenizer.load(file);
    for (const s of [...HARD, ...sentences]) {
      const ids = tok.encode(s);
      expect(ids, s).to.not.include(1); // <unk>
      expect(tok.decode(ids), s).to.equal(s);
    }
    const emoji = tok.tokens(tok.encode('😀'));
    expect(emoji.slice(-4)).to.deep.equal(['<0xF0>', '<0x9F>', '<0x98>', '<0x80>']);
  });

  it('spells every number digit by digit', () => {
    const tok = SubwordTokenizer.load(file);
    const pieces = tok.tokens(tok.encode('in 1999 and 2024')).map((t) => t.replace('▁', ''));
    for (const p of pieces) if (/\d/.test(p)) expect(p, pieces.join(' ')).to.match(/^\d$/);
    expect(pieces.filter((p) => /\d/.test(p))).to.deep.equal(['1', '9', '9', '9', '2', '0', '2', '4']);
  });

  it('counts the byte pieces and the real vocabulary size in the error for a too small vocabulary', () => {
    expect(() =>
      trainTokenizerFile(sentences, path.join(dir, 'small.json'), { vocabSize: 100, byteFallback: true }),
    ).to.throw(/vocabulary size 100 is smaller than the \d+ characters .* and 256 byte tokens/);
  });

  it('BPE-dropout at p = 0 gives exactly the pieces transformers.js gives; at p > 0 other splits of the same text', () => {
    const tok = SubwordTokenizer.load(file);
    const enc = BpeDropoutEncoder.load(file);
    const rng = new Rng(1);
    for (const s of [...HARD, ...sentences]) expect(enc.encode(s, 0, rng), s).to.deep.equal(tok.encode(s));
    const s = 'Where is the library? I would like to read the newspapers there.';
    const variants = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const ids = enc.encode(s, 0.3, rng);
      expect(tok.decode(ids)).to.equal(s);
      variants.add(ids.join(' '));
    }
    expect(variants.size).to.be.greaterThan(3);
  });

  it('tells scripts apart, for --shared-vocab auto', () => {
    expect(dominantScript(['The cat is black.'])).to.equal('Latin');
    expect(dominantScript(['Кошка чёрная.'])).to.equal('Cyrillic');
    expect(sameScript(['The cat is black.'], ['El gato es negro.'])).to.equal(true);
    expect(sameScript(['The cat is black.'], ['Кошка чёрная.'])).to.equal(false);
    expect(sameScript(['The cat is black.'], ['猫は黒い。'])).to.equal(false);
  });
});

describe('punctuation split off words (--split-punctuation)', () => {
  let dir: string;
  let split: string;
  let plain: string;
  let sentences: string[];

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-tok-punct-'));
    split = path.join(dir, 'split.tokenizer.json');
    plain = path.join(dir, 'plain.tokenizer.json');
    const pairs = readTsv(SAMPLE_CORPUS);
    sentences = [...pairs.map((p) => p.src), ...pairs.map((p) => p.tgt)];
    const opts = { vocabSize: 900, splitDigits: true, byteFallback: true };
    trainTokenizerFile(sentences, split, { ...opts, splitPunctuation: true });
    trainTokenizerFile(sentences, plain, opts);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const vocabOf = (file: string) =>
    (JSON.parse(fs.readFileSync(file, 'utf8')) as { model: { vocab: Record<string, number> } }).model.vocab;
  const marked = (t: string) => t.length > 1 && [...PUNCTUATION_MARKS].some((m) => t.includes(m));

  it('learns no piece that joins a mark to a word, where the plain tokenizer learns many', () => {
    expect(Object.keys(vocabOf(split)).filter(marked)).to.deep.equal([]);
    expect(Object.keys(vocabOf(plain)).filter(marked).length).to.be.greaterThan(10);
  });

  it('writes every string back exactly; transformers.js and BPE-dropout at p = 0 give the same pieces', () => {
    const tok = SubwordTokenizer.load(split);
    const enc = BpeDropoutEncoder.forOwnFormat(split);
    expect(enc, 'recognised as the own format').to.not.equal(undefined);
    const rng = new Rng(1);
    for (const s of [...HARD, ...sentences.slice(0, 400), 'Wait... what?!', 'U.S.A., 3.5; a:b']) {
      const ids = tok.encode(s);
      expect(tok.decode(ids), s).to.equal(s);
      expect(enc?.encode(s, 0, rng), s).to.deep.equal(ids);
    }
    expect(tok.tokens(tok.encode('She lives in Kraków.')).slice(-1)).to.deep.equal(['.']);
    // The sample has no "!", "," or ":" (they become byte pieces), but "?" and "." stand alone.
    const pieces = tok.tokens(tok.encode('Is Tom here? Yes, 10:30!'));
    expect(pieces.filter(marked), pieces.join(' ')).to.deep.equal([]);
    expect(pieces, pieces.join(' ')).to.include('?');
  });

  it('adds the split to an existing tokenizer with the same vocabulary, ids and merges', () => {
    const json = JSON.parse(fs.readFileSync(plain, 'utf8')) as {
      pre_tokenizer: { type: string; pretokenizers: { type: string }[] };
      model: object;
    };
    expect(splitsPunctuation(json)).to.equal(false);
    const derived = withPunctuationSplit(json, plain);
    expect(splitsPunctuation(derived)).to.equal(true);
    expect(derived.model).to.deep.equal(json.model);
    expect(derived.pre_tokenizer.pretokenizers.map((p) => p.type)).to.deep.equal([
      'Metaspace',
      'Split',
      'Digits',
    ]);
    expect(withPunctuationSplit(derived, plain)).to.equal(derived);
    const file = path.join(dir, 'derived.tokenizer.json');
    fs.writeFileSync(file, JSON.stringify(derived));
    const tok = SubwordTokenizer.load(file);
    const ids = tok.encode('Tom is here. Is Tom here?');
    expect(tok.decode(ids)).to.equal('Tom is here. Is Tom here?');
    expect(tok.tokens(ids).filter((t) => marked(t))).to.deep.equal([]);
    expect(
      BpeDropoutEncoder.forOwnFormat(file)?.encode('Tom is here. Is Tom here?', 0, new Rng(1)),
    ).to.deep.equal(ids);
    expect(() => withPunctuationSplit({ pre_tokenizer: { type: 'ByteLevel' } }, 'gpt.json')).to.throw(
      /gpt\.json: cannot add the punctuation split: its pre-tokenizer does not start with Metaspace \(found ByteLevel\)/,
    );
  });
});

describe('training noise (augment.ts)', () => {
  it('drops final punctuation on both sides, with the Spanish opening marks', () => {
    expect(withoutFinalPunctuation({ src: 'Where is it?', tgt: '¿Dónde está?' })).to.deep.equal({
      src: 'Where is it',
      tgt: 'Dónde está',
    });
    expect(withoutFinalPunctuation({ src: 'He said "go."', tgt: 'Dijo "ve."' })).to.deep.equal({
      src: 'He said "go"',
      tgt: 'Dijo "ve"',
    });
    expect(withoutFinalPunctuation({ src: 'No stop', tgt: 'Sin punto.' })).to.equal(undefined);
  });

  it('changes the source case in about the configured shares and never the target', () => {
    const rng = new Rng(3);
    const pair = { src: 'The Cat is black.', tgt: 'El Gato es negro.' };
    const counts = { upper: 0, lower: 0, punct: 0, same: 0 };
    for (let i = 0; i < 10_000; i++) {
      const p = augmentPair(
        pair,
        { upperCaseShare: 0.1, lowerCaseShare: 0.05, dropPunctuationShare: 0.2 },
        rng,
      );
      if (p.src === pair.src.toUpperCase()) counts.upper++;
      else if (p.src === pair.src.toLowerCase()) counts.lower++;
      else if (p.src === 'The Cat is black') counts.punct++;
      else counts.same++;
      if (p.src !== 'The Cat is black') expect(p.tgt).to.equal(pair.tgt);
    }
    expect(counts.upper / 1e4).to.be.closeTo(0.1, 0.015);
    expect(counts.lower / 1e4).to.be.closeTo(0.05, 0.01);
    expect(counts.punct / 1e4).to.be.closeTo(0.2, 0.02);
  });

  it('oversamples by corpus weight: whole copies plus a random share', () => {
    const a = Array.from({ length: 100 }, (_, i) => ({ src: `a${i}`, tgt: `a${i}` }));
    const b = Array.from({ length: 1000 }, (_, i) => ({ src: `b${i}`, tgt: `b${i}` }));
    const epoch = weightedEpochPairs(
      [
        { pairs: a, weight: 3 },
        { pairs: b, weight: 0.5 },
      ],
      new Rng(9),
    );
    expect(epoch.filter((p) => p.src.startsWith('a'))).to.have.length(300);
    expect(epoch.filter((p) => p.src.startsWith('b')).length).to.be.within(450, 550);
  });
});

/**
 * src/translate/alignment.ts: subwords → words (SentencePiece "▁", byte-level BPE "Ġ", WordPiece "##",
 * special tokens), and word alignment from subword attention on an example computed by hand.
 */
import { expect } from 'chai';

import { pharaoh, pharaohAlignment, segmentWords, wordAlignment } from '../src/translate/alignment.js';
import type { Translation } from '../src/translate/translator.js';

describe('segmentWords', () => {
  it('SentencePiece/Metaspace: "▁" starts a word, other pieces continue it, </s> belongs to no word', () => {
    expect(segmentWords(['▁the', '▁black', '▁ca', 't', '</s>'])).to.deep.equal({
      words: ['the', 'black', 'cat'],
      wordOf: [0, 1, 2, 2, -1],
    });
  });

  it('a lone "▁" piece starts a word that the next pieces fill (Metaspace before an unmerged character)', () => {
    expect(segmentWords(['▁', '¿', '▁qué', '?'])).to.deep.equal({
      words: ['¿', 'qué?'],
      wordOf: [0, 0, 1, 1],
    });
  });

  it('byte-level BPE: "Ġ" starts a word; the first piece starts one without a marker', () => {
    expect(segmentWords(['The', 'Ġblack', 'Ġca', 't'])).to.deep.equal({
      words: ['The', 'black', 'cat'],
      wordOf: [0, 1, 2, 2],
    });
  });

  it('WordPiece "##" pieces continue the current word and lose their "##"', () => {
    expect(segmentWords(['▁an', '▁un', '##believ', '##able', '▁story', '</s>'])).to.deep.equal({
      words: ['an', 'unbelievable', 'story'],
      wordOf: [0, 1, 1, 1, 2, -1],
    });
  });

  it('WordPiece without "▁" markers: a piece without "##" starts a new word', () => {
    // In a WordPiece vocabulary word-initial pieces carry no marker at all: only "##" marks a continuation.
    expect(segmentWords(['the', 'black', 'ca', '##t', '</s>'])).to.deep.equal({
      words: ['the', 'black', 'cat'],
      wordOf: [0, 1, 2, 2, -1],
    });
  });

  it('special tokens <s>, </s> and <pad> belong to no word, wherever they are', () => {
    expect(segmentWords(['<s>', '▁hola', '</s>', '<pad>', '<pad>'])).to.deep.equal({
      words: ['hola'],
      wordOf: [-1, 0, -1, -1, -1],
    });
    expect(segmentWords(['</s>'])).to.deep.equal({ words: [], wordOf: [-1] });
    expect(segmentWords([])).to.deep.equal({ words: [], wordOf: [] });
  });

  it('<unk> is content (an unknown character), so it stays inside its word', () => {
    expect(segmentWords(['▁caf', '<unk>', '▁x'])).to.deep.equal({
      words: ['caf<unk>', 'x'],
      wordOf: [0, 0, 1],
    });
  });
});

describe('wordAlignment', () => {
  // "the black cat" → "el gato negro", with "cat" and "gato" split in two pieces.
  const src = ['▁the', '▁black', '▁ca', 't', '</s>'];
  const tgt = ['▁el', '▁ga', 'to', '▁negro', '</s>'];
  // attention[t][s]; every row sums to 1.
  const attention = [
    [0.7, 0.1, 0.05, 0.05, 0.1], // ▁el    → the
    [0.05, 0.35, 0.3, 0.2, 0.1], // ▁ga    : argmax over subwords is ▁black, over words it is cat (0.30 + 0.20)
    [0.05, 0.3, 0.15, 0.4, 0.1], // to
    [0.1, 0.6, 0.1, 0.1, 0.1], //   ▁negro → black
    [0.05, 0.05, 0.05, 0.05, 0.8], // </s>: no target word, ignored
  ];
  // By hand. Source words: the = {0}, black = {1}, cat = {2, 3}; </s> (4) dropped.
  //   el    = row 0:                 [0.70, 0.10, 0.05 + 0.05]              = [0.70, 0.10, 0.10]
  //   gato  = mean of rows 1 and 2:  ([0.05, 0.35, 0.50] + [0.05, 0.30, 0.55]) / 2 = [0.05, 0.325, 0.525]
  //   negro = row 3:                 [0.10, 0.60, 0.10 + 0.10]              = [0.10, 0.60, 0.20]
  // Argmax per target word: el → the (0), gato → cat (2), negro → black (1); Pharaoh is "source-target",
  // sorted by source: 0-0 1-2 2-1.
  const expectedMatrix = [
    [0.7, 0.1, 0.1],
    [0.05, 0.325, 0.525],
    [0.1, 0.6, 0.2],
  ];

  function expectMatrix(got: number[][], want: number[][]): void {
    expect(got.length).to.equal(want.length);
    got.forEach((row, i) => {
      expect(row.length).to.equal(want[i].length);
      row.forEach((v, j) => expect(v, `matrix[${i}][${j}]`).to.be.closeTo(want[i][j], 1e-12));
    });
  }

  it('sums attention over source pieces, averages over target pieces, links each target word to its argmax', () => {
    const wa = wordAlignment(src, tgt, attention);
    expect(wa.sourceWords).to.deep.equal(['the', 'black', 'cat']);
    expect(wa.targetWords).to.deep.equal(['el', 'gato', 'negro']);
    expectMatrix(wa.matrix, expectedMatrix);
    expect(wa.links).to.deep.equal([
      [0, 0],
      [1, 2],
      [2, 1],
    ]);
    expect(pharaoh(wa.links)).to.equal('0-0 1-2 2-1');
  });

  it('gives the same result for target tokens without </s> (as the Translator returns them)', () => {
    const wa = wordAlignment(src, tgt.slice(0, -1), attention);
    expectMatrix(wa.matrix, expectedMatrix);
    expect(pharaoh(wa.links)).to.equal('0-0 1-2 2-1');
  });

  it('pharaohAlignment reads a Translation hypothesis; without attention it is empty', () => {
    const translation: Translation = {
      source: 'the black cat',
      sourceTokens: src,
      hypotheses: [{ text: 'el gato negro', score: -1, logProb: -1, tokens: tgt.slice(0, -1), attention }],
    };
    expect(pharaohAlignment(translation, translation.hypotheses[0])).to.equal('0-0 1-2 2-1');
    const bare = { ...translation.hypotheses[0], attention: undefined };
    expect(pharaohAlignment(translation, bare)).to.equal('');
  });

  it('ties go to the first source word; word rows may sum to less than 1 (mass on </s> dropped)', () => {
    const wa = wordAlignment(
      ['▁a', '▁b', '</s>'],
      ['▁x', '</s>'],
      [
        [0.25, 0.25, 0.5],
        [0, 0, 1],
      ],
    );
    expect(wa.matrix).to.deep.equal([[0.25, 0.25]]);
    expect(pharaoh(wa.links)).to.equal('0-0');
  });

  it('several target words may link to one source word; links are sorted source-first', () => {
    const wa = wordAlignment(
      ['▁hello', '</s>'],
      ['▁hola', '▁a', '▁todos'],
      [
        [0.9, 0.1],
        [0.8, 0.2],
        [0.7, 0.3],
      ],
    );
    expect(pharaoh(wa.links)).to.equal('0-0 0-1 0-2');
  });
});

/**
 * Symbols the vocabulary cannot write pass through translation (src/translate/symbols.ts), placed by
 * attention; on the English tokenizer in vocab/ and through the Translator with the shipped model.
 */
import path from 'node:path';
import { expect } from 'chai';
import { SubwordTokenizer } from '../src/tokenizer/subword.js';
import { holdSymbols, restoreSymbols } from '../src/translate/symbols.js';
import { Translator } from '../src/translate/translator.js';
import { repoRoot } from './helpers/paths.js';
import { useTranslator } from './helpers/model-translator.js';

const ENG = path.join(repoRoot, 'vocab', 'eng-spa', 'eng.tokenizer.json');

describe('symbols the model cannot translate', () => {
  let eng: SubwordTokenizer;
  before(() => {
    eng = SubwordTokenizer.load(ENG);
  });

  it('takes out emoji and unknown symbols, noting the word each followed', () => {
    expect(eng.knows('🍕')).to.equal(false);
    expect(eng.knows('pizza')).to.equal(true);
    expect(holdSymbols(eng, 'I love pizza 🍕.')).to.deep.equal({
      text: 'I love pizza.',
      held: [{ symbol: '🍕', afterWord: 2, beforePunctuation: true }],
    });
    expect(holdSymbols(eng, '🍕 Tom ❤️ Mary')).to.deep.equal({
      text: 'Tom Mary',
      held: [
        { symbol: '🍕', afterWord: -1, beforePunctuation: false },
        { symbol: '❤️', afterWord: 0, beforePunctuation: false },
      ],
    });
    // A family emoji is one symbol (ZWJ sequence).
    expect(holdSymbols(eng, 'Hi 👨‍👩‍👧')?.held.map((h) => h.symbol)).to.deep.equal(['👨‍👩‍👧']);
    expect(holdSymbols(eng, 'Where is Tom?')).to.equal(undefined);
    expect(holdSymbols(eng, '🍕')).to.deep.equal({
      text: '',
      held: [{ symbol: '🍕', afterWord: -1, beforePunctuation: false }],
    });
  });

  it('puts them back after the aligned target word, before its punctuation when they preceded some', () => {
    const held = holdSymbols(eng, 'I love pizza 🍕.')!.held;
    // "Me encanta la pizza.": love → encanta (1), pizza. → pizza. (3)
    const links: [number, number][] = [
      [0, 0],
      [1, 1],
      [2, 2],
      [2, 3],
    ];
    expect(restoreSymbols('Me encanta la pizza.', held, links)).to.equal('Me encanta la pizza 🍕.');
    const mid = holdSymbols(eng, 'Tom ❤️ Mary')!.held;
    expect(
      restoreSymbols('Tom a Mary', mid, [
        [0, 0],
        [1, 2],
      ]),
    ).to.equal('Tom ❤️ a Mary');
    // No link to the word: at the end; before the first word: at the start.
    expect(restoreSymbols('Tom a Mary', mid, [[1, 2]])).to.equal('Tom a Mary ❤️');
    expect(restoreSymbols('', holdSymbols(eng, '🍕')!.held, [])).to.equal('🍕');
    // A link to a word the text does not have (the tokenizer split it otherwise): at the end.
    expect(restoreSymbols('Tom a Mary', mid, [[0, 7]])).to.equal('Tom a Mary ❤️');
  });
});

describe('Translator passes symbols through', function () {
  this.timeout(60_000);
  const translator = useTranslator();

  it('keeps an emoji the vocabulary lacks, where attention puts its word, greedy and beam, without leaking tensors', () => {
    const sources = ['I love pizza 🍕.', 'I love pizza.', '🍕'];
    for (const beam of [1, 5]) translator().translate(sources, { beam }); // warm-up: kernels' constants
    for (const beam of [1, 5]) {
      const before = Translator.liveTensors();
      const [withEmoji, without, alone] = translator().translate(sources, { beam });
      const plain = without.hypotheses[0].text;
      expect(plain, `beam ${beam}`).to.match(/pizza\.$/);
      expect(withEmoji.hypotheses[0].text, `beam ${beam}`).to.equal(plain.replace(/pizza\.$/, 'pizza 🍕.'));
      expect(withEmoji.hypotheses[0].attention).to.equal(undefined); // not asked for
      expect(alone.hypotheses[0].text).to.equal('🍕');
      expect(Translator.liveTensors()).to.equal(before);
    }
  });
});

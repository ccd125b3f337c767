/**
 * Quotation marks at a sentence's edges go around the model (src/translate/quotes.ts): lifted off before
 * translation, put back around the translation.
 */
import { expect } from 'chai';
import { type QuotedPiece, liftEdgeQuotes, quotePieces, requote } from '../src/translate/quotes.js';
import { splitSentences } from '../src/translate/sentences.js';
import type { Translation } from '../src/translate/translation.js';
import { useTranslator } from './helpers/model-translator.js';

const piece = (text: string, open = '', close = ''): QuotedPiece => ({ text, open, close });

describe('quotation marks around sentences', () => {
  it('lifts marks that open or close a sentence, and leaves marks inside it', () => {
    const cases: [string, QuotedPiece][] = [
      ['"Are you crazy?"', piece('Are you crazy?', '"', '"')],
      ['"Look, a hitchhiker.', piece('Look, a hitchhiker.', '"')],
      ['Keep driving!"', piece('Keep driving!', '', '"')],
      ['«Hola.»', piece('Hola.', '«', '»')],
      ['“Go home.”', piece('Go home.', '“', '”')],
      ['„Geh nach Hause.“', piece('Geh nach Hause.', '„', '“')],
      // Marks inside the sentence: nothing lifted, the model sees it as written.
      ['"Hi!" she said.', piece('"Hi!" she said.')],
      ['The word "cat" is short.', piece('The word "cat" is short.')],
      ['He likes "jazz"', piece('He likes "jazz"')],
      ['"', piece('"')],
      ['""', piece('""')],
      ["'Hi.'", piece("'Hi.'")],
      ['No quotes here.', piece('No quotes here.')],
    ];
    for (const [sentence, expected] of cases)
      expect(liftEdgeQuotes(sentence), sentence).to.deep.equal(expected);
  });

  it('splits a quotation opened after the first words from them', () => {
    expect(quotePieces('He said, "Go home."')).to.deep.equal([
      piece('He said,'),
      piece('Go home.', '"', '"'),
    ]);
    expect(quotePieces('Tom said: "I am tired.')).to.deep.equal([
      piece('Tom said:'),
      piece('I am tired.', '"'),
    ]);
    // A quoted word inside the sentence: one piece, as written.
    expect(quotePieces('Tom said "Hi" and left.')).to.deep.equal([piece('Tom said "Hi" and left.')]);
    expect(quotePieces('Say "yes" or "no".')).to.deep.equal([piece('Say "yes" or "no".')]);
    // A quotation that opens the sentence, and words after it: one piece.
    expect(quotePieces('"Hi!" she said.')).to.deep.equal([piece('"Hi!" she said.')]);
    expect(quotePieces('"I am tired," said the boy.')).to.deep.equal([piece('"I am tired," said the boy.')]);
  });

  it('a dialogue line becomes sentences without marks, each knowing which marks to put back', () => {
    const line = '"Look, a hitchhiker. Maybe we should pull over." "Are you crazy? Keep driving!"';
    expect(splitSentences(line).flatMap(quotePieces)).to.deep.equal([
      piece('Look, a hitchhiker.', '"'),
      piece('Maybe we should pull over.', '', '"'),
      piece('Are you crazy?', '"'),
      piece('Keep driving!', '', '"'),
    ]);
  });

  it('puts the marks back around every hypothesis and the re-cased source', () => {
    const t: Translation = {
      source: 'are you crazy?',
      recased: 'Are you crazy?',
      hypotheses: [
        { text: '¿Estás loco?', score: -1, logProb: -1 },
        { text: '¿Estás loca?', score: -2, logProb: -2 },
      ],
    };
    const back = requote(t, piece('are you crazy?', '«', '»'));
    expect(back.hypotheses.map((h) => h.text)).to.deep.equal(['«¿Estás loco?»', '«¿Estás loca?»']);
    expect(back.recased).to.equal('«Are you crazy?»');
    expect(back.hypotheses[1].score).to.equal(-2);
    expect(requote(t, piece('x'))).to.equal(t);
  });
});

describe('quotation marks with the shipped model', function () {
  this.timeout(120_000);
  const translator = useTranslator();

  it('translates the sentences of a dialogue as it translates them without marks (greedy and beam 5)', () => {
    const line = '"Are you crazy? Keep driving!" He said, "Go home."';
    const plain = ['Are you crazy?', 'Keep driving!', 'He said,', 'Go home.'];
    for (const beam of [1, 5]) {
      const [quoted, ...alone] = translator()
        .translate([line, ...plain], { beam })
        .map((t) => t.hypotheses[0].text);
      const [a, b, c, d] = alone;
      expect(quoted).to.equal(`"${a} ${b}" ${c} "${d}"`);
      expect(a, `beam ${beam}`).to.equal('¿Estás loco?');
    }
  });
});

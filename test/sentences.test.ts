/**
 * A text is translated sentence by sentence (src/translate/sentences.ts) and the translations joined into
 * one (src/translate/translation.ts): texts, scores, subwords, a block-diagonal attention matrix with one
 * </s>, p_gen and word links shifted by the words before.
 */
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { splitSentences } from '../src/translate/sentences.js';
import { joinTranslations, type Translation } from '../src/translate/translation.js';
import { SHIPPED_MODEL, useTranslator } from './helpers/model-translator.js';
import { corpusBleu, corpusChrf } from '../src/metrics/index.js';
import { scoreTestSets } from '../src/train/test-sets.js';
import { createLogger } from '../src/util/log.js';

describe('sentence splitting', () => {
  it('splits where sentences end, not after abbreviations, initials, decimals or before lower case', () => {
    const cases: [string, string[]][] = [
      [
        "I'd never want to go to Boston. The people there never see the sun.",
        ["I'd never want to go to Boston.", 'The people there never see the sun.'],
      ],
      [
        'Mr. Smith went to Washington. He said "Hi!" and left.',
        ['Mr. Smith went to Washington.', 'He said "Hi!" and left.'],
      ],
      ['It costs $3.50. I paid 1.5 times more.', ['It costs $3.50.', 'I paid 1.5 times more.']],
      ['Dr. Jones arrived at 3 p.m. today.', ['Dr. Jones arrived at 3 p.m. today.']],
      ['I got up at 7 a.m. Then I left.', ['I got up at 7 a.m.', 'Then I left.']],
      ['J. R. R. Tolkien wrote it. U.S. troops left.', ['J. R. R. Tolkien wrote it.', 'U.S. troops left.']],
      ['¿Qué? No sé. ¡Vale!', ['¿Qué?', 'No sé.', '¡Vale!']],
      ["No. I don't.", ['No.', "I don't."]],
      ['Wait... what?', ['Wait... what?']],
      ['"Let him go." "Stay out of it."', ['"Let him go."', '"Stay out of it."']],
      ['Hello', ['Hello']],
      ['', ['']],
    ];
    for (const [text, sentences] of cases) expect(splitSentences(text), text).to.deep.equal(sentences);
  });

  it('joins sentence translations: block-diagonal attention with one </s>, p_gen, links shifted, k-th hypotheses', () => {
    const first: Translation = {
      source: 'Hi Tom.',
      sourceTokens: ['▁Hi', '▁Tom', '.', '</s>'],
      hypotheses: [
        {
          text: 'Hola Tom.',
          score: -1,
          logProb: -2,
          tokens: ['▁Hola', '▁Tom', '.'],
          attention: [
            [0.7, 0.1, 0.1, 0.1],
            [0, 1, 0, 0],
            [0, 0, 0.5, 0.5],
            [0, 0, 0, 1],
          ],
          pGen: [0.9, 0.1, 0.8, 0.7],
          links: [
            [0, 0],
            [1, 1],
          ],
        },
        { text: 'Buenas Tom.', score: -3, logProb: -4 },
      ],
    };
    const second: Translation = {
      source: 'Go.',
      recased: 'Go.',
      sourceTokens: ['▁Go', '.', '</s>'],
      hypotheses: [
        {
          text: 'Vete.',
          score: -0.5,
          logProb: -1,
          tokens: ['▁Vete', '.'],
          attention: [
            [0.8, 0.1, 0.1],
            [0, 0.6, 0.4],
            [0, 0, 1],
          ],
          pGen: [0.95, 0.9, 0.99],
          links: [[0, 0]],
        },
      ],
    };
    const joined = joinTranslations('Hi Tom. Go.', [first, second]);
    expect(joined.source).to.equal('Hi Tom. Go.');
    expect(joined.recased).to.equal('Hi Tom. Go.');
    expect(joined.sourceTokens).to.deep.equal(['▁Hi', '▁Tom', '.', '▁Go', '.', '</s>']);
    const [best, second2] = joined.hypotheses;
    expect(best.text).to.equal('Hola Tom. Vete.');
    expect([best.score, best.logProb]).to.deep.equal([-1.5, -3]);
    expect(best.tokens).to.deep.equal(['▁Hola', '▁Tom', '.', '▁Vete', '.']);
    // The first sentence's </s> row is left out; its attention to its own </s> goes to the one </s>.
    expect(best.attention).to.deep.equal([
      [0.7, 0.1, 0.1, 0, 0, 0.1],
      [0, 1, 0, 0, 0, 0],
      [0, 0, 0.5, 0, 0, 0.5],
      [0, 0, 0, 0.8, 0.1, 0.1],
      [0, 0, 0, 0, 0.6, 0.4],
      [0, 0, 0, 0, 0, 1],
    ]);
    expect(best.pGen).to.deep.equal([0.9, 0.1, 0.8, 0.95, 0.9, 0.99]);
    // "Hi Tom." has 2 words on each side (the full stop is part of "Tom."), so "Go" is source word 2.
    expect(best.links).to.deep.equal([
      [0, 0],
      [1, 1],
      [2, 2],
    ]);
    // The second hypothesis: the first sentence's second, the second sentence's only one.
    expect(second2.text).to.equal('Buenas Tom. Vete.');
    expect(second2.score).to.equal(-3.5);
    expect(second2.attention).to.equal(undefined);
    expect(joinTranslations('Go.', [second]).hypotheses).to.deep.equal(second.hypotheses);
  });
});

describe('sentence by sentence with the shipped model', function () {
  this.timeout(120_000);
  const translator = useTranslator();
  const one = "I'd never want to go to Boston.";
  const two = 'The people there never see the sun.';

  it('translates every sentence of a text, as it translates each alone (greedy and beam 5)', () => {
    for (const beam of [1, 5]) {
      const [a, b, both] = translator().translate([one, two, `${one}  ${two}`], {
        beam,
        withAttention: true,
      });
      const joined = both.hypotheses[0];
      expect(joined.text).to.equal(`${a.hypotheses[0].text} ${b.hypotheses[0].text}`);
      expect(joined.text).to.match(/Boston\..* sol\.$/u);
      const src = both.sourceTokens as string[];
      expect(src).to.have.length(
        (a.sourceTokens as string[]).length + (b.sourceTokens as string[]).length - 1,
      );
      const tokens = joined.tokens as string[];
      const attention = joined.attention as number[][];
      expect(attention).to.have.length(tokens.length + 1);
      expect(joined.pGen).to.have.length(tokens.length + 1);
      for (const row of attention) {
        expect(row).to.have.length(src.length);
        expect(row.reduce((s, x) => s + x, 0)).to.be.closeTo(1, 1e-4);
      }
      // The second sentence's words attend to its own source subwords only.
      const firstLength = (a.sourceTokens as string[]).length - 1;
      const secondRow = attention[(a.hypotheses[0].tokens as string[]).length];
      expect(secondRow.slice(0, firstLength).every((x) => x === 0)).to.equal(true);
    }
  });

  it("the trainer's end-of-run test scores translate as evaluate does: sentence by sentence", () => {
    const pairs = [
      { src: `${one} ${two}`, tgt: 'Nunca querría ir a Boston. La gente de allí nunca ve el sol.' },
      { src: 'Where is the library?', tgt: '¿Dónde está la biblioteca?' },
    ];
    const scores = scoreTestSets(
      SHIPPED_MODEL,
      [{ name: 'two', source: 'inline', pairs }],
      createLogger('test', 'silent'),
    );
    const hyps = translator()
      .translate(
        pairs.map((p) => p.src),
        { beam: 5 },
      )
      .map((t) => t.hypotheses[0].text);
    expect(hyps[0]).to.match(/ sol\.$/u);
    const refs = pairs.map((p) => p.tgt);
    const [bleu, chrf] = [corpusBleu(hyps, refs).score, corpusChrf(hyps, refs).score];
    expect(scores?.two).to.deep.equal({ bleu, chrf, sentences: 2 });
    expect(bleu).to.be.above(20);
  });

  it('leaves no tensors behind across repeated multi-sentence translations', () => {
    const text = `${one} ${two} Call me at 5:30.`;
    translator().translate([text], { beam: 5, withAttention: true });
    const before = tf.memory().numTensors;
    for (let k = 0; k < 3; k++) translator().translate([text, one], { beam: 5, withAttention: true });
    expect(tf.memory().numTensors).to.equal(before);
  });
});

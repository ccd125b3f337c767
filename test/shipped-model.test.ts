/**
 * The model shipped in models/ (one default model; the list allows more): it loads, its files check out,
 * and it translates everyday sentences. A model missing from the checkout is skipped with a message.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { readModelConfig } from '../src/translate/model-dir.js';
import { DEFAULT_COVERAGE_PENALTY } from '../src/search/beam.js';
import { corporaOf } from '../src/server/model-info.js';
import { repoRoot } from './helpers/paths.js';
import { useTranslator } from './helpers/model-translator.js';

const SHIPPED = [
  {
    name: 'eng-spa',
    tgtLang: 'spa',
    // [source, what the translation must match]
    checks: [
      ['I like tea.', /té/],
      ['Where is the library?', /^¿Dónde está la biblioteca\?$/],
      ['Tom is my friend.', /Tom/],
      // Copying through attention: names and numbers it never saw (issue 12).
      ['Olga lives in Helsinki.', /Olga.*Helsinki/],
      ['The train leaves at 10:30.', /10:30/],
      // Punctuation split off words: the full stop is not glued into the name's last piece ("Kraków. Kóroó").
      ['Olga Petrova works in Kraków.', /^Olga Petrova .*Kraków\.$/],
      // Stutter blocking (src/search/stutter.ts): "Aishish Bello" without it, greedy and beam 5.
      ['Aisha Bello is 43 years old.', /^Aisha Bello .*43/],
    ],
  },
  {
    // The small model the README's alignment table is measured with (issue 15).
    name: 'eng-fra',
    tgtLang: 'fra',
    checks: [
      ['I like tea.', /thé/],
      ['Tom is my friend.', /Tom/],
    ],
  },
] as const;

for (const shipped of SHIPPED) {
  const dir = path.join(repoRoot, 'models', shipped.name);

  describe(`shipped ${shipped.name} model`, function () {
    const translator = useTranslator(dir);

    it('records its data, attribution-relevant corpus and measured test scores', () => {
      const cfg = readModelConfig(dir);
      expect(cfg.srcLang).to.equal('eng');
      expect(cfg.tgtLang).to.equal(shipped.tgtLang);
      expect(cfg.weights.dtype).to.equal('float16');
      // The Anki file is the (first) training corpus: a string, or the first of a list.
      const first = [cfg.info.corpus].flat()[0];
      const corpus = 'corpus' in shipped ? shipped.corpus : shipped.name;
      expect(String(first)).to.match(new RegExp(`tatoeba/${corpus}\\.tsv$`));
      const scores = cfg.info.scores as { beam: number; bleu: number; chrf: number }[];
      expect(scores.map((s) => s.beam)).to.include.members([1, 5]);
      for (const s of scores) expect(s.bleu).to.be.within(0, 100);
      // The page and its footer name every training corpus with its licence (attribution), from the metadata.
      const training = corporaOf(cfg.info).filter((c) => c.role === 'train');
      expect(training.length).to.be.greaterThan(0);
      for (const c of training) expect(c.licence, c.name).to.be.a('string');
      expect(fs.existsSync(path.join(dir, 'MODEL.md'))).to.equal(true);
    });

    it('translates everyday sentences (greedy and beam 5)', () => {
      const sources = shipped.checks.map(([s]) => s);
      for (const beam of [1, 5]) {
        const out = translator()
          .translate(sources, { beam })
          .map((t) => t.hypotheses[0].text);
        shipped.checks.forEach(([source, expected], i) =>
          expect(out[i], `${source} (beam ${beam})`).to.match(expected),
        );
      }
    });

    it('beam search ranks with the default coverage penalty unless told otherwise', () => {
      // Scores of a 5-best list: the default β is applied (equal to asking for it), and it is not β = 0.
      const scores = (coveragePenalty?: number) =>
        translator()
          .translate([shipped.checks[1][0]], { beam: 5, nbest: 5, coveragePenalty })[0]
          .hypotheses.map((h) => `${h.text} ${h.score.toFixed(4)}`);
      expect(DEFAULT_COVERAGE_PENALTY).to.be.greaterThan(0);
      expect(scores()).to.deep.equal(scores(DEFAULT_COVERAGE_PENALTY));
      expect(scores()).to.not.deep.equal(scores(0));
    });
  });
}

/**
 * The model shipped in models/eng-spa: it loads, its files check out, and it translates everyday
 * sentences into Spanish. Skipped (with a message) in a checkout without it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { initBackend } from '../src/backend/select.js';
import { Translator } from '../src/translate/translator.js';
import { readModelConfig } from '../src/model/model-dir.js';
import { repoRoot } from './helpers/paths.js';

const dir = path.join(repoRoot, 'models', 'eng-spa');

describe('shipped eng-spa model', function () {
  let translator: Translator;
  before(async function () {
    if (!fs.existsSync(path.join(dir, 'config.json'))) {
      console.log(`    skipping: ${dir} not found`);
      this.skip();
    }
    await initBackend('wasm');
    translator = Translator.load(dir);
  });
  after(() => translator?.dispose());

  it('records its data, attribution-relevant corpus and measured test scores', () => {
    const cfg = readModelConfig(dir);
    expect(cfg.srcLang).to.equal('eng');
    expect(cfg.tgtLang).to.equal('spa');
    expect(cfg.weights.dtype).to.equal('float16');
    expect(String(cfg.info.corpus)).to.match(/tatoeba\/eng-spa\.tsv$/);
    const scores = cfg.info.scores as { beam: number; bleu: number; chrf: number }[];
    expect(scores.map((s) => s.beam)).to.include.members([1, 5]);
    for (const s of scores) expect(s.bleu).to.be.within(0, 100);
    expect(fs.existsSync(path.join(dir, 'MODEL.md'))).to.equal(true);
  });

  it('translates everyday sentences into Spanish (greedy and beam 5 agree on the easy ones)', () => {
    const sources = ['I like tea.', 'Where is the library?', 'Tom is my friend.'];
    for (const beam of [1, 5]) {
      const out = translator.translate(sources, { beam }).map((t) => t.hypotheses[0].text);
      expect(out[0]).to.match(/té/);
      expect(out[1]).to.match(/^¿Dónde está la biblioteca\?$/);
      expect(out[2]).to.match(/Tom/);
    }
  });
});

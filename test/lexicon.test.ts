/**
 * The word aligner saved with a model (src/lexalign/lexicon.ts): it links chunks (the page's words)
 * through the aligner's own words, survives a save and load with the same links, refuses a damaged file
 * naming the field, and, once in a model folder, gives the links of translate and align by default.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Lexicon, chunkWords } from '../src/lexalign/lexicon.js';
import { attachLexicon, readModelConfig } from '../src/translate/model-dir.js';
import { Translator } from '../src/translate/translator.js';
import { pharaohAlignment } from '../src/translate/alignment.js';
import request from 'supertest';
import { InProcessService } from '../src/server/service.js';
import { createApp } from '../src/server/app.js';
import { loadModelInfo } from '../src/server/model-info.js';
import { makeTinyModel } from './helpers/tiny-model.js';

const TOY = [
  { src: 'The cat sleeps.', tgt: 'Le chat dort.' },
  { src: 'The dog sleeps.', tgt: 'Le chien dort.' },
  { src: 'A cat eats.', tgt: 'Un chat mange.' },
  { src: 'A dog eats.', tgt: 'Un chien mange.' },
  { src: 'The big cat eats.', tgt: 'Le gros chat mange.' },
  { src: 'The dog eats.', tgt: "L'ours mange." },
];

describe('lexicon (the statistical aligner saved with a model)', () => {
  const lexicon = Lexicon.train(TOY, { srcLang: 'eng', tgtLang: 'fra', symmetrization: 'intersection' });

  it("splits chunks into the aligner's words and remembers their chunk", () => {
    expect(chunkWords(["L'ours", 'mange.'], 'fra')).to.deep.equal({
      words: ['le', 'ours', 'mange', '.'],
      chunkOf: [0, 0, 1, 1],
    });
  });

  it('links chunks, punctuation inside them, each pair of chunks once', () => {
    expect(lexicon.alignChunks(['A', 'cat', 'sleeps.'], ['Un', 'chat', 'dort.'])).to.deep.equal([
      [0, 0],
      [1, 1],
      [2, 2],
    ]);
    expect(lexicon.describe()).to.match(/IBM Model 2.*6 sentence pairs.*intersection/);
  });

  it('links a name or number it never saw to the same word on the other side, wherever it stands', () => {
    // "Olga", "Pedro" and "2015" are in no training pair: no probability links them, their spelling does,
    // across a reordering that the diagonal prior alone would get wrong.
    expect(
      lexicon.alignChunks(['Olga', 'sleeps', 'in', '2015.'], ['Olga', 'dort', 'en', '2015.']),
    ).to.deep.equal([
      [0, 0],
      [1, 1],
      [2, 2], // two unseen words, linked by the diagonal prior
      [3, 3],
    ]);
    expect(
      lexicon.alignChunks(['Pedro', 'eats', 'with', 'Olga'], ['Olga', 'mange', 'avec', 'Pedro']),
    ).to.deep.include.members([
      [0, 3],
      [3, 0],
    ]);
  });

  it('keeps its links through a save and a load', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-lexicon-'));
    try {
      const file = path.join(dir, 'lexicon.json');
      lexicon.save(file);
      const loaded = Lexicon.load(file);
      for (const p of TOY) {
        const [s, t] = [p.src.split(' '), p.tgt.split(' ')];
        expect(loaded.alignChunks(s, t)).to.deep.equal(lexicon.alignChunks(s, t));
      }
      expect([loaded.srcLang, loaded.tgtLang, loaded.symmetrization]).to.deep.equal([
        'eng',
        'fra',
        'intersection',
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a damaged file, naming the field', () => {
    const good = lexicon.toFile();
    expect(() => Lexicon.fromFile({ ...good, format: 'other' }, 'x.json')).to.throw(/x\.json: format/);
    expect(() =>
      Lexicon.fromFile({ ...good, forward: { ...good.forward, entries: [1, 2] } }, 'x.json'),
    ).to.throw(/x\.json: forward\.entries: entries must be \[e, f, t\] triples/);
    expect(() =>
      Lexicon.fromFile({ ...good, reverse: { ...good.reverse, entries: [0, 99999, 0.5] } }, 'x.json'),
    ).to.throw(/entry 0 \(0, 99999, 0\.5\) is out of range/);
    expect(() => Lexicon.load('/nonexistent/lexicon.json')).to.throw(/cannot read lexicon \/nonexistent/);
  });

  describe('in a model folder', () => {
    let dir: string;
    let translator: Translator;
    const spa = Lexicon.train(
      [
        { src: 'Where is the cat?', tgt: '¿Dónde está el gato?' },
        { src: 'The cat is black.', tgt: 'El gato es negro.' },
      ],
      { srcLang: 'eng', tgtLang: 'spa', symmetrization: 'grow-diag' },
    );
    before(async function () {
      this.timeout(60_000);
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-lexicon-model-'));
      await makeTinyModel(dir, { copy: true });
    });
    after(() => {
      translator?.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('refuses a lexicon of another language pair, naming both', () => {
      expect(() => attachLexicon(dir, lexicon)).to.throw(
        /the lexicon aligns eng→fra but the model translates eng→spa/,
      );
      expect(readModelConfig(dir).lexicon).to.equal(undefined);
    });

    it('gives the links of translations and of forced alignments, attention on request', () => {
      attachLexicon(dir, spa);
      expect(readModelConfig(dir).lexicon).to.equal('lexicon.json');
      translator = Translator.load(dir);
      const [t] = translator.translate(['Where is the cat?'], { withAttention: true });
      const h = t.hypotheses[0];
      expect(h.links).to.be.an('array');
      expect(t.linkMethod).to.equal(spa.describe());
      expect(pharaohAlignment(t, h)).to.equal(h.links!.map(([s, g]) => `${s}-${g}`).join(' '));
      // Without attention asked for, no links are computed.
      expect(translator.translate(['Where is the cat?'])[0].hypotheses[0].links).to.equal(undefined);

      const pair = { source: 'Where is the cat?', target: '¿Dónde está el gato?' };
      const [a] = translator.align([pair]);
      expect(a.method.links).to.equal('lexicon');
      expect(a.links).to.deep.equal(spa.alignChunks(a.sourceWords, a.targetWords));
      expect(a.links).to.deep.include([3, 3]); // cat? — gato?
      expect(a.linkDescription).to.equal(spa.describe());
      const [b] = translator.align([pair], { method: { links: 'attention' } });
      expect(b.method.links).to.equal('attention');
      expect(b.links).to.have.length(b.targetWords.length); // one argmax link per target word
      expect(b.linkDescription).to.match(/got the most attention/);
    });

    it('the page and the API draw the lexicon links and say how they are made', async function () {
      this.timeout(60_000);
      const service = await InProcessService.load(dir);
      try {
        const app = createApp({ pool: service, modelInfo: loadModelInfo(service.info) });
        const html = (
          await request(app).post('/').type('form').send({ text: 'Where is the cat?', beam: '1' })
        ).text;
        expect(html).to.include(
          '<p class="hint link-method" id="link-method">Word links from a statistical word aligner (IBM Model 2',
        );
        const api = await request(app)
          .post('/api/translate')
          .send({ text: 'Where is the cat?', beam: 1, alignments: true })
          .expect(200);
        const alignment = api.body.translations[0].alignment;
        expect(alignment.links).to.equal('lexicon');
        const [t] = translator.translate(['Where is the cat?'], { withAttention: true });
        expect(alignment.pharaoh).to.equal(pharaohAlignment(t, t.hypotheses[0]));
        const check = await request(app)
          .post('/api/align')
          .send({ source: 'Where is the cat?', target: '¿Dónde está el gato?' })
          .expect(200);
        expect(check.body.method.links).to.equal('lexicon');
        expect(check.body.method.description).to.equal(spa.describe());
        expect(check.body.links).to.deep.include([3, 3]);
        const model = (await request(app).get('/model').expect(200)).text;
        expect(model).to.match(/<dd id="word-links">from a statistical word aligner kept with the model/);
      } finally {
        await service.close();
      }
    });

    it('refuses to load a folder whose lexicon.json is damaged, naming it', () => {
      fs.writeFileSync(path.join(dir, 'lexicon.json'), '{"format": "nmt-lexicon/1"}');
      expect(() => Translator.load(dir)).to.throw(
        /config\.json: lexicon "lexicon\.json": .*lexicon\.json: srcLang/,
      );
    });
  });
});

/**
 * The statistical aligner (src/lexalign/): its word rules, EM on a corpus whose dictionary is known, and,
 * where ../shared is, its AER on the Hansards test set when trained on the Tatoeba eng-fra file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { DiagonalIbm2, digamma } from '../src/lexalign/diagonal-ibm2.js';
import { alignmentWords } from '../src/lexalign/words.js';
import { corpusAer, parseLinks } from '../src/metrics/aer.js';
import { Rng } from '../src/util/rng.js';
import { runCli } from './helpers/cli.js';
import { repoRoot, requireFile, sharedDir } from './helpers/paths.js';

const HANSARDS = path.join(sharedDir, 'fixtures', 'alignment', 'hansards-en-fr');
const ENG_FRA = path.join(sharedDir, 'corpora', 'tatoeba', 'eng-fra.tsv');

describe('lexical aligner (fast_align-style IBM Model 2)', function () {
  it('splits words as the Hansards test set writes them', () => {
    expect(alignmentWords("L'avis du ministre, qu'il m'a donné aux députés.", 'fra')).to.deep.equal(
      'le avis de le ministre , que il me a donné à les députés .'.split(' '),
    );
    expect(alignmentWords("I don't think it's Tom's; we'll see!", 'eng')).to.deep.equal(
      "i do not think it 's tom 's ; we will see !".split(' '),
    );
    // Other languages: lower case and punctuation only.
    expect(alignmentWords('¿Dónde está Tom?', 'spa')).to.deep.equal(['¿', 'dónde', 'está', 'tom', '?']);
  });

  it('computes the digamma function', () => {
    expect(digamma(1)).to.be.closeTo(-0.5772156649, 1e-8);
    expect(digamma(0.5)).to.be.closeTo(-1.963510026, 1e-8);
    expect(digamma(10)).to.be.closeTo(2.2517525891, 1e-8);
  });

  it('learns a known dictionary by EM and aligns a reordered sentence it never saw', () => {
    const dictionary: Record<string, string> = {
      the: 'el',
      cat: 'gato',
      dog: 'perro',
      sees: 've',
      eats: 'come',
      big: 'grande',
      red: 'rojo',
      bird: 'pájaro',
    };
    const nouns = ['cat', 'dog', 'bird'];
    const rng = new Rng(5);
    const pick = (xs: string[]) => xs[rng.int(xs.length)];
    const pairs = Array.from({ length: 400 }, () => {
      // "the N V the N ADJ" → Spanish puts the adjective after the noun: "el N V el N ADJ" stays monotone,
      // and half the pairs put the adjective first in English ("the big cat") to teach non-diagonal links.
      const adj = pick(['big', 'red']);
      const [a, v, b] = [pick(nouns), pick(['sees', 'eats']), pick(nouns)];
      const source = rng.next() < 0.5 ? ['the', a, v, 'the', adj, b] : ['the', a, v, 'the', b, adj];
      const target = ['the', a, v, 'the', b, adj].map((w) => dictionary[w]);
      return { source, target };
    });
    const model = new DiagonalIbm2().train(pairs);
    for (const [e, f] of Object.entries(dictionary))
      expect(model.probability(e, f), `t(${f} | ${e})`).to.be.above(0.5);
    expect(model.probability('cat', 'perro')).to.be.below(0.05);
    // "the red bird sees the cat" → "el pájaro rojo ve el gato": red and bird cross.
    const links = model.align(
      ['the', 'red', 'bird', 'sees', 'the', 'cat'],
      ['el', 'pájaro', 'rojo', 've', 'el', 'gato'],
    );
    expect(links).to.deep.include.members([
      [1, 2],
      [2, 1],
      [3, 3],
      [5, 5],
    ]);
  });

  it('reaches AER 16.9% on the Hansards set with the Tatoeba eng-fra file (intersection of both directions)', async function () {
    requireFile(this, ENG_FRA);
    requireFile(this, HANSARDS);
    this.timeout(300_000);
    const r = await runCli('lexical-align', [
      '--corpus',
      ENG_FRA,
      '--src-lang',
      'eng',
      '--tgt-lang',
      'fra',
      '--input',
      path.join(HANSARDS, 'en-fr.src-tgt'),
      '--pretokenized',
      '--symmetrize',
      'intersection',
    ]);
    expect(r.code, r.stderr).to.equal(0);
    const hyp = r.stdout.split('\n').slice(0, -1);
    const gold = fs
      .readFileSync(path.join(HANSARDS, 'en-fr.gold'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => parseLinks(l, { oneBased: true, allowPossible: true }));
    expect(hyp).to.have.length(447);
    const score = corpusAer(
      hyp.map((l) => parseLinks(l).sure),
      gold,
    );
    expect(score.aer).to.be.closeTo(0.1686, 0.0005);
  });

  it('models/eng-fra reproduces its AER rows: 16.6% with its lexicon (the default), 57.8% with its guided attention', async function () {
    requireFile(this, HANSARDS);
    this.timeout(300_000);
    const gold = fs
      .readFileSync(path.join(HANSARDS, 'en-fr.gold'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => parseLinks(l, { oneBased: true, allowPossible: true }));
    const aer = async (extra: string[]) => {
      const r = await runCli('align', [
        '--model',
        path.join(repoRoot, 'models', 'eng-fra'),
        '--pretokenized',
        '--input',
        path.join(HANSARDS, 'en-fr.src-tgt'),
        ...extra,
      ]);
      expect(r.code, r.stderr).to.equal(0);
      const hyp = r.stdout.split('\n').slice(0, -1);
      expect(hyp).to.have.length(447);
      return corpusAer(
        hyp.map((l) => parseLinks(l).sure),
        gold,
      ).aer;
    };
    expect(await aer([])).to.be.closeTo(0.1659, 0.0005);
    expect(await aer(['--links', 'attention'])).to.be.closeTo(0.578, 0.002);
  });
});

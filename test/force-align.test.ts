/**
 * Forced alignment (src/translate/force-align.ts, Translator.align): teacher-forcing the model's own
 * greedy output reproduces that output's attention and log-probability; subwords map onto given words;
 * the word aggregation matches alignment.ts; no tensor outlives a call.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'chai';
import { EOS_ID } from '../src/tokenizer/special-ids.js';
import { greedySearch } from '../src/search/greedy.js';
import { argmaxLinks, pharaoh, wordAlignment } from '../src/translate/alignment.js';
import { flipLinks, symmetrize } from '../src/lexalign/symmetrize.js';
import {
  aggregateWords,
  DEFAULT_LINK_METHOD,
  describeLinkMethod,
  forceDecodeIds,
  type ForcedAlignment,
  mapPiecesToWords,
} from '../src/translate/force-align.js';
import { combineDirections } from '../src/cli/align.js';
import { segmentWords } from '../src/translate/alignment.js';
import { Translator } from '../src/translate/translator.js';
import { repoRoot } from './helpers/paths.js';
import { makeTinyModel } from './helpers/tiny-model.js';

const SENTENCES = ['The cat sleeps.', 'Where is the library?', 'I like tea.', 'Tom is here.', 'Go!'];

function expectMatrixClose(a: number[][], b: number[][], tol = 1e-5): void {
  expect(a.length).to.equal(b.length);
  a.forEach((row, i) => {
    expect(row.length, `row ${i}`).to.equal(b[i].length);
    row.forEach((x, j) => expect(x, `[${i}][${j}]`).to.be.closeTo(b[i][j], tol));
  });
}

describe('forced alignment', function () {
  describe('subwords onto given words', function () {
    it('maps by characters, ignoring case and word-start markers', function () {
      const pieces = ['▁De', '▁le', '▁Parl', 'ement', '▁.', '</s>'];
      expect(mapPiecesToWords(pieces, ['de', 'le', 'parlement', '.'])).to.deep.equal([0, 1, 2, 2, 3, -1]);
    });

    it('follows the given words, not the tokenizer words, when they differ', function () {
      // The tokenizer glued "sleeps" and "." into one word; the research data has them apart.
      const pieces = ['▁the', '▁cat', '▁sleep', 's', '.', '</s>'];
      expect(segmentWords(pieces).words).to.deep.equal(['the', 'cat', 'sleeps.']);
      expect(mapPiecesToWords(pieces, ['the', 'cat', 'sleeps', '.'])).to.deep.equal([0, 1, 2, 2, 3, -1]);
    });

    it('lets <unk> stand for one character, and falls back to markers, then to even spreading', function () {
      expect(mapPiecesToWords(['▁a', '<unk>', '▁b', '</s>'], ['a☃', 'b'])).to.deep.equal([0, 0, 1, -1]);
      // Pieces that do not spell the words (a tokenizer that rewrites text): markers still give 2 words.
      expect(mapPiecesToWords(['▁x', 'y', '▁z', '</s>'], ['aa', 'bb'])).to.deep.equal([0, 0, 1, -1]);
      // Neither: spread evenly, in order.
      expect(mapPiecesToWords(['▁x', 'y', 'z', 'w'], ['aa', 'bb'])).to.deep.equal([0, 0, 1, 1]);
    });
  });

  describe('aggregation', function () {
    it('the default method gives alignment.ts wordAlignment, matrix and links', function () {
      const src = ['▁The', '▁child', 'ren', '▁play', '.', '</s>'];
      const tgt = ['▁Los', '▁niñ', 'os', '▁jueg', 'an', '.', '</s>'];
      // A fixed pseudo-random row-stochastic attention matrix.
      let seed = 7;
      const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
      const att = tgt.map(() => {
        const r = src.map(() => rnd());
        const z = r.reduce((a, b) => a + b, 0);
        return r.map((x) => x / z);
      });
      const expected = wordAlignment(src, tgt, att);
      const s = segmentWords(src);
      const t = segmentWords(tgt);
      const m = aggregateWords(att, s.wordOf, s.words.length, t.wordOf, t.words.length, DEFAULT_LINK_METHOD);
      expectMatrixClose(m, expected.matrix, 1e-12);
      expect(argmaxLinks(m)).to.deep.equal(expected.links);
    });

    it('step "next" reads the following row; "max" takes the best piece', function () {
      const att = [
        [0.9, 0.1, 0],
        [0.2, 0.3, 0.5],
        [0, 0, 1],
      ];
      // Source words: pieces 0 and 1 form word 0, piece 2 is word 1; target pieces 0, 1 are words 0, 1.
      const own = aggregateWords(att, [0, 0, 1], 2, [0, 1, -1], 2, DEFAULT_LINK_METHOD);
      expect(own).to.deep.equal([
        [1, 0],
        [0.5, 0.5],
      ]);
      const next = aggregateWords(att, [0, 0, 1], 2, [0, 1, -1], 2, { ...DEFAULT_LINK_METHOD, step: 'next' });
      expect(next).to.deep.equal([
        [0.5, 0.5],
        [0, 1],
      ]);
      const max = aggregateWords(att, [0, 0, 1], 2, [0, 1, -1], 2, {
        ...DEFAULT_LINK_METHOD,
        sourcePieces: 'max',
      });
      expect(max[1]).to.deep.equal([0.3, 0.5]);
      expect(describeLinkMethod()).to.include('most attention');
    });
  });

  describe('with a tiny model', function () {
    let dir: string;
    let translator: Translator;

    before(async function () {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-force-align-'));
      await makeTinyModel(dir);
      translator = Translator.load(dir);
    });

    after(function () {
      translator?.dispose();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('teacher-forcing the greedy output reproduces its attention and log-probability', function () {
      const { model, srcTokenizer } = translator.loaded;
      const src = SENTENCES.map((s) => srcTokenizer.encode(s));
      const hyps = greedySearch(
        model,
        src.map((s) => [...s, EOS_ID]),
        { withAttention: true },
      );
      const forced = forceDecodeIds(
        model,
        src,
        hyps.map((h) => h.tokens),
        2, // several batches, with padding inside them
      );
      hyps.forEach((h, k) => {
        const att = h.attention as number[][];
        // Greedy rows: one per emitted token (and </s> if it stopped); forced rows: tokens + </s>.
        expect(forced[k].attention.length).to.equal(h.tokens.length + 1);
        expect(forced[k].attention[0].length).to.equal(src[k].length + 1);
        expectMatrixClose(forced[k].attention.slice(0, att.length), att);
        const lp = forced[k].logProbs.slice(0, att.length).reduce((a, b) => a + b, 0);
        expect(lp).to.be.closeTo(h.logProb, 1e-3);
      });
    });

    it('Translator.align gives word links, per-word log-probabilities and frees every tensor', function () {
      translator.align([{ source: 'warm up', target: 'hola' }]);
      const before = tf.memory().numTensors;
      const [a, b] = translator.align([
        { source: ' The  cat sleeps. ', target: 'El gato duerme.' },
        { source: 'Tom is here.', target: '' },
      ]);
      expect(tf.memory().numTensors).to.equal(before);
      expect(a.source).to.equal('The cat sleeps.');
      expect(a.sourceWords).to.deep.equal(['The', 'cat', 'sleeps.']);
      expect(a.targetWords).to.deep.equal(['El', 'gato', 'duerme.']);
      expect(a.targetTokens[a.targetTokens.length - 1]).to.equal('</s>');
      expect(a.attention.length).to.equal(a.targetTokens.length);
      expect(a.wordMatrix.length).to.equal(3);
      expect(a.links.map(([, t]) => t).sort()).to.deep.equal([0, 1, 2]);
      expect(a.pharaoh).to.match(/^(\d+-\d+ ?){3}$/);
      expect(a.tokenLogProbs.every((x) => x <= 0 && Number.isFinite(x))).to.equal(true);
      const wordSum = a.wordLogProbs.reduce((x, y) => x + y, 0) + a.endLogProb;
      expect(wordSum).to.be.closeTo(a.logProb, 1e-4);
      expect(b.targetWords).to.deep.equal([]);
      expect(b.links).to.deep.equal([]);
      expect(b.tokenLogProbs.length).to.equal(1); // </s> alone
    });

    it('pre-tokenized input keeps exactly the given words', function () {
      const [r] = translator.align([{ source: 'the cat sleeps .', target: 'el gato duerme .' }], {
        pretokenized: true,
      });
      expect(r.sourceWords).to.deep.equal(['the', 'cat', 'sleeps', '.']);
      expect(r.targetWords).to.deep.equal(['el', 'gato', 'duerme', '.']);
      expect(r.wordMatrix.map((row) => row.length)).to.deep.equal([4, 4, 4, 4]);
      // Every link indexes the given words.
      for (const [s, t] of r.links) {
        expect(s).to.be.within(0, 3);
        expect(t).to.be.within(0, 3);
      }
    });
  });

  describe('npm run align', function () {
    let dir: string;
    const run = (args: string[], input: string) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn('npx', ['tsx', 'src/cli/align.ts', '--model', dir, ...args], { cwd: repoRoot });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
        child.stdin.end(input);
      });

    before(async function () {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-align-cli-'));
      await makeTinyModel(dir);
    });
    after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

    it('writes one line of Pharaoh links per pair, from TSV or "|||" lines', async function () {
      const r = await run(
        [],
        'The cat sleeps.\tEl gato duerme.\nthe soup is hot ||| la sopa está caliente\n',
      );
      expect(r.code, r.stderr).to.equal(0);
      const lines = r.stdout.split('\n');
      expect(lines).to.have.length(3); // two pairs and the final newline
      expect(lines[0]).to.match(/^\d+-\d+ \d+-\d+ \d+-\d+$/);
      expect(lines[1]).to.match(/^(\d+-\d+ ?){4}$/);
      expect(lines[2]).to.equal('');
    });

    it('--details adds the word matrix and per-token log-probabilities; a bad line names itself', async function () {
      const r = await run(['--details', '--pretokenized'], 'the cat\tel gato\n');
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/^\d+-\d+ \d+-\d+\n# word attention ×100/);
      expect(r.stdout).to.match(/\nel +\d+ +\d+\ngato +\d+ +\d+\n/);
      expect(r.stdout).to.match(/# log p per target subword \(total -\d+\.\d{3}\): .*<\/s> -\d+\.\d{3}/);
      const bad = await run([], 'ok\tbien\nno tab here\n');
      expect(bad.code).to.equal(1);
      expect(bad.stderr).to.include('align: line 2: expected "source<TAB>target"');
    });

    it('symmetrising refuses two directions that split the texts into different words, naming the line', function () {
      const alignment = (sourceWords: string[], targetWords: string[]): ForcedAlignment => ({
        source: sourceWords.join(' '),
        target: targetWords.join(' '),
        sourceTokens: [],
        targetTokens: [],
        attention: [],
        tokenLogProbs: [],
        logProb: 0,
        sourceWords,
        targetWords,
        wordMatrix: [],
        links: [[0, 0]],
        pharaoh: '0-0',
        wordLogProbs: [],
        endLogProb: 0,
        method: DEFAULT_LINK_METHOD,
        linkDescription: '',
      });
      const forward = alignment(['the', 'cat.'], ['el', 'gato.']);
      expect(
        combineDirections(forward, alignment(['el', 'gato.'], ['the', 'cat.']), 'union', 3).pharaoh,
      ).to.equal('0-0');
      expect(() =>
        combineDirections(forward, alignment(['el', 'gato', '.'], ['the', 'cat.']), 'union', 3),
      ).to.throw(
        'line 3: the two models split the sentences into different words (2 and 2 source words, 2 and 3 target words); use --pretokenized',
      );
    });

    it('--reverse-model symmetrises: the links equal symmetrize() of the two directions run apart', async function () {
      const pairs = 'the cat sleeps\tel gato duerme\nthe soup is hot\tla sopa está caliente\n';
      const swapped = 'el gato duerme\tthe cat sleeps\nla sopa está caliente\tthe soup is hot\n';
      const parse = (out: string) =>
        out
          .trim()
          .split('\n')
          .map((line) => line.split(' ').map((l) => l.split('-').map(Number) as [number, number]));
      const forward = parse((await run(['--pretokenized'], pairs)).stdout);
      const backward = parse((await run(['--pretokenized'], swapped)).stdout);
      for (const method of ['intersection', 'grow-diag-final'] as const) {
        const r = await run(['--pretokenized', '--reverse-model', dir, '--symmetrize', method], pairs);
        expect(r.code, r.stderr).to.equal(0);
        const expected = forward.map((f, k) => pharaoh(symmetrize(f, flipLinks(backward[k]), method)));
        expect(r.stdout.trim().split('\n'), method).to.deep.equal(expected);
      }
    });
  });

  describe('with the shipped model', function () {
    const MODEL = path.join(repoRoot, 'models/eng-spa');
    let translator: Translator;

    before(function () {
      if (!fs.existsSync(path.join(MODEL, 'weights.bin'))) this.skip();
      translator = Translator.load(MODEL);
    });
    after(() => translator?.dispose());

    it("aligning the model's own translation gives the page's matrix and links", function () {
      const source = 'The children are playing in the garden.';
      const [t] = translator.translate([source], { withAttention: true });
      const h = t.hypotheses[0];
      const [a] = translator.align([{ source, target: h.text }]);
      // Holds when the decoded text re-encodes to the same subwords (BPE usually does).
      expect(a.targetTokens.slice(0, -1)).to.deep.equal(h.tokens);
      expectMatrixClose(a.attention, h.attention as number[][], 1e-4);
      const page = wordAlignment(t.sourceTokens as string[], h.tokens as string[], h.attention as number[][]);
      expectMatrixClose(a.wordMatrix, page.matrix, 1e-4);
      // The shipped folder has a lexicon: the page and the alignment both take its links; the attention's
      // own links (argmax) agree as well when asked for.
      expect(h.links).to.be.an('array');
      expect(a.links).to.deep.equal(h.links);
      const [byAttention] = translator.align([{ source, target: h.text }], {
        method: { links: 'attention' },
      });
      expect(byAttention.links).to.deep.equal(page.links);
      expect(a.logProb).to.be.closeTo(h.logProb, 1e-3);
      // A wrong word is less likely than the model's own choice there.
      const words = h.text.split(' ');
      const [bad] = translator.align([{ source, target: ['Los', 'perros', ...words.slice(2)].join(' ') }]);
      expect(bad.wordLogProbs[1]).to.be.lessThan(a.wordLogProbs[1]);
    });

    it('re-cases a side written in one case, keeping the given words (lower-cased research data)', function () {
      const cased = { source: 'Where is the library?', target: '¿Dónde está la biblioteca?' };
      const lower = { source: cased.source.toLowerCase(), target: cased.target.toLowerCase() };
      const [c] = translator.align([cased]);
      for (const pretokenized of [false, true]) {
        const [l] = translator.align([lower], { pretokenized });
        expect(l.recased).to.deep.equal(cased);
        expect(l.sourceWords).to.deep.equal(lower.source.split(' '));
        expect(l.targetWords).to.deep.equal(lower.target.split(' '));
        expect(l.sourceTokens).to.deep.equal(c.sourceTokens);
        expectMatrixClose(l.wordMatrix, c.wordMatrix, 1e-5);
        expect(l.links).to.deep.equal(c.links);
      }
      const [asGiven] = translator.align([lower], { recase: false });
      expect(asGiven.recased).to.equal(undefined);
      expect(asGiven.sourceTokens).not.to.deep.equal(c.sourceTokens);
      expect(c.recased).to.equal(undefined);
    });
  });
});

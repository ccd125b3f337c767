/** Forward translation: choosing the sentences, filtering the model's pairs, and the CLI end to end. */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { dropReason, selectSources, sourceKey } from '../src/data/forward-translation.js';
import { NameSwapper } from '../src/train/name-swap.js';

const run = promisify(execFile);

/** `npm run forward-translate` with the shipped model on `sources`, skipping `skip`, writing `out`. */
function forwardTranslate(sources: string, skip: string, out: string, extra: string[] = []) {
  const args = ['tsx', 'src/cli/forward-translate.ts', '--model', 'models/eng-spa'];
  return run('npx', [...args, '--sources', sources, '--skip', skip, '--out', out, ...extra], {
    env: { ...process.env, NMT_LOG_LEVEL: 'info' },
  });
}

describe('forward translation (self-training data)', () => {
  it('selects distinct sources (case and spacing ignored), never a source of the skipped pairs, none too long', () => {
    const candidates = [
      'Tom is here.',
      'tom  is HERE.',
      'Where is it?',
      'A very long sentence indeed.',
      'Hi.',
    ];
    const skip = [{ src: 'WHERE is it?', tgt: '¿Dónde está?' }];
    const s = selectSources(candidates, skip, { maxChars: 20, seed: 1 });
    expect([...s.sources].sort()).to.deep.equal(['Hi.', 'Tom is here.']);
    expect({ read: s.read, duplicates: s.duplicates, skipped: s.skipped, tooLong: s.tooLong }).to.deep.equal({
      read: 5,
      duplicates: 1,
      skipped: 1,
      tooLong: 1,
    });
    expect(sourceKey(' Tom\u00a0 is here. ')).to.equal('tom is here.');
  });

  it('a limit takes a seeded random choice: the same sentences for the same seed', () => {
    const candidates = Array.from({ length: 100 }, (_, i) => `Sentence ${i}.`);
    const a = selectSources(candidates, [], { maxChars: 200, limit: 10, seed: 7 }).sources;
    const b = selectSources(candidates, [], { maxChars: 200, limit: 10, seed: 7 }).sources;
    const c = selectSources(candidates, [], { maxChars: 200, limit: 10, seed: 8 }).sources;
    expect(a).to.have.length(10);
    expect(b).to.deep.equal(a);
    expect(c).to.not.deep.equal(a);
    expect(a).to.not.deep.equal(candidates.slice(0, 10));
  });

  it('drops empty, copied, odd-length, looping outputs and those that lost a name or number of the source', () => {
    // "Ingrid" is a name (never written in lower case); "Where" and "I" are not names.
    const names = NameSwapper.fromPairs([
      { src: 'Ingrid is here.', tgt: 'Ingrid está aquí.' },
      { src: 'Where is Ingrid?', tgt: '¿Dónde está Ingrid?' },
      { src: 'I know where.', tgt: 'Sé dónde.' },
    ]);
    const cases: [string, string, string | undefined][] = [
      ['Ingrid has 3 cats.', 'Ingrid tiene 3 gatos.', undefined],
      ['I know where Ingrid is.', 'Sé dónde está Ingrid.', undefined],
      ['Ingrid has 3 cats.', '  ', 'empty'],
      ['Ingrid has 3 cats.', 'ingrid has 3  CATS.', 'copy'],
      ['Ingrid has 3 cats.', 'Ingrid 3.', 'length ratio'],
      [
        'Ingrid has 3 cats and two dogs at home.',
        'Ingrid tiene 3 gatos gatos gatos y dos perros.',
        'repetition',
      ],
      ['Ingrid has 3 cats.', 'La vida tiene 3 gatos.', 'lost a name or number'],
      ['Ingrid has 3 cats.', 'Ingrid tiene tres gatos.', 'lost a name or number'],
    ];
    for (const [src, out, why] of cases) expect(dropReason(src, out, names), `${src} → ${out}`).to.equal(why);
  });

  it('npm run forward-translate writes the kept pairs as a TSV and says what it left out', async function () {
    this.timeout(120_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-forward-'));
    try {
      const sources = path.join(dir, 'sources.tsv');
      const skip = path.join(dir, 'train.tsv');
      const out = path.join(dir, 'synthetic', 'synth.tsv');
      fs.writeFileSync(
        sources,
        [
          'Tom is here.\tx',
          'Where is the station?\tx',
          'TOM is here.\tx',
          'I have 3 cats.\tx',
          'Hello.\tx',
          '',
        ].join('\n'),
      );
      // The skipped pairs are also where names are learnt: "where" in lower case makes "Where" a word.
      fs.writeFileSync(skip, 'Hello.\tHola.\nI know where it is.\tSé dónde está.\n');
      const { stderr } = await forwardTranslate(sources, skip, out, ['--beam', '1', '--workers', '1']);
      const rows = fs
        .readFileSync(out, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t'));
      expect(rows.map((r) => r[0]).sort()).to.deep.equal([
        'I have 3 cats.',
        'Tom is here.',
        'Where is the station?',
      ]);
      for (const r of rows) expect(r, r.join(' | ')).to.have.length(2);
      expect(Object.fromEntries(rows)['I have 3 cats.']).to.match(/\b3\b/);
      expect(stderr).to.include(
        '5 sentences read: 1 duplicates, 1 sources of --skip files, 0 longer than 200',
      );
      expect(stderr).to.include(`${out}: 3 pairs kept; dropped: none`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to run with nothing left to translate, saying so', async function () {
    this.timeout(60_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-forward-'));
    try {
      const sources = path.join(dir, 'sources.txt');
      fs.writeFileSync(sources, 'Hello.\n\n');
      const skip = path.join(dir, 'train.tsv');
      fs.writeFileSync(skip, 'Hello.\tHola.\n');
      const err = await forwardTranslate(sources, skip, path.join(dir, 'out.tsv')).then(
        () => undefined,
        (e: { stderr: string; code: number }) => e,
      );
      expect(err?.code).to.equal(1);
      expect(err?.stderr).to.include('forward-translate: no sentence left to translate');
      expect(fs.existsSync(path.join(dir, 'out.tsv'))).to.equal(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

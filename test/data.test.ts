import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { digitRuns, filterPairs, keepsSourceNumbers } from '../src/data/clean.js';
import { loadCorpus, registerCorpusSource } from '../src/data/corpus.js';
import { normalizeText, readMoses, readTsv } from '../src/data/readers.js';
import { Rng } from '../src/util/rng.js';
import { splitCorpus } from '../src/data/split.js';
import { CorpusError, type SentencePair } from '../src/data/types.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const samplePath = join(repoRoot, 'corpora', 'sample.eng-spa.tsv');
const tatoebaSpa = join(repoRoot, '..', 'shared', 'corpora', 'tatoeba', 'eng-spa.tsv');

let tmp: string;
let fileCounter = 0;

/** Writes `content` to a fresh file in the test's temp dir and returns its path. */
function writeTemp(content: string | Uint8Array, name = `f${fileCounter++}.tsv`): string {
  const file = join(tmp, name);
  writeFileSync(file, content);
  return file;
}

function pair(src: string, tgt: string): SentencePair {
  return { src, tgt };
}

/** Asserts `fn` throws a CorpusError whose message starts with `prefix` and matches `pattern`. */
function expectCorpusError(fn: () => unknown, prefix: string, pattern: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a CorpusError').to.be.instanceOf(CorpusError);
  const message = (caught as CorpusError).message;
  expect(message.startsWith(prefix), `"${message}" should start with "${prefix}"`).to.equal(true);
  expect(message).to.match(pattern);
}

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'nmt-data-test-'));
});

after(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('normalizeText', () => {
  it('collapses every kind of whitespace run to one ASCII space and trims', () => {
    expect(normalizeText('  Hola\t\tmundo \n')).to.equal('Hola mundo');
    expect(normalizeText('a\u00a0b\u2003c\u3000d\u202fe\u0085f\u2028g')).to.equal('a b c d e f g');
    expect(normalizeText('a \r\n b')).to.equal('a b');
  });

  it('applies NFC', () => {
    const decomposed = 'Jose\u0301 cafe\u0301';
    expect(normalizeText(decomposed)).to.equal('José café');
    expect(normalizeText(decomposed)).to.equal('Jos\u00e9 caf\u00e9');
  });

  it('removes control and zero-width characters', () => {
    expect(normalizeText('a\u0000b\u0007c\u007fd\u009be')).to.equal('abcde');
    expect(normalizeText('\ufeffhe\u200bllo\u2060 wor\u200eld')).to.equal('hello world');
    // Removal happens before NFC, so a zero-width space cannot keep a letter and its accent apart.
    expect(normalizeText('e\u200b\u0301')).to.equal('\u00e9');
  });

  it('keeps the rest of the text unchanged, including ZWJ/ZWNJ, case, punctuation and emoji', () => {
    expect(normalizeText('¿Dónde está «Tom»? ¡AQUÍ!')).to.equal('¿Dónde está «Tom»? ¡AQUÍ!');
    expect(normalizeText('می\u200cخواهم')).to.equal('می\u200cخواهم');
    const family = '\u{1F468}\u200d\u{1F469}\u200d\u{1F467}';
    expect(normalizeText(` ${family} `)).to.equal(family);
  });

  it('returns an empty string for whitespace and invisible characters only', () => {
    expect(normalizeText(' \t\u200b\u00a0\n')).to.equal('');
  });

  it('is idempotent', () => {
    for (const s of ['  a\u00a0\u0301b\t\u200b c ', 'x\u0000 \u0085y', 'Jose\u0301']) {
      expect(normalizeText(normalizeText(s))).to.equal(normalizeText(s));
    }
  });
});

describe('readTsv', () => {
  it('reads the sample file with origins', () => {
    const pairs = readTsv(samplePath);
    expect(pairs.length).to.be.within(25, 40);
    expect(pairs[0]).to.deep.equal({
      src: 'The cat sleeps.',
      tgt: 'El gato duerme.',
      origin: { file: samplePath, line: 1 },
    });
  });

  it('accepts 2 and 3 columns, cleans whitespace, and swaps with reverse', () => {
    const file = writeTemp(
      '  Hello\u00a0 there \tHola\nBye\tAdiós\tCC-BY 2.0 (France) Attribution: tatoeba.org\n',
    );
    expect(readTsv(file).map((p) => [p.src, p.tgt])).to.deep.equal([
      ['Hello there', 'Hola'],
      ['Bye', 'Adiós'],
    ]);
    expect(readTsv(file, { reverse: true }).map((p) => [p.src, p.tgt])).to.deep.equal([
      ['Hola', 'Hello there'],
      ['Adiós', 'Bye'],
    ]);
  });

  it('accepts CRLF line ends, a UTF-8 BOM and a missing final newline', () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const file = writeTemp(Buffer.concat([bom, Buffer.from('Hi\tHola\r\nYes\tSí\r\n')]));
    const pairs = readTsv(file);
    expect(pairs.map((p) => [p.src, p.tgt])).to.deep.equal([
      ['Hi', 'Hola'],
      ['Yes', 'Sí'],
    ]);
    expect(pairs[1].origin).to.deep.equal({ file, line: 2 });
    expect(readTsv(writeTemp('Hi\tHola'))).to.have.length(1);
  });

  it('rejects a missing file', () => {
    const file = join(tmp, 'does-not-exist.tsv');
    expectCorpusError(() => readTsv(file), `${file}: `, /cannot read corpus file: no such file/);
  });

  it('rejects a directory', () => {
    expectCorpusError(() => readTsv(tmp), `${tmp}: `, /cannot read corpus file: is a directory/);
  });

  it('rejects an empty file, also one with only a BOM or blank lines', () => {
    for (const content of ['', '\ufeff', '\n\n', ' \r\n']) {
      const file = writeTemp(content);
      expectCorpusError(() => readTsv(file), `${file}: `, /empty file/);
    }
  });

  it('rejects a line with the wrong column count, saying how many it found', () => {
    const one = writeTemp('Hi\tHola\nno tab here\n');
    expectCorpusError(() => readTsv(one), `${one}:2: `, /found 1 column, expected 2 or 3.*no tab found/);
    const four = writeTemp('Hi\tHola\nYes\tSí\ta\tb\n');
    expectCorpusError(() => readTsv(four), `${four}:2: `, /found 4 columns, expected 2 or 3/);
  });

  it('rejects an empty side after clean-up, saying which side', () => {
    const src = writeTemp('Hi\tHola\n \u00a0\tVacío\n');
    expectCorpusError(() => readTsv(src), `${src}:2: `, /empty source side \(column 1\)/);
    const tgt = writeTemp('Hi\tHola\nEmpty\t\u200b\tattribution\n');
    expectCorpusError(() => readTsv(tgt), `${tgt}:2: `, /empty target side \(column 2\)/);
    // With reverse, the source is column 2.
    expectCorpusError(() => readTsv(tgt, { reverse: true }), `${tgt}:2: `, /empty source side \(column 2\)/);
  });

  it('rejects blank lines except the trailing newline', () => {
    const middle = writeTemp('Hi\tHola\n\nYes\tSí\n');
    expectCorpusError(() => readTsv(middle), `${middle}:2: `, /blank line/);
    const spaces = writeTemp('Hi\tHola\n   \r\nYes\tSí\n');
    expectCorpusError(() => readTsv(spaces), `${spaces}:2: `, /blank line/);
    const twoAtEnd = writeTemp('Hi\tHola\n\n');
    expectCorpusError(() => readTsv(twoAtEnd), `${twoAtEnd}:2: `, /blank line/);
  });

  it('rejects invalid UTF-8 with its line number', () => {
    const file = writeTemp(Buffer.concat([Buffer.from('Hi\tHola\n'), Buffer.from([0x66, 0xff, 0x0a])]));
    expectCorpusError(() => readTsv(file), `${file}:2: `, /invalid UTF-8/);
    const latin1 = writeTemp(Buffer.from('Hi\tHola\nYes\tS\xed\n', 'latin1'));
    expectCorpusError(() => readTsv(latin1), `${latin1}:2: `, /invalid UTF-8/);
  });
});

describe('readMoses', () => {
  it('reads line-aligned files, with origins in the source file', () => {
    const en = writeTemp('Hello\r\nGood  night\n', 'ok.en');
    const es = writeTemp('\ufeffHola\nBuenas noches', 'ok.es');
    expect(readMoses(en, es)).to.deep.equal([
      { src: 'Hello', tgt: 'Hola', origin: { file: en, line: 1 } },
      { src: 'Good night', tgt: 'Buenas noches', origin: { file: en, line: 2 } },
    ]);
  });

  it('rejects different line counts, naming both files and both counts', () => {
    const en = writeTemp('a\nb\nc\n', 'count.en');
    const es = writeTemp('a\nb\n', 'count.es');
    expectCorpusError(
      () => readMoses(en, es),
      `${en}: `,
      new RegExp(`${escapeRegExp(en)} has 3 lines but ${escapeRegExp(es)} has 2 lines`),
    );
  });

  it('rejects an empty line on either side with file:line', () => {
    const en = writeTemp('a\n \nc\n', 'blank.en');
    const es = writeTemp('a\nb\n\n', 'blank.es');
    const full = writeTemp('a\nb\nc\n', 'full.x');
    expectCorpusError(() => readMoses(en, full), `${en}:2: `, /empty line/);
    expectCorpusError(() => readMoses(full, es), `${es}:3: `, /empty line/);
  });

  it('rejects invalid UTF-8, empty and missing files', () => {
    const ok = writeTemp('a\nb\n', 'ok2.en');
    const bad = writeTemp(Buffer.from([0x61, 0x0a, 0x66, 0xff, 0x0a]), 'bad.es');
    expectCorpusError(() => readMoses(ok, bad), `${bad}:2: `, /invalid UTF-8/);
    const empty = writeTemp('', 'empty.es');
    expectCorpusError(() => readMoses(ok, empty), `${empty}: `, /empty file/);
    const missing = join(tmp, 'missing.es');
    expectCorpusError(() => readMoses(ok, missing), `${missing}: `, /no such file/);
  });
});

describe('loadCorpus', () => {
  it('loads a .tsv file and a source,target Moses pair', () => {
    expect(loadCorpus(samplePath)).to.deep.equal(readTsv(samplePath));
    const en = writeTemp('Hello\n', 'load.en');
    const es = writeTemp('Hola\n', 'load.es');
    expect(loadCorpus(`${en},${es}`).map((p) => [p.src, p.tgt])).to.deep.equal([['Hello', 'Hola']]);
    expect(loadCorpus(`${en},${es}`, { reverse: true }).map((p) => [p.src, p.tgt])).to.deep.equal([
      ['Hola', 'Hello'],
    ]);
  });

  it('rejects unknown or malformed specs with a CorpusError', () => {
    expectCorpusError(() => loadCorpus('corpus.json'), 'corpus.json: ', /unknown corpus spec/);
    expectCorpusError(() => loadCorpus('a.en,b.es,c.de'), 'a.en,b.es,c.de: ', /exactly two files/);
    expectCorpusError(() => loadCorpus('nosuch:thing'), 'nosuch:thing: ', /no corpus source is registered/);
    const missing = join(tmp, 'missing.tsv');
    expectCorpusError(() => loadCorpus(missing), `${missing}: `, /no such file/);
  });

  it('consults registered sources first, and registrations can be removed', () => {
    const unregister = registerCorpusSource('testsrc:', (rest, opts) => [
      pair(rest, opts.reverse ? 'reversed' : 'forward'),
    ]);
    try {
      expect(loadCorpus('testsrc:abc')).to.deep.equal([pair('abc', 'forward')]);
      expect(loadCorpus('TestSrc:x.tsv', { reverse: true })).to.deep.equal([pair('x.tsv', 'reversed')]);
      expect(() => registerCorpusSource('testsrc:', () => [])).to.throw(/already registered/);
    } finally {
      unregister();
    }
    expect(() => loadCorpus('testsrc:abc')).to.throw(CorpusError, /no corpus source is registered/);
    expect(() => registerCorpusSource('nocolon', () => [])).to.throw(/must look like 'name:'/);
  });
});

describe('keepsSourceNumbers (--drop-changed-numbers)', () => {
  it('finds the runs of digits, groups and time parts each a run', () => {
    expect(digitRuns('$1,250 at 10:30, room ٣4')).to.deep.equal(['1', '250', '10', '30', '٣4']);
    expect(digitRuns('no digits')).to.deep.equal([]);
  });

  it('keeps a pair whose target writes every number of its source, and only such pairs', () => {
    expect(keepsSourceNumbers(pair('Meet me at 7:00.', 'Veámonos a las 7:00.'))).to.equal(true);
    expect(keepsSourceNumbers(pair('I was born in 1990.', 'Nací en 1990, en mayo.'))).to.equal(true);
    expect(keepsSourceNumbers(pair('Hi.', 'Hola, 3 veces.'))).to.equal(true); // numbers only the target has
    expect(keepsSourceNumbers(pair("I'm 19.", 'Tengo diecinueve.'))).to.equal(false);
    expect(keepsSourceNumbers(pair("It's 3:10.", 'Son las tres y diez.'))).to.equal(false);
    expect(keepsSourceNumbers(pair('At 2:30.', 'A las 2:45.'))).to.equal(false);
    expect(keepsSourceNumbers(pair('1,099 cases', '1099 casos'))).to.equal(false);
  });
});

describe('filterPairs', () => {
  const pairs = [
    pair('Hi.', 'Hola.'),
    pair('A very long sentence indeed.', 'Una frase muy larga de verdad.'),
    pair('Yes.', 'Sí, claro que sí, por supuesto.'),
    pair('Hi.', 'Hola.'),
    pair('Hi.', 'Buenas.'),
    pair('', 'xyzw'),
  ];

  it('keeps everything when no filter is set', () => {
    const { kept, dropped } = filterPairs(pairs, {});
    expect(kept).to.deep.equal(pairs);
    expect(dropped).to.deep.equal({ tooLong: 0, badRatio: 0, duplicate: 0 });
  });

  it('counts each dropped pair once, under the first filter it fails', () => {
    const { kept, dropped } = filterPairs(pairs, { maxChars: 20, maxRatio: 3, dedupe: true });
    expect(kept).to.deep.equal([pair('Hi.', 'Hola.'), pair('Hi.', 'Buenas.')]);
    // 'Yes.' → 'Sí, claro…' is both too long and badly proportioned: it counts as tooLong only.
    // '' → 'xyzw' has ratio 4 / max(1, 0) = 4.
    expect(dropped).to.deep.equal({ tooLong: 2, badRatio: 1, duplicate: 1 });
  });

  it('computes the ratio on characters as max/max(1,min)', () => {
    const { kept, dropped } = filterPairs(
      [pair('ab', 'abcd'), pair('ab', 'abcde'), pair('', 'abc'), pair('\u{1F600}\u{1F600}', 'abcd')],
      { maxRatio: 2 },
    );
    // The emoji pair is 2 characters (4 UTF-16 units) against 4: ratio 2, kept.
    expect(kept.map((p) => p.tgt)).to.deep.equal(['abcd', 'abcd']);
    expect(dropped.badRatio).to.equal(2);
  });

  it('counts maxChars in characters, not UTF-16 units', () => {
    const { dropped } = filterPairs([pair('\u{1F600}'.repeat(3), 'abc'), pair('abcd', 'abc')], {
      maxChars: 3,
    });
    expect(dropped.tooLong).to.equal(1);
  });

  it('treats (src, tgt) as one key when deduplicating', () => {
    const { kept, dropped } = filterPairs([pair('ab', 'c'), pair('a', 'bc'), pair('ab', 'c')], {
      dedupe: true,
    });
    expect(kept).to.have.length(2);
    expect(dropped.duplicate).to.equal(1);
  });

  it('rejects nonsensical options', () => {
    expect(() => filterPairs(pairs, { maxChars: 0 })).to.throw(RangeError);
    expect(() => filterPairs(pairs, { maxRatio: 0.5 })).to.throw(RangeError);
    expect(() => filterPairs(pairs, { maxRatio: Number.NaN })).to.throw(RangeError);
  });
});

describe('splitCorpus', () => {
  /** 300 pairs over 100 sources with 1–5 translations each. */
  function syntheticPairs(): SentencePair[] {
    const rng = new Rng(7);
    const out: SentencePair[] = [];
    for (let s = 0; out.length < 300; s++) {
      const n = 1 + rng.int(5);
      for (let t = 0; t < n && out.length < 300; t++) out.push(pair(`source ${s}`, `target ${s}.${t}`));
    }
    return out;
  }

  function sourcesOf(split: SentencePair[]): Set<string> {
    return new Set(split.map((p) => p.src));
  }

  it('is deterministic for a seed and differs between seeds', () => {
    const pairs = syntheticPairs();
    const a = splitCorpus(pairs, { seed: 1, validSize: 30, testSize: 30 });
    const b = splitCorpus(pairs, { seed: 1, validSize: 30, testSize: 30 });
    const c = splitCorpus(pairs, { seed: 2, validSize: 30, testSize: 30 });
    expect(a).to.deep.equal(b);
    expect(a.test).to.not.deep.equal(c.test);
  });

  it('keeps every pair exactly once and never shares a source between splits', () => {
    const pairs = syntheticPairs();
    const { train, valid, test } = splitCorpus(pairs, { seed: 3, validSize: 40, testSize: 50 });
    expect(train.length + valid.length + test.length).to.equal(pairs.length);
    expect(new Set([...train, ...valid, ...test])).to.have.property('size', pairs.length);
    const [tr, va, te] = [sourcesOf(train), sourcesOf(valid), sourcesOf(test)];
    for (const s of te) expect(tr.has(s) || va.has(s), s).to.equal(false);
    for (const s of va) expect(tr.has(s), s).to.equal(false);
  });

  it('fills whole groups until each size is reached', () => {
    const pairs = syntheticPairs();
    const { valid, test } = splitCorpus(pairs, { seed: 4, validSize: 40, testSize: 50 });
    // At most one group (≤ 5 pairs) past the requested size.
    expect(test.length).to.be.within(50, 54);
    expect(valid.length).to.be.within(40, 44);
    const empty = splitCorpus(pairs, { seed: 4, validSize: 0, testSize: 0 });
    expect(empty.train).to.have.length(300);
    expect(empty.valid).to.have.length(0);
  });

  it('keeps all translations of a sample sentence together', () => {
    const pairs = readTsv(samplePath);
    for (let seed = 0; seed < 20; seed++) {
      const { train, valid, test } = splitCorpus(pairs, { seed, validSize: 3, testSize: 3 });
      for (const split of [train, valid, test]) {
        const kind = split.filter((p) => p.src === 'You are very kind.').length;
        expect(kind === 0 || kind === 3, `seed ${seed}`).to.equal(true);
      }
    }
  });

  it('rejects bad sizes and splits that leave no training data', () => {
    const pairs = syntheticPairs();
    expect(() => splitCorpus(pairs, { seed: 1, validSize: -1, testSize: 0 })).to.throw(
      RangeError,
      /validSize/,
    );
    expect(() => splitCorpus(pairs, { seed: 1, validSize: 0, testSize: 1.5 })).to.throw(
      RangeError,
      /testSize/,
    );
    expect(() => splitCorpus(pairs, { seed: 1, validSize: 150, testSize: 150 })).to.throw(
      RangeError,
      /no training/,
    );
    expect(splitCorpus([], { seed: 1, validSize: 0, testSize: 0 })).to.deep.equal({
      train: [],
      valid: [],
      test: [],
    });
  });
});

describe('readers survive random damage', () => {
  const MUTATIONS = 200;

  /** One random edit: flip a byte, insert a tab, CR or invalid byte, or delete a newline. */
  function damage(bytes: number[], rng: Rng): void {
    const at = rng.int(bytes.length + 1);
    switch (rng.int(5)) {
      case 0:
        if (bytes.length > 0) bytes[Math.min(at, bytes.length - 1)] = rng.int(256);
        break;
      case 1:
        bytes.splice(at, 0, 0x09);
        break;
      case 2: {
        const newline = bytes.indexOf(0x0a, at);
        if (newline !== -1) bytes.splice(newline, 1);
        break;
      }
      case 3:
        bytes.splice(at, 0, rng.int(2) === 0 ? 0x0d : 0x0a);
        break;
      default:
        bytes.splice(at, 0, 0x80 + rng.int(128));
    }
  }

  /** Runs `fn`; a CorpusError that names the file (or a line) is fine, anything else fails the test. */
  function expectOnlyCorpusErrors(fn: () => unknown, files: string[], label: string): boolean {
    try {
      fn();
      return true;
    } catch (err) {
      if (!(err instanceof CorpusError))
        throw new Error(`${label}: unexpected ${String(err)}`, { cause: err });
      const namesFile = files.some((f) => err.message.includes(f));
      expect(/:\d+: /.test(err.message) || namesFile, `${label}: ${err.message}`).to.equal(true);
      return false;
    }
  }

  it(`only ever throws CorpusError, over ${MUTATIONS} damaged copies of the sample`, () => {
    const original = [...readFileSync(samplePath)];
    const rng = new Rng(12345);
    let succeeded = 0;
    for (let i = 0; i < MUTATIONS; i++) {
      const bytes = [...original];
      const edits = 1 + rng.int(4);
      for (let e = 0; e < edits; e++) damage(bytes, rng);
      const tsv = writeTemp(Uint8Array.from(bytes), `damaged-${i}.tsv`);
      if (expectOnlyCorpusErrors(() => readTsv(tsv), [tsv], `tsv #${i}`)) succeeded++;
      expectOnlyCorpusErrors(() => loadCorpus(tsv, { reverse: true }), [tsv], `loadCorpus #${i}`);
      // Use the damaged file as one side of a Moses pair, against an undamaged one.
      const moses = writeTemp(Uint8Array.from(bytes), `damaged-${i}.es`);
      expectOnlyCorpusErrors(() => readMoses(samplePath, moses), [samplePath, moses], `moses #${i}`);
    }
    // Some damage (e.g. a flipped letter) is harmless; make sure the test exercised both outcomes.
    expect(succeeded).to.be.greaterThan(0).and.lessThan(MUTATIONS);
  });
});

describe('real Tatoeba eng-spa corpus', function () {
  before(function () {
    if (!existsSync(tatoebaSpa)) {
      console.log(
        `    (skipped: ${tatoebaSpa} not found; it lives outside the project in ../shared/corpora)`,
      );
      this.skip();
    }
  });

  it('reads all 118964 pairs and splits them with no English sentence in both train and test', () => {
    const t0 = performance.now();
    const pairs = readTsv(tatoebaSpa);
    const t1 = performance.now();
    const { kept, dropped } = filterPairs(pairs, { maxChars: 200, maxRatio: 4, dedupe: true });
    const t2 = performance.now();
    const { train, valid, test } = splitCorpus(kept, { seed: 1, validSize: 2000, testSize: 2000 });
    const t3 = performance.now();

    expect(pairs).to.have.length(118964);
    expect(pairs[0]).to.deep.equal({ src: 'Go.', tgt: 'Ve.', origin: { file: tatoebaSpa, line: 1 } });
    expect(train.length + valid.length + test.length).to.equal(kept.length);
    expect(test.length).to.be.at.least(2000);
    const trainSources = new Set(train.map((p) => p.src));
    expect(test.filter((p) => trainSources.has(p.src))).to.have.length(0);
    expect(valid.filter((p) => trainSources.has(p.src))).to.have.length(0);

    const ms = (a: number, b: number) => `${Math.round(b - a)} ms`;
    console.log(
      `      eng-spa: read ${ms(t0, t1)}, filter ${ms(t1, t2)} (dropped ${JSON.stringify(dropped)}), ` +
        `split ${ms(t2, t3)}; train/valid/test ${train.length}/${valid.length}/${test.length}`,
    );
  });
});

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

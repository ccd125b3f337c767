/**
 * The robustness set of `npm run bench:robust` (src/bench/robust-set.ts): what it writes and how it
 * decides that a name or number came through.
 */
import { expect } from 'chai';
import {
  KEEP_KINDS,
  PLACE_NAMES,
  keepKind,
  keptCount,
  robustnessSet,
  variantText,
} from '../src/bench/robust-set.js';

describe('robustness set (bench:robust)', () => {
  it('writes at least 200 distinct sentences, the same for the same seed, each carrying its names and numbers', () => {
    const items = robustnessSet(250);
    expect(items).to.have.length(250);
    expect(new Set(items.map((i) => i.text)).size).to.equal(250);
    expect(robustnessSet(250, 2026)).to.deep.equal(items);
    expect(robustnessSet(250, 7)).to.not.deep.equal(items);
    for (const it of items) for (const k of it.keep) expect(it.text, k).to.contain(k);
    expect(items.reduce((n, it) => n + it.keep.length, 0)).to.equal(466);
  });

  it('tells names, numbers, times and phone numbers apart, and the set has each kind', () => {
    expect(['Olga Petrova', 'Liam O’Connor', '1999', '25', '10:30', '555-1234'].map(keepKind)).to.deep.equal([
      'name',
      'name',
      'number',
      'number',
      'time',
      'phone',
    ]);
    const kinds = robustnessSet(250).flatMap((it) => it.keep.map(keepKind));
    for (const kind of KEEP_KINDS) expect(kinds, kind).to.include(kind);
  });

  it('types the variants users type', () => {
    expect(variantText('Olga visited Seoul in 1999.', 'no-punctuation')).to.equal(
      'Olga visited Seoul in 1999',
    );
    expect(variantText('Olga visited Seoul in 1999.', 'upper')).to.equal('OLGA VISITED SEOUL IN 1999.');
    expect(variantText('Olga visited Seoul in 1999.', 'lower')).to.equal('olga visited seoul in 1999.');
  });

  it('counts a name or number as kept only whole and, for normal-case input, in its case', () => {
    const keep = ['Olga Petrova', '1999', 'Seoul'];
    expect(keptCount('Olga Petrova visitó Seoul en 1999.', keep, 'normal')).to.equal(3);
    // "19990" is not "1999"; "olga petrova" is not kept from normal-case input.
    expect(keptCount('olga petrova visitó Seoul en 19990.', keep, 'normal')).to.equal(1);
    // From lower- or upper-case input the case of the output is not held against it.
    expect(keptCount('Olga Petrova visitó SEOUL en 1999.', keep, 'upper')).to.equal(3);
  });

  it("counts the target language's own name of a place as kept, and only with the alternatives given", () => {
    const keep = ['Germany', 'Lisbon', '2015'];
    const out = 'Fue de Alemania a Lisboa en 2015.';
    expect(keptCount(out, keep, 'normal', PLACE_NAMES.spa)).to.equal(3);
    expect(keptCount(out, keep, 'normal')).to.equal(1);
    expect(keptCount('ALEMANIA', ['Germany'], 'upper', PLACE_NAMES.spa)).to.equal(1);
    // An exonym of another language does not count.
    expect(keptCount('Allemagne', ['Germany'], 'normal', PLACE_NAMES.spa)).to.equal(0);
    // Every place with an exonym is one the set uses.
    const places = new Set(robustnessSet(250).flatMap((it) => it.keep));
    for (const names of Object.values(PLACE_NAMES))
      for (const place of Object.keys(names)) expect(places, place).to.include(place);
  });
});

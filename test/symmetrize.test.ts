/**
 * src/translate/symmetrize.ts: intersection, union, grow-diag, grow-diag-final(-and) on alignments worked
 * out by hand with Koehn's procedure.
 */
import { expect } from 'chai';

import { flipLinks, symmetrize, SYMMETRIZATIONS, type Link } from '../src/lexalign/symmetrize.js';

describe('symmetrize', () => {
  // Four source and four target words. Forward (each target word → one source word): t3 wrongly → s0.
  // Backward (each source word → one target word), flipped to [source, target]: s3 → t2.
  const forward: Link[] = [
    [0, 0],
    [1, 1],
    [2, 2],
    [0, 3],
  ];
  const backward: Link[] = [
    [0, 0],
    [1, 1],
    [2, 2],
    [3, 2],
  ];

  it('intersection keeps what both directions found; union everything either found', () => {
    expect(symmetrize(forward, backward, 'intersection')).to.deep.equal([
      [0, 0],
      [1, 1],
      [2, 2],
    ]);
    expect(symmetrize(forward, backward, 'union')).to.deep.equal([
      [0, 0],
      [0, 3],
      [1, 1],
      [2, 2],
      [3, 2],
    ]);
  });

  it('grow-diag adds the union link next to the diagonal (3-2: s3 had no link) but not the far one (0-3)', () => {
    expect(symmetrize(forward, backward, 'grow-diag')).to.deep.equal([
      [0, 0],
      [1, 1],
      [2, 2],
      [3, 2],
    ]);
  });

  it('grow-diag-final adds 0-3 (t3 has no link yet); -and does not (s0 has one)', () => {
    expect(symmetrize(forward, backward, 'grow-diag-final')).to.deep.equal([
      [0, 0],
      [0, 3],
      [1, 1],
      [2, 2],
      [3, 2],
    ]);
    expect(symmetrize(forward, backward, 'grow-diag-final-and')).to.deep.equal([
      [0, 0],
      [1, 1],
      [2, 2],
      [3, 2],
    ]);
  });

  it('grow-diag-final-and adds a far link when both its words are still without one, in forward order first', () => {
    const fwd: Link[] = [
      [0, 0],
      [2, 2],
    ];
    const bwd: Link[] = [
      [0, 0],
      [2, 1],
    ];
    expect(symmetrize(fwd, bwd, 'grow-diag')).to.deep.equal([[0, 0]]);
    expect(symmetrize(fwd, bwd, 'grow-diag-final-and')).to.deep.equal([
      [0, 0],
      [2, 2],
    ]);
    // -final: after 2-2, the backward 2-1 still reaches t1, which has no link.
    expect(symmetrize(fwd, bwd, 'grow-diag-final')).to.deep.equal([
      [0, 0],
      [2, 1],
      [2, 2],
    ]);
  });

  it('grows through chains: each added link can make its own neighbours eligible', () => {
    // Intersection only 0-0; the union runs down the diagonal with every word otherwise free.
    const fwd: Link[] = [
      [0, 0],
      [1, 1],
      [2, 2],
    ];
    const bwd: Link[] = [[0, 0]];
    expect(symmetrize(fwd, bwd, 'grow-diag')).to.deep.equal(fwd);
  });

  it('every method lies between the intersection and the union, and empty input gives no links', () => {
    const inter = new Set(symmetrize(forward, backward, 'intersection').map(String));
    const union = new Set(symmetrize(forward, backward, 'union').map(String));
    for (const method of SYMMETRIZATIONS) {
      const links = symmetrize(forward, backward, method).map(String);
      for (const l of inter) expect(links, method).to.include(l);
      for (const l of links) expect(union.has(l), `${method}: ${l}`).to.equal(true);
      expect(symmetrize([], [], method)).to.deep.equal([]);
    }
  });

  it('flipLinks turns a reverse model’s [its source, its target] links into [source, target]', () => {
    expect(
      flipLinks([
        [0, 2],
        [3, 1],
      ]),
    ).to.deep.equal([
      [2, 0],
      [1, 3],
    ]);
  });
});

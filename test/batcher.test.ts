/**
 * The server's request micro-batcher (src/server/batcher.ts), on its own, without workers: which requests
 * share a batch, when a batch becomes ready (window, size), how results and errors reach each request.
 */
import { expect } from 'chai';
import { Batcher, batchItems, rejectBatch, resolveBatch } from '../src/server/batcher.js';
import type { Translation } from '../src/translate/translator.js';
import type { ForcedAlignment } from '../src/translate/force-align.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A stand-in result that says which text it belongs to. */
const translation = (source: string): Translation => ({
  source,
  hypotheses: [{ text: source.toUpperCase(), score: -1, logProb: -1 }],
});

/**
 * A batcher that counts its wake calls; the default window is longer than a test, so that nothing becomes
 * ready by time unless the test says so. Each test ends with no timer pending (its windows have fired, or
 * flush or failAll stopped them), so mocha can exit.
 */
function batcher(maxBatch: number, windowMs = 5_000): { b: Batcher; wakes: () => number } {
  let wakes = 0;
  const b = new Batcher(maxBatch, windowMs, () => wakes++);
  return { b, wakes: () => wakes };
}

describe('Batcher', () => {
  it('puts requests with the same task and options in one batch, in request order', async () => {
    const { b, wakes } = batcher(8);
    const first = b.add(['one', 'two'], { beam: 1 });
    const second = b.add(['three'], {}); // beam 1 is the default: the same options
    const other = b.add(['four'], { beam: 4 });
    const aligned = b.addAlign([{ source: 'a', target: 'b' }], {});
    expect(b.length, 'batches').to.equal(3);
    expect(b.waiting, 'requests').to.equal(4);
    expect(wakes(), 'woken after every add').to.equal(4);
    expect(b.take(), 'nothing is ready before its window ends').to.equal(undefined);
    b.flush();
    const batch = b.take()!;
    expect(batchItems(batch)).to.deep.equal({
      kind: 'translate',
      items: ['one', 'two', 'three'],
      opts: { beam: 1 },
    });
    resolveBatch(batch, ['one', 'two', 'three'].map(translation));
    expect((await first).map((t) => t.source)).to.deep.equal(['one', 'two']);
    expect((await second).map((t) => t.source)).to.deep.equal(['three']);
    const beam4 = b.take()!;
    expect(batchItems(beam4)).to.deep.equal({ kind: 'translate', items: ['four'], opts: { beam: 4 } });
    const align = b.take()!;
    expect(batchItems(align)).to.deep.equal({
      kind: 'align',
      items: [{ source: 'a', target: 'b' }],
      opts: {},
    });
    expect(b.take()).to.equal(undefined);
    expect(b.length).to.equal(0);
    const result: ForcedAlignment = {
      source: 'a',
      target: 'b',
      sourceTokens: ['a', '</s>'],
      targetTokens: ['b', '</s>'],
      attention: [
        [0.9, 0.1],
        [0.2, 0.8],
      ],
      tokenLogProbs: [-1, -0.5],
      logProb: -1.5,
      sourceWords: ['a'],
      targetWords: ['b'],
      wordMatrix: [[0.9]],
      links: [[0, 0]],
      pharaoh: '0-0',
      wordLogProbs: [-1],
      endLogProb: -0.5,
      method: { step: 'own', sourcePieces: 'sum', targetPieces: 'mean' },
      linkDescription: 'attention argmax',
    };
    resolveBatch(align, [result]);
    resolveBatch(beam4, [translation('four')]);
    expect(await aligned).to.deep.equal([result]);
    expect((await other)[0].hypotheses[0].text).to.equal('FOUR');
  });

  it('keeps options that differ apart: n-best, length and coverage penalty, length ratio, attention, alignment method', () => {
    const { b } = batcher(8);
    for (const opts of [
      {},
      { nbest: 2 },
      { lengthPenalty: 0.6 },
      { coveragePenalty: 0.2 },
      { maxLenRatio: 3 },
      { withAttention: true },
    ])
      void b.add(['x'], opts);
    void b.addAlign([{ source: 'a', target: 'b' }], { pretokenized: true });
    void b.addAlign([{ source: 'a', target: 'b' }], { method: { step: 'next' } });
    void b.addAlign([{ source: 'a', target: 'b' }], {});
    expect(b.length).to.equal(9);
    b.flush(); // stops the windows' timers
  });

  it("copies a request's options: changing them afterwards does not change the batch", () => {
    const { b } = batcher(8);
    const opts = { beam: 2 };
    void b.add(['x'], opts);
    opts.beam = 5;
    b.flush();
    expect(batchItems(b.take()!).opts).to.deep.equal({ beam: 2 });
  });

  it('makes a batch ready as soon as it holds maxBatch texts; a request that does not fit opens another', () => {
    const { b } = batcher(3);
    void b.add(['a', 'b'], {});
    void b.add(['c', 'd'], {}); // 4 > 3: a new batch
    expect(b.length).to.equal(2);
    expect(b.take(), 'neither is full').to.equal(undefined);
    void b.add(['e'], {}); // fills the first batch (2 + 1 = 3)
    expect(batchItems(b.take()!).items).to.deep.equal(['a', 'b', 'e']);
    expect(b.take()).to.equal(undefined);
    b.flush(); // stops the windows' timers
  });

  it('sends a single request larger than maxBatch as a batch of its own, ready at once, its window stopped', async () => {
    const { b, wakes } = batcher(2, 20);
    void b.add(['a'], {});
    void b.add(['b', 'c', 'd'], {});
    const big = b.take()!;
    expect(batchItems(big).items).to.deep.equal(['b', 'c', 'd']);
    expect(big.size).to.equal(3);
    expect(b.take()).to.equal(undefined);
    b.flush(); // stops the window of ['a']
    const woken = wakes();
    await sleep(60);
    expect(wakes(), 'the full batch does not wake the pool again when its window would have ended').to.equal(
      woken,
    );
  });

  it('makes a batch ready when its window ends, wakes the pool then, and hands out the oldest ready batch first', async () => {
    const { b, wakes } = batcher(8, 40);
    void b.add(['first'], {});
    await sleep(15);
    void b.add(['second'], { beam: 3 });
    expect(wakes()).to.equal(2);
    expect(b.take(), 'before the window').to.equal(undefined);
    await sleep(120);
    expect(wakes(), 'one more wake per window').to.equal(4);
    expect(batchItems(b.take()!).items).to.deep.equal(['first']);
    expect(batchItems(b.take()!).items).to.deep.equal(['second']);
  });

  it('a batch keeps absorbing compatible requests after its window, until a worker takes it', async () => {
    const { b } = batcher(8, 10);
    void b.add(['a'], {});
    await sleep(40);
    void b.add(['b'], {});
    expect(b.length).to.equal(1);
    expect(batchItems(b.take()!).items).to.deep.equal(['a', 'b']);
  });

  it('rejectBatch fails every request of the batch, each with its own Error', async () => {
    const { b } = batcher(8);
    const p1 = b.add(['a'], {});
    const p2 = b.add(['b', 'c'], {});
    b.flush();
    rejectBatch(b.take()!, 'worker died');
    const [r1, r2] = await Promise.allSettled([p1, p2]);
    expect(r1.status).to.equal('rejected');
    expect(r2.status).to.equal('rejected');
    const e1 = (r1 as PromiseRejectedResult).reason as Error;
    const e2 = (r2 as PromiseRejectedResult).reason as Error;
    expect(e1).to.be.instanceOf(Error);
    expect(e1.message).to.equal('worker died');
    expect(e2.message).to.equal('worker died');
    expect(e1).to.not.equal(e2);
  });

  it('failAll rejects and drops every queued batch and stops their timers', async () => {
    const { b, wakes } = batcher(8, 20);
    const p1 = b.add(['a'], {});
    const p2 = b.addAlign([{ source: 'a', target: 'b' }], {});
    b.failAll('service closed');
    expect(b.length).to.equal(0);
    expect(b.waiting).to.equal(0);
    const results = await Promise.allSettled([p1, p2]);
    expect(
      results.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'resolved')),
    ).to.deep.equal(['service closed', 'service closed']);
    const woken = wakes();
    await sleep(60);
    expect(wakes(), 'no window fires after failAll').to.equal(woken);
  });

  it('flush makes every queued batch ready now, oldest first, and cancels their windows', async () => {
    const { b, wakes } = batcher(8, 20);
    void b.add(['a'], {});
    void b.add(['b'], { nbest: 2, beam: 2 });
    b.flush();
    const woken = wakes();
    expect(batchItems(b.take()!).items).to.deep.equal(['a']);
    expect(batchItems(b.take()!).items).to.deep.equal(['b']);
    await sleep(60);
    expect(wakes(), 'no window fires after flush').to.equal(woken);
  });
});

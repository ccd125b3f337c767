/**
 * Batches for training (src/data/batching.ts): `makeBatches` (token budget, sentence cap, sorting inside
 * pools, shuffled batch order, determinism for a seed) and `toTensorBatch` (padding, masks, shifted targets).
 */
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/select.js';
import { Rng } from '../src/util/rng.js';
import { type Example, disposeBatch, makeBatches, toTensorBatch } from '../src/data/batching.js';
import { BOS_ID, EOS_ID, PAD_ID } from '../src/tokenizer/special-ids.js';

/** An example with `src` source and `tgt` target ids (their values do not matter to batching). */
function ex(src: number, tgt: number): Example {
  return { src: new Array<number>(src).fill(7), tgt: new Array<number>(tgt).fill(8) };
}

/** Batches sorted by their first index, for comparisons that ignore the (shuffled) batch order. */
function byFirst(batches: number[][]): number[][] {
  return [...batches].sort((x, y) => x[0] - y[0]);
}

/** Padded size of a batch as the budget counts it: sentences × the longest side incl. </s>. */
function paddedSize(examples: Example[], batch: number[]): number {
  const longest = Math.max(...batch.map((i) => Math.max(examples[i].src.length, examples[i].tgt.length) + 1));
  return batch.length * longest;
}

describe('makeBatches', () => {
  // Lengths with </s>, (source, target): (2, 2), (3, 6), (4, 2), (5, 3), (6, 4), (7, 2).
  const six = [ex(1, 1), ex(2, 5), ex(3, 1), ex(4, 2), ex(5, 3), ex(6, 1)];

  it('cuts the length-sorted examples where the padded size would pass the token budget (target counts too)', () => {
    const batches = makeBatches(six, { tokenBudget: 12 }, new Rng(1));
    // [0, 1]: 2 × 6 = 12 (adding 2 would make 3 × 6 = 18: the target of 1 decides, not the sources 3 × 4).
    // [2, 3]: 2 × 5 = 10 (adding 4: 3 × 6 = 18). [4]: 6 (adding 5: 2 × 7 = 14). [5]: 7.
    expect(byFirst(batches)).to.deep.equal([[0, 1], [2, 3], [4], [5]]);
    expect(byFirst(batches).map((b) => paddedSize(six, b))).to.deep.equal([12, 10, 6, 7]);
  });

  it('gives an example longer than the budget a batch of its own', () => {
    const examples = [ex(1, 1), ex(20, 3), ex(1, 2)];
    const batches = makeBatches(examples, { tokenBudget: 8 }, new Rng(3));
    expect(byFirst(batches)).to.deep.equal([[0, 2], [1]]);
  });

  it('puts at most maxSentences sentences in a batch, whatever the budget', () => {
    const examples = Array.from({ length: 10 }, () => ex(1, 1));
    const batches = makeBatches(examples, { tokenBudget: 1000, maxSentences: 4 }, new Rng(5));
    expect(batches.map((b) => b.length).sort()).to.deep.equal([2, 4, 4]);
    expect(batches.flat().sort((x, y) => x - y)).to.deep.equal([...examples.keys()]);
  });

  it('sorts only inside pools of poolSize examples, drawn from one shuffle of all of them', () => {
    const examples = Array.from({ length: 12 }, (_, i) => ex(12 - i, 1)); // every source length differs
    const batches = makeBatches(examples, { tokenBudget: 1000, poolSize: 4 }, new Rng(9));
    // The pools are consecutive thirds of the shuffle the same seed gives; each pool is one batch here
    // (4 sentences of at most 13 tokens fit the budget), its examples by increasing source length.
    const order = new Rng(9).shuffle([...examples.keys()]);
    const pools = [0, 4, 8].map((p) =>
      order.slice(p, p + 4).sort((x, y) => examples[x].src.length - examples[y].src.length),
    );
    expect(byFirst(batches)).to.deep.equal(byFirst(pools));
  });

  it('shuffles the batches with the same Rng after the examples, and leaves it where the next draw continues', () => {
    // Budget 2: every example (one source token + </s>) is a batch of its own.
    const examples = Array.from({ length: 20 }, () => ex(1, 0));
    const rng = new Rng(42);
    const batches = makeBatches(examples, { tokenBudget: 2 }, rng);
    const replay = new Rng(42);
    const shuffledExamples = replay.shuffle([...examples.keys()]);
    // With equal lengths the (stable) sort keeps the shuffled order; then the batches are shuffled again.
    expect(replay.shuffle(shuffledExamples.map((i) => [i]))).to.deep.equal(batches);
    expect(rng.state, 'the Rng state a checkpoint saves').to.equal(replay.state);
    expect(batches.flat(), 'a second shuffle').to.not.deep.equal(shuffledExamples);
  });

  it('is deterministic for a seed; another seed changes the order, not the batches', () => {
    const examples = Array.from({ length: 40 }, (_, i) => ex(1 + (i % 13), 1 + ((i * 7) % 11)));
    const a = makeBatches(examples, { tokenBudget: 30 }, new Rng(1));
    expect(makeBatches(examples, { tokenBudget: 30 }, new Rng(1))).to.deep.equal(a);
    const b = makeBatches(examples, { tokenBudget: 30 }, new Rng(2));
    expect(b).to.not.deep.equal(a);
    // One pool holds every example and no two have the same (source, target) lengths, so the sorted
    // order and the cuts are the same for every seed.
    expect(byFirst(b)).to.deep.equal(byFirst(a));
    for (const batch of a) expect(paddedSize(examples, batch)).to.be.at.most(30);
  });
});

describe('toTensorBatch', () => {
  before(async () => {
    await initBackend();
  });

  it('right-pads with <pad>, appends </s> to sources and shifts targets into <s> y / y </s>', () => {
    const batch = toTensorBatch([
      { src: [4, 5], tgt: [6] },
      { src: [7], tgt: [8, 9, 10] },
    ]);
    try {
      const P = PAD_ID;
      expect(batch.srcIds.arraySync()).to.deep.equal([
        [4, 5, EOS_ID],
        [7, EOS_ID, P],
      ]);
      expect(batch.srcMask.arraySync()).to.deep.equal([
        [1, 1, 1],
        [1, 1, 0],
      ]);
      expect(batch.tgtIn.arraySync()).to.deep.equal([
        [BOS_ID, 6, P, P],
        [BOS_ID, 8, 9, 10],
      ]);
      expect(batch.tgtOut.arraySync()).to.deep.equal([
        [6, EOS_ID, P, P],
        [8, 9, 10, EOS_ID],
      ]);
      expect(batch.tgtMask.arraySync()).to.deep.equal([
        [1, 1, 0, 0],
        [1, 1, 1, 1],
      ]);
      expect(batch.srcIds.dtype).to.equal('int32');
      expect(batch.srcMask.dtype).to.equal('float32');
      expect(batch.srcPadded).to.equal(true);
      expect(batch.copyMatch).to.equal(undefined);
    } finally {
      disposeBatch(batch);
    }
  });

  it('says when no source needs padding, and builds copyMatch only when asked', () => {
    const before = tf.memory().numTensors;
    const batch = toTensorBatch(
      [
        { src: [4, 5], tgt: [5, 4, 4] },
        { src: [6, 7], tgt: [9] },
      ],
      true,
    );
    try {
      expect(batch.srcPadded).to.equal(false);
      // copyMatch[b][t][j] = 1 where target token t (of y </s>) equals source token j.
      expect(batch.copyMatch?.arraySync()).to.deep.equal([
        [
          [0, 1, 0],
          [1, 0, 0],
          [1, 0, 0],
          [0, 0, 0],
        ],
        [
          [0, 0, 0],
          [0, 0, 0],
          [0, 0, 0],
          [0, 0, 0],
        ],
      ]);
    } finally {
      disposeBatch(batch);
    }
    expect(tf.memory().numTensors, 'disposeBatch frees every tensor').to.equal(before);
  });
});

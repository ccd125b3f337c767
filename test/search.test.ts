/**
 * Greedy and beam search (src/search/greedy.ts, beam.ts) on a model whose step scores are known by hand.
 *
 * The model is a real Seq2Seq with hand-set weights that make it a bigram table: the target embedding is
 * the identity (one-hot rows, E = V), the deep output passes the embedding of y_{t-1} through unchanged
 * (its rows for s_t and c_t are 0, relu(one-hot) = one-hot) and the vocabulary projection is the table
 * log p(y_t | y_{t-1}). So every step's log-probabilities are the table's, whatever the source, the state
 * and the attention, and every expected score below is a product of table entries.
 */
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/select.js';
import { padIds } from '../src/data/batching.js';
import { BOS_ID, EOS_ID } from '../src/tokenizer/special-ids.js';
import { Seq2Seq } from '../src/model/seq2seq.js';
import { type Hypothesis, greedySearch } from '../src/search/greedy.js';
import { beamSearch, lengthPenalty } from '../src/search/beam.js';
import { bannedNext, repeatableTokens } from '../src/search/stutter.js';
import { tinyModelConfig } from './helpers/model-config.js';

const V = 8;
/** The ordinary tokens of the tables (ids 0–3 are <pad>, <unk>, <s>, </s>). */
const A = 4;
const B = 5;
const C = 6;
const D = 7;

/** p(next | prev) by prev; tokens a row leaves out have probability 0. */
type Bigrams = Record<number, Record<number, number>>;

/** The running example: greedy takes "a </s>"; the longer "b c </s>" is a little less likely. */
const TABLE: Bigrams = {
  [BOS_ID]: { [A]: 0.55, [B]: 0.45 },
  [A]: { [EOS_ID]: 0.5, [A]: 0.3, [B]: 0.2 },
  [B]: { [C]: 0.6, [EOS_ID]: 0.06, [A]: 0.34 },
  [C]: { [EOS_ID]: 0.95, [A]: 0.03, [B]: 0.02 },
};

/** a → a is the likeliest step: greedy never ends by itself. */
const LOOP: Bigrams = {
  [BOS_ID]: { [A]: 0.6, [B]: 0.4 },
  [A]: { [A]: 0.5, [EOS_ID]: 0.3, [B]: 0.2 },
};

/**
 * A hypothesis that is not a step's best ends while another beam leads to the best translation (with a
 * length penalty α = 2): beam 2, step 2: b c .4, a </s> .33 (ends), a d .27; step 3: a d </s> .27 (best,
 * ends), b c </s> .24, b c b .16.
 */
const BRANCH: Bigrams = {
  [BOS_ID]: { [A]: 0.6, [B]: 0.4 },
  [A]: { [EOS_ID]: 0.55, [D]: 0.45 },
  [B]: { [C]: 1 },
  [C]: { [EOS_ID]: 0.6, [B]: 0.4 },
  [D]: { [EOS_ID]: 1 },
};

/** A logit whose probability is 0 in float32 next to logits of about −3 … 0. */
const IMPOSSIBLE = -1e4;

function bigramModel(table: Bigrams): Seq2Seq {
  const config = tinyModelConfig(V, {
    embeddingSize: V,
    outputSize: V,
    encoderHiddenSize: 2,
    decoderHiddenSize: 3,
    attentionSize: 2,
  });
  const model = new Seq2Seq(config, 1);
  const set = (name: string, values: number[][] | number[]) => {
    const t = tf.tensor(values);
    model.params.get(name).assign(t);
    t.dispose();
  };
  const identity = (n: number) =>
    Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => +(i === j)));
  set('embedding.tgt', identity(V));
  // Deep output rows [s_t (3); c_t (2 · 2); E y_{t-1} (V)]: zero for s_t and c_t, identity for y_{t-1}.
  set('decoder.output.W', [
    ...Array.from({ length: 3 + 4 }, () => new Array<number>(V).fill(0)),
    ...identity(V),
  ]);
  set('decoder.output.b', new Array<number>(V).fill(0));
  set(
    'decoder.vocab.W',
    Array.from({ length: V }, (_, prev) =>
      Array.from({ length: V }, (_, next) => {
        const p = table[prev]?.[next];
        return p === undefined ? IMPOSSIBLE : Math.log(p);
      }),
    ),
  );
  set('decoder.vocab.b', new Array<number>(V).fill(0));
  return model;
}

function withModel<R>(table: Bigrams, fn: (model: Seq2Seq) => R): R {
  const model = bigramModel(table);
  try {
    const before = tf.memory().numTensors;
    greedySearch(model, [[A, EOS_ID]]); // builds the merged weights search keeps (freed with the model)
    const kept = tf.memory().numTensors;
    const result = fn(model);
    expect(tf.memory().numTensors, 'no tensor outlives a search').to.equal(kept);
    expect(kept - before).to.equal(2);
    return result;
  } finally {
    model.dispose();
  }
}

const log = Math.log;

/** tokens, log-probability and score of each hypothesis, for one deep comparison. */
function summary(hyps: Hypothesis[]): { tokens: number[]; logProb: number; score: number }[] {
  return hyps.map((h) => ({ tokens: h.tokens, logProb: h.logProb, score: h.score }));
}

function expectHypotheses(
  found: Hypothesis[],
  expected: { tokens: number[]; logProb: number; score: number }[],
): void {
  const got = summary(found);
  expect(got.map((h) => h.tokens)).to.deep.equal(expected.map((h) => h.tokens));
  got.forEach((h, i) => {
    expect(h.logProb, `logProb of hypothesis ${i}`).to.be.closeTo(expected[i].logProb, 1e-5);
    expect(h.score, `score of hypothesis ${i}`).to.be.closeTo(expected[i].score, 1e-5);
  });
}

describe('search on a hand-set bigram model', () => {
  before(async () => {
    await initBackend();
  });

  it("the model's step log-probabilities are the table's, whatever the source", () => {
    withModel(TABLE, (model) => {
      const logp = tf.tidy(() => {
        const { ids, mask } = padIds([[A, B, EOS_ID], [C, EOS_ID], [B, B, B, EOS_ID], [EOS_ID]]);
        const enc = model.encodeForSearch(ids, mask);
        const prev = tf.tensor1d([BOS_ID, A, B, C], 'int32');
        return tf.logSoftmax(model.decodeStep(prev, enc.initialState, enc).logits).arraySync();
      });
      expect(logp[0][A]).to.be.closeTo(log(0.55), 1e-6);
      expect(logp[0][B]).to.be.closeTo(log(0.45), 1e-6);
      expect(logp[1][EOS_ID]).to.be.closeTo(log(0.5), 1e-6);
      expect(logp[2][C]).to.be.closeTo(log(0.6), 1e-6);
      expect(logp[3][EOS_ID]).to.be.closeTo(log(0.95), 1e-6);
      expect(Math.exp(logp[0][EOS_ID]), 'a token the table leaves out').to.equal(0);
    });
  });

  describe('greedy', () => {
    it('takes the best token at each step; the score is the summed log-probability, </s> included', () => {
      withModel(TABLE, (model) => {
        const [h] = greedySearch(model, [[A, B, EOS_ID]], { withAttention: true });
        expectHypotheses([h], [{ tokens: [A], logProb: log(0.55 * 0.5), score: log(0.55 * 0.5) }]);
        // One attention row per emitted token and one for </s>, over the source incl. its </s>.
        expect(h.attention).to.have.length(2);
        for (const row of h.attention ?? []) {
          expect(row).to.have.length(3);
          expect(row.reduce((s, x) => s + x, 0)).to.be.closeTo(1, 1e-5);
        }
      });
    });

    it("stops each sentence at its own maximum length, without </s>'s log-probability", () => {
      withModel(LOOP, (model) => {
        // maxLenRatio 1, maxLenExtra 0: at most as many tokens as the source has ids (incl. </s>).
        const hyps = greedySearch(model, [[A, EOS_ID], [A, B, C, EOS_ID], [EOS_ID]], {
          maxLenRatio: 1,
          maxLenExtra: 0,
        });
        expectHypotheses(hyps, [
          { tokens: [A, A], logProb: log(0.6 * 0.5), score: log(0.6 * 0.5) },
          { tokens: [A, A, A, A], logProb: log(0.6 * 0.5 ** 3), score: log(0.6 * 0.5 ** 3) },
          { tokens: [A], logProb: log(0.6), score: log(0.6) },
        ]);
      });
    });

    it('a sentence that has ended takes no more scores while the batch goes on', () => {
      withModel(TABLE, (model) => {
        // Limits 1 and 2 (ratio 0.5): the first is cut after "a", the second ends with </s>.
        const hyps = greedySearch(
          model,
          [
            [A, EOS_ID],
            [A, B, C, EOS_ID],
          ],
          { maxLenRatio: 0.5, maxLenExtra: 0 },
        );
        expectHypotheses(hyps, [
          { tokens: [A], logProb: log(0.55), score: log(0.55) },
          { tokens: [A], logProb: log(0.55 * 0.5), score: log(0.55 * 0.5) },
        ]);
      });
    });
  });

  describe('beam', () => {
    // Beam 2 on TABLE. Step 1: a .55, b .45. Step 2: a </s> .275, b c .27, a a .165, b a .153, a b .11, …
    // (b </s> .027). Step 3 from {b c, a a}: b c </s> .2565, a a </s> .0825, a a a .0495, …

    it('stops when its best candidate is </s> and nbest hypotheses have ended', () => {
      withModel(TABLE, (model) => {
        const [hyps] = beamSearch(model, [[A, EOS_ID]], { beamSize: 2 });
        expectHypotheses(hyps, [{ tokens: [A], logProb: log(0.275), score: log(0.275) }]);
      });
    });

    it('returns the n-best list best first, ranked by log-probability without a length penalty', () => {
      withModel(TABLE, (model) => {
        const [hyps] = beamSearch(model, [[A, EOS_ID]], { beamSize: 2, nbest: 2 });
        expectHypotheses(hyps, [
          { tokens: [A], logProb: log(0.55 * 0.5), score: log(0.55 * 0.5) },
          { tokens: [B, C], logProb: log(0.45 * 0.6 * 0.95), score: log(0.45 * 0.6 * 0.95) },
        ]);
      });
    });

    it('divides by the GNMT length penalty ((5 + |y|) / 6)^α, |y| counting </s>, which reorders the list', () => {
      expect(lengthPenalty(2, 1)).to.equal(7 / 6);
      expect(lengthPenalty(3, 0.5)).to.be.closeTo(Math.sqrt(8 / 6), 1e-12);
      expect(lengthPenalty(9, 0)).to.equal(1);
      withModel(TABLE, (model) => {
        const [hyps] = beamSearch(model, [[A, EOS_ID]], { beamSize: 2, nbest: 2, lengthPenalty: 1 });
        const short = log(0.55 * 0.5); // −1.291, two tokens with </s>: −1.107 after the penalty
        const long = log(0.45 * 0.6 * 0.95); // −1.361, three tokens with </s>: −1.020 after the penalty
        expectHypotheses(hyps, [
          { tokens: [B, C], logProb: long, score: long / (8 / 6) },
          { tokens: [A], logProb: short, score: short / (7 / 6) },
        ]);
      });
    });

    it('finishes hypotheses cut at the maximum length without </s>, each sentence at its own limit', () => {
      withModel(TABLE, (model) => {
        // Limits 1 and 2 (ratio 0.5). The first sentence: "a" and "b" reach the limit at step 1. The second:
        // at step 2 "a </s>" ends and "b c", "a a", "b a" reach the limit (length 2 without </s>, so the
        // same penalty ((5 + 2) / 6)^α as "a </s>").
        const [first, second] = beamSearch(
          model,
          [
            [A, EOS_ID],
            [A, B, C, EOS_ID],
          ],
          {
            beamSize: 2,
            nbest: 2,
            maxLenRatio: 0.5,
            maxLenExtra: 0,
            lengthPenalty: 1,
          },
        );
        expectHypotheses(first, [
          { tokens: [A], logProb: log(0.55), score: log(0.55) }, // length 1: penalty (6 / 6)^1 = 1
          { tokens: [B], logProb: log(0.45), score: log(0.45) },
        ]);
        expectHypotheses(second, [
          { tokens: [A], logProb: log(0.275), score: log(0.275) / (7 / 6) },
          { tokens: [B, C], logProb: log(0.27), score: log(0.27) / (7 / 6) },
        ]);
      });
    });

    it('goes on with the other beams when a hypothesis that is not the best of its step ends', () => {
      withModel(BRANCH, (model) => {
        // "a </s>" ends at step 2 as the second candidate: one hypothesis has ended (nbest 1), but the step's
        // best did not end, so "a d" still joins the beam, and ends best at step 3: −1.309 / (8/6)² = −0.737
        // against "a </s>" −1.109 / (7/6)² = −0.815 (and "b c </s>" −1.427 / (8/6)² = −0.803).
        const [hyps] = beamSearch(model, [[A, EOS_ID]], { beamSize: 2, lengthPenalty: 2 });
        const logProb = log(0.6 * 0.45);
        expectHypotheses(hyps, [{ tokens: [A, D], logProb, score: logProb / (8 / 6) ** 2 }]);
      });
    });

    it('with beam 1 is greedy search', () => {
      withModel(LOOP, (model) => {
        const src = [
          [A, EOS_ID],
          [A, B, C, EOS_ID],
        ];
        const opts = { maxLenRatio: 1, maxLenExtra: 0 };
        const greedy = greedySearch(model, src, opts);
        const beam = beamSearch(model, src, { ...opts, beamSize: 1 }).map((hs) => hs[0]);
        expectHypotheses(beam, summary(greedy));
      });
    });
  });

  describe('stutter blocking (src/search/stutter.ts)', () => {
    it('only subwords the source has twice in a row may follow themselves', () => {
      const repeatable = repeatableTokens([A, A, B, C, B, EOS_ID]);
      expect([...repeatable]).to.deep.equal([A]);
      expect(bannedNext([C, B], repeatable), 'b may not follow b').to.equal(B);
      expect(bannedNext([B, A], repeatable), 'a may follow a: the source has a a').to.equal(-1);
      expect(bannedNext([B, C], repeatable), 'only the last token is banned (b … b is fine)').to.equal(C);
      expect(bannedNext([], repeatable)).to.equal(-1);
    });

    it('greedy takes the next best token instead of a stutter, and its log-probability', () => {
      withModel(LOOP, (model) => {
        const opts = { maxLenRatio: 1, maxLenExtra: 0, blockStutter: true };
        // "a a" is the likeliest; blocked, "a </s>" (.6 · .3). With "a a" in the source it stays.
        const hyps = greedySearch(
          model,
          [
            [A, EOS_ID],
            [A, A, EOS_ID],
          ],
          opts,
        );
        expectHypotheses(hyps, [
          { tokens: [A], logProb: log(0.6 * 0.3), score: log(0.6 * 0.3) },
          { tokens: [A, A, A], logProb: log(0.6 * 0.5 ** 2), score: log(0.6 * 0.5 ** 2) },
        ]);
      });
    });

    it('beam search never extends a hypothesis with a stutter; with beam 1 it is greedy', () => {
      withModel(LOOP, (model) => {
        const src = [
          [A, EOS_ID],
          [A, B, C, EOS_ID],
          [A, A, EOS_ID],
        ];
        const opts = { maxLenRatio: 1, maxLenExtra: 0, blockStutter: true };
        const greedy = greedySearch(model, src, opts);
        const beam = beamSearch(model, src, { ...opts, beamSize: 1 }).map((hs) => hs[0]);
        expectHypotheses(beam, summary(greedy));
        for (const [b, hs] of beamSearch(model, src.slice(0, 2), {
          ...opts,
          beamSize: 3,
          nbest: 3,
        }).entries())
          for (const h of hs)
            h.tokens.forEach((y, i) =>
              expect(y, `sentence ${b}: ${h.tokens.join(' ')}`).to.not.equal(h.tokens[i - 1]),
            );
      });
    });
  });
});

/**
 * `train --init-from DIR --widen` (src/train/widen.ts): a model grown from a narrower one computes what the
 * narrower one computed (same log-probabilities, attention and copy gate), its new units start with zero
 * outgoing weights and fresh incoming ones, and sizes that cannot be grown are refused by name.
 */
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/select.js';
import { Seq2Seq } from '../src/model/seq2seq.js';
import type { ModelConfig } from '../src/model/config.js';
import { greedySearch, type Hypothesis } from '../src/search/greedy.js';
import { beamSearch } from '../src/search/beam.js';
import { EOS_ID } from '../src/tokenizer/special-ids.js';
import { assignWidened, describeWidening, widenValues } from '../src/train/widen.js';
import { tinyModelConfig } from './helpers/model-config.js';

const V = 40;
const SOURCES = [
  [5, 9, 12, 30, EOS_ID],
  [7, 7, 21, EOS_ID],
  [33, 14, 6, 8, 19, 25, EOS_ID],
];

function weightsOf(model: Seq2Seq): Map<string, Float32Array> {
  return new Map(model.params.entries().map(([name, v]) => [name, Float32Array.from(v.dataSync())]));
}

/** Log-probabilities, attention rows and p_gen of greedy and beam search, flattened for comparison. */
function numbersOf(model: Seq2Seq): { tokens: number[][]; values: number[] } {
  const opts = { withAttention: true, maxLenRatio: 0, maxLenExtra: 6 };
  const hyps: Hypothesis[] = [
    ...greedySearch(model, SOURCES, opts),
    ...beamSearch(model, SOURCES, { ...opts, beamSize: 3, nbest: 3 }).flat(),
  ];
  return {
    tokens: hyps.map((h) => h.tokens),
    values: hyps.flatMap((h) => [h.logProb, ...(h.attention ?? []).flat(), ...(h.pGen ?? [])]),
  };
}

function maxAbsDiff(a: number[], b: number[]): number {
  expect(a.length).to.equal(b.length);
  return Math.max(...a.map((x, i) => Math.abs(x - b[i])));
}

describe('widening a model (train --init-from --widen)', function () {
  before(async () => {
    await initBackend('wasm');
  });

  const cases: [string, Partial<ModelConfig>][] = [
    ['separate vocabularies, untied, no copying, 2 encoder layers', { encoderLayers: 2 }],
    ['one vocabulary, all embeddings tied, copying', { tiedEmbeddings: 'all', copyAttention: true }],
  ];
  for (const [label, overrides] of cases) {
    it(`computes what the narrow model computed: ${label}`, function () {
      const tensorsBefore = tf.memory().numTensors;
      const narrowConfig = tinyModelConfig(V, overrides);
      const wideConfig = { ...narrowConfig, encoderHiddenSize: 12, decoderHiddenSize: 12, attentionSize: 10 };
      const narrow = new Seq2Seq(narrowConfig, 1);
      const widened = new Seq2Seq(wideConfig, 2);
      const fresh = new Seq2Seq(wideConfig, 2);
      try {
        expect(describeWidening(narrowConfig, wideConfig, 'test')).to.equal(
          'encoderHiddenSize 8 → 12, decoderHiddenSize 8 → 12, attentionSize 8 → 10',
        );
        assignWidened(widened, narrowConfig, weightsOf(narrow), 'test');
        const before = numbersOf(narrow);
        const after = numbersOf(widened);
        expect(after.tokens).to.deep.equal(before.tokens);
        expect(maxAbsDiff(after.values, before.values)).to.be.below(1e-4);
        // The same wide model without the narrow weights computes something else (the check can fail).
        const other = numbersOf(fresh);
        expect(
          other.values.length !== before.values.length || maxAbsDiff(other.values, before.values) > 1e-2,
        ).to.equal(true);

        const w = weightsOf(widened);
        // The LSTM's recurrent weights [H', 4H']: old block in place gate by gate, new rows into old
        // units 0, new units' incoming weights (from old units) random.
        const oldWh = weightsOf(narrow).get('encoder.l0.fwd.Wh')!;
        const wh = w.get('encoder.l0.fwd.Wh')!;
        for (const gate of [0, 1, 2, 3]) {
          expect(wh[3 * 48 + gate * 12 + 5]).to.equal(oldWh[3 * 32 + gate * 8 + 5]); // old unit 3 → old unit 5
          expect(wh[10 * 48 + gate * 12 + 5]).to.equal(0); // new unit 10 → old unit 5
          expect(wh[3 * 48 + gate * 12 + 9]).to.not.equal(0); // old unit 3 → new unit 9
        }
        // The deep output reads [s_t; c_t; E y]: rows of new decoder and encoder units are 0.
        const wo = w.get('decoder.output.W')!;
        const O = narrowConfig.outputSize;
        const rowIsZero = (r: number) => wo.slice(r * O, (r + 1) * O).every((x) => x === 0);
        expect([8, 11, 12 + 8, 24 + 11].map(rowIsZero)).to.deep.equal([true, true, true, true]);
        expect([0, 7, 12, 24 + 7, 36].map(rowIsZero)).to.deep.equal([false, false, false, false, false]);
      } finally {
        narrow.dispose();
        widened.dispose();
        fresh.dispose();
      }
      expect(tf.memory().numTensors).to.equal(tensorsBefore);
    });
  }

  it('refuses what it cannot grow, naming the field, and a widening that grows nothing', function () {
    const narrow = tinyModelConfig(V);
    expect(() => describeWidening(narrow, { ...narrow, embeddingSize: 16 }, '--init-from m')).to.throw(
      "--init-from m: --widen grows the hidden and attention sizes only; this run's model differs: embeddingSize 16 (the folder's: 8)",
    );
    expect(() =>
      describeWidening(narrow, { ...narrow, encoderHiddenSize: 4, decoderHiddenSize: 4 }, 'x'),
    ).to.throw('encoderHiddenSize 4 is below the folder');
    expect(() => describeWidening(narrow, { ...narrow, dropout: 0.3 }, 'x')).to.throw(
      "x: --widen needs a --hidden-size or --attention-size above the folder's (8, 8)",
    );
    expect(() =>
      widenValues('attention.b', new Float32Array(3), new Float32Array(5), [[{ from: 4, to: 5 }]]),
    ).to.throw('--widen: "attention.b" has 3 values, its layout 4');
  });

  it("refuses a folder whose weights are not its config's, naming what is missing and what is extra", function () {
    const narrowConfig = tinyModelConfig(V);
    const wideConfig = { ...narrowConfig, encoderHiddenSize: 12, decoderHiddenSize: 12 };
    const narrow = new Seq2Seq(narrowConfig, 1);
    const wide = new Seq2Seq(wideConfig, 2);
    try {
      const weights = weightsOf(narrow);
      weights.delete('attention.v');
      weights.set('decoder.extra', new Float32Array(3));
      expect(() => assignWidened(wide, narrowConfig, weights, '--init-from m')).to.throw(
        "--init-from m: the folder's weights do not match its config (missing: attention.v; not in the model: decoder.extra)",
      );
    } finally {
      narrow.dispose();
      wide.dispose();
    }
  });
});

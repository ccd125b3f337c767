/**
 * Attention's query and the decoder's merged state projection (src/model/attention.ts,
 * merged-state-projection.ts), and the development-mode shape checks at the model's module boundaries
 * (src/util/shape-checks.ts).
 */
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/select.js';
import { padIds } from '../src/data/batching.js';
import { EOS_ID } from '../src/tokenizer/special-ids.js';
import { type EncodedSource, Seq2Seq, disposeEncoded } from '../src/model/seq2seq.js';
import { SHAPE_CHECKS, ShapeError, expectShape, shapeChecksEnabled } from '../src/util/shape-checks.js';
import { tinyModelConfig } from './helpers/model-config.js';

const V = 20;
/** Every size different, so that a dimension taken from the wrong tensor shows. */
const config = tinyModelConfig(V, { encoderHiddenSize: 6, decoderHiddenSize: 7, attentionSize: 5 });

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** The error `fn` throws (fails the test when it throws none). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  expect.fail('expected an error');
}

describe('attention and the merged state projection', () => {
  let model: Seq2Seq;

  before(async () => {
    await initBackend();
    model = new Seq2Seq(config, 3);
  });

  after(() => model.dispose());

  it("the merged product's columns are the attention query W s + b and the GRU's U s + b_U", () => {
    tf.tidy(() => {
      const s = tf.randomUniform([4, 7], -1, 1, 'float32', 5) as tf.Tensor2D;
      const merged = model.decoder.mergedProjection;
      const { product, query } = merged.project(s, merged.weights());
      expect(merged.recurrentOffset).to.equal(5);
      expect(product.shape).to.deep.equal([4, 5 + 3 * 7]);
      expect(maxAbsDiff(query, model.attention.query(s))).to.be.below(1e-6);
      const U = model.params.get('decoder.gru.Us') as tf.Tensor as tf.Tensor2D;
      const bU = model.params.get('decoder.gru.bs');
      const recurrent = tf.slice(product, [0, 5], [-1, 3 * 7]);
      expect(maxAbsDiff(recurrent, tf.add(tf.matMul(s, U), bU))).to.be.below(1e-6);
    });
  });

  it('W and b stay the parameters attention.W and attention.b that saved models hold', () => {
    expect(model.attention.W).to.equal(model.params.get('attention.W'));
    expect(model.attention.bW).to.equal(model.params.get('attention.b'));
    expect(model.params.get('attention.W').shape).to.deep.equal([7, 5]);
  });
});

describe('shape checks', () => {
  before(async function () {
    if (!SHAPE_CHECKS) this.skip(); // turned off by NODE_ENV=production or NMT_SHAPE_CHECKS=0
    await initBackend();
  });

  it('are on unless NODE_ENV=production or NMT_SHAPE_CHECKS=0; NMT_SHAPE_CHECKS=1 wins', () => {
    expect(shapeChecksEnabled({})).to.equal(true);
    expect(shapeChecksEnabled({ NODE_ENV: 'development' })).to.equal(true);
    expect(shapeChecksEnabled({ NODE_ENV: 'production' })).to.equal(false);
    expect(shapeChecksEnabled({ NMT_SHAPE_CHECKS: '0' })).to.equal(false);
    expect(shapeChecksEnabled({ NODE_ENV: 'production', NMT_SHAPE_CHECKS: '1' })).to.equal(true);
  });

  it('expectShape names the place, the tensor and both shapes, and checks the rank', () => {
    expect(() => expectShape('here', 'x', [4, 5], { B: 4, A: 5 })).to.not.throw();
    const e = thrown(() => expectShape('Module.method', 'query q', [4, 7], { B: 4, A: 5 }));
    expect(e).to.be.instanceOf(ShapeError);
    expect((e as ShapeError).message).to.equal(
      'Module.method: query q has shape [4, 7], expected [B, A] = [4, 5]',
    );
    expect((e as ShapeError).name).to.equal('ShapeError');
    expect((e as ShapeError).found).to.deep.equal([4, 7]);
    expect(() => expectShape('here', 'x', [4, 5, 1], { B: 4, A: 5 })).to.throw(ShapeError, '[4, 5, 1]');
    expect(() => expectShape('here', 'x', [4], { B: 4, A: 5 })).to.throw(ShapeError, 'expected [B, A]');
  });

  describe('at the model boundaries', () => {
    let model: Seq2Seq;

    before(() => {
      model = new Seq2Seq(config, 3);
    });

    after(() => model.dispose());

    /** Encodes two sources (lengths 3 and 2 with </s>) and runs `fn` inside tf.tidy. */
    function withEncoded(fn: (enc: EncodedSource) => void): void {
      const { ids, mask } = padIds([
        [4, 5, EOS_ID],
        [6, EOS_ID],
      ]);
      const enc = model.encodeForSearch(ids, mask);
      try {
        tf.tidy(() => fn(enc));
      } finally {
        disposeEncoded(enc);
        tf.dispose([ids, mask]);
      }
    }

    it('attention: a query of the wrong size', () => {
      withEncoded((enc) => {
        const query = tf.zeros([2, 7]) as tf.Tensor2D; // s_{t-1} [B, Hdec] where W s_{t-1} + b [B, A] belongs
        expect(() => model.attention.attend(query, enc.memory)).to.throw(
          ShapeError,
          'BahdanauAttention.attend: query W s_{t-1} + b has shape [2, 7], expected [B, A] = [2, 5]',
        );
      });
    });

    it('attention: memory of another batch', () => {
      withEncoded((enc) => {
        const query = tf.zeros([2, 5]) as tf.Tensor2D;
        const memory = { ...enc.memory, maskBias: tf.zeros([2, 4]) as tf.Tensor2D };
        expect(() => model.attention.attend(query, memory)).to.throw(
          ShapeError,
          'memory.maskBias has shape [2, 4], expected [B, S] = [2, 3]',
        );
      });
    });

    it('attention: precompute given a mask of another length', () => {
      withEncoded((enc) => {
        expect(() => model.attention.precompute(enc.memory.states, tf.ones([2, 4]) as tf.Tensor2D)).to.throw(
          ShapeError,
          'BahdanauAttention.precompute: source mask has shape [2, 4], expected [B, S] = [2, 3]',
        );
      });
    });

    it('decoder step: a state of the wrong size and a batch that does not match', () => {
      withEncoded((enc) => {
        const yProj = tf.zeros([2, 21]) as tf.Tensor2D;
        const merged = model.decoder.mergedProjection.weights();
        const wrongState = tf.zeros([2, 6]) as tf.Tensor2D; // the encoder's H, not the decoder's
        expect(() => model.decoder.step(yProj, wrongState, enc.memory, merged)).to.throw(
          ShapeError,
          'AttentionGruDecoder.step: s_{t-1} has shape [2, 6], expected [B, H] = [2, 7]',
        );
        const oneRow = tf.zeros([1, 21]) as tf.Tensor2D;
        expect(() => model.decoder.step(oneRow, enc.initialState, enc.memory, merged)).to.throw(
          ShapeError,
          'yProj W_y y_{t-1} + b_x has shape [1, 21], expected [B, 3H] = [2, 21]',
        );
        // The right shapes pass all the checks.
        expect(model.decoder.step(yProj, enc.initialState, enc.memory, merged).state.shape).to.deep.equal([
          2, 7,
        ]);
      });
    });

    it('decoder step: a state from a beam of another width reaches attention with its rows', () => {
      withEncoded((enc) => {
        // A search that forgot to tile the memory for its beams: 4 rows of state, 2 of memory.
        const prev = tf.tensor1d([4, 4, 4, 4], 'int32');
        const state = tf.tile(enc.initialState, [2, 1]) as tf.Tensor2D;
        expect(() => model.decodeStep(prev, state, enc)).to.throw(
          ShapeError,
          'BahdanauAttention.attend: memory.states h has shape [2, 3, 12], expected [B, S, 2H] = [4, 3, 12]',
        );
      });
    });

    it('encoder: a mask that does not match the source', () => {
      const ids = tf.tensor2d([[4, 5, EOS_ID]], [1, 3], 'int32');
      const mask = tf.ones([1, 4]) as tf.Tensor2D;
      try {
        expect(() =>
          tf.tidy(() => {
            model.encode(ids, mask);
          }),
        ).to.throw(
          ShapeError,
          'BiLstmEncoder.forward: source mask has shape [1, 4], expected [B, S] = [1, 3]',
        );
      } finally {
        tf.dispose([ids, mask]);
      }
    });
  });
});

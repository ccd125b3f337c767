/**
 * Bidirectional LSTM encoder:  h_t = f(x_t, h_{t-1})  run left→right and right→left, h_j = [→h_j; ←h_j].
 *
 * Speed: the input projections W x_t of all time steps are one matmul per direction (not one per step),
 * and the two directions advance together: at step k the forward direction reads position k and the
 * backward direction position S−1−k, their states are stacked as [2, B, H], and one batched matmul
 * h_{t-1} U (both directions, all four gates) plus one set of elementwise ops serve both. Per step
 * that is half the ops of running the directions one after the other.
 *
 * Padding (right-padded batches) never leaks: where the source mask is 0 a direction keeps its previous
 * state, so the backward direction starts from zeros at each sentence's real last token and the
 * forward direction's final state is the state at its last real token, exactly as for the sentence
 * alone. When the batch has no padding the masking ops are skipped.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Params } from './params.js';
import { dropout, keepWhereMasked, linear } from './ops.js';

export interface EncoderOutput {
  /** h_j for every source position, [B, S, 2H]; zero at padding. */
  states: tf.Tensor3D;
  /** [→h_last; ←h_first] of the top layer, [B, 2H]: what the bridge to the decoder reads. */
  final: tf.Tensor2D;
}

interface LstmWeights {
  wx: tf.Tensor2D; // [In, 4H] input → gates (i, f, g, o)
  wh: tf.Tensor2D; // [H, 4H] previous hidden → gates
  b: tf.Tensor1D; // [4H]
}

export class BiLstmEncoder {
  private readonly layers: { fwd: LstmWeights; bwd: LstmWeights }[] = [];

  constructor(
    params: Params,
    inputSize: number,
    readonly hiddenSize: number,
    numLayers: number,
    private readonly dropoutRate: number,
  ) {
    const H = hiddenSize;
    // Forget-gate bias 1: the usual trick so that gradients flow through c early in training.
    const gateBias = (i: number) => (i >= H && i < 2 * H ? 1 : 0);
    for (let l = 0; l < numLayers; l++) {
      const inSize = l === 0 ? inputSize : 2 * H;
      const dir = (d: string): LstmWeights => ({
        wx: params.matrix(`encoder.l${l}.${d}.Wx`, inSize, 4 * H) as tf.Tensor2D,
        wh: params.matrix(`encoder.l${l}.${d}.Wh`, H, 4 * H) as tf.Tensor2D,
        b: params.bias(`encoder.l${l}.${d}.b`, 4 * H, gateBias) as tf.Tensor1D,
      });
      this.layers.push({ fwd: dir('fwd'), bwd: dir('bwd') });
    }
  }

  /**
   * @param x embedded source, [B, S, E]
   * @param mask 1 for tokens, 0 for padding, [B, S]
   * @param seeds a dropout seed source (one call per dropout site)
   * @param padded whether any sentence is shorter than S (false lets the masking ops be skipped)
   */
  forward(
    x: tf.Tensor3D,
    mask: tf.Tensor2D,
    training: boolean,
    seeds: () => number,
    padded = true,
  ): EncoderOutput {
    const [B, S] = mask.shape;
    // Time-major from here on: per-step slices are then contiguous rows.
    let input = tf.transpose(x, [1, 0, 2]) as tf.Tensor3D; // [S, B, In]
    const maskTm = tf.reshape(tf.transpose(mask), [S, B, 1]);
    // Step k masks forward position k and backward position S−1−k: [S, 2, B, 1].
    const stepMasks = padded ? tf.unstack(tf.stack([maskTm, tf.reverse(maskTm, 0)], 1)) : undefined;
    let final: tf.Tensor2D | undefined;
    for (let l = 0; l < this.layers.length; l++) {
      const run = this.runBoth(input, this.layers[l], stepMasks);
      input = run.outputs;
      final = run.final;
      if (l < this.layers.length - 1) input = dropout(input, this.dropoutRate, training, seeds());
    }
    const maskedTm = padded ? (tf.mul(input, maskTm) as tf.Tensor3D) : input; // zero at padding
    const states = tf.transpose(maskedTm, [1, 0, 2]) as tf.Tensor3D; // [B, S, 2H]
    return { states, final: final as tf.Tensor2D };
  }

  /** Both directions of one layer, advancing together; outputs [S, B, 2H] in source order. */
  private runBoth(
    input: tf.Tensor3D,
    w: { fwd: LstmWeights; bwd: LstmWeights },
    stepMasks: tf.Tensor[] | undefined,
  ): { outputs: tf.Tensor3D; final: tf.Tensor2D } {
    const [S, B] = input.shape;
    const H = this.hiddenSize;
    const xwF = linear(input, w.fwd.wx, w.fwd.b); // [S, B, 4H]
    const xwB = tf.reverse(linear(input, w.bwd.wx, w.bwd.b), 0); // backward direction in its own time order
    const xw = tf.unstack(tf.stack([xwF, xwB], 1)) as tf.Tensor3D[]; // S × [2, B, 4H]
    const wh = tf.stack([w.fwd.wh, w.bwd.wh]) as tf.Tensor3D; // [2, H, 4H]
    let h = tf.zeros([2, B, H]) as tf.Tensor3D;
    let c = tf.zeros([2, B, H]) as tf.Tensor3D;
    const hs: tf.Tensor3D[] = [];
    for (let k = 0; k < S; k++) {
      const z = tf.add(xw[k], tf.matMul(h, wh)); // [2, B, 4H]
      const [i, f, g, o] = tf.split(z, 4, 2);
      const cNew = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
      const hNew = tf.mul(tf.sigmoid(o), tf.tanh(cNew));
      if (stepMasks) {
        c = keepWhereMasked(cNew, c, stepMasks[k]) as tf.Tensor3D;
        h = keepWhereMasked(hNew, h, stepMasks[k]) as tf.Tensor3D;
      } else {
        c = cNew as tf.Tensor3D;
        h = hNew as tf.Tensor3D;
      }
      hs.push(h);
    }
    const all = tf.stack(hs); // [S(step), 2, B, H]
    const [fwd, bwdRev] = tf.unstack(all, 1) as tf.Tensor3D[]; // [S, B, H] each
    const bwd = tf.reverse(bwdRev, 0); // back to source order
    // Final states: forward after its last step; backward after its last step (= source position 0).
    const [hF, hB] = tf.unstack(h) as tf.Tensor2D[];
    return { outputs: tf.concat([fwd, bwd], 2) as tf.Tensor3D, final: tf.concat([hF, hB], 1) as tf.Tensor2D };
  }
}

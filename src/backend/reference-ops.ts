/**
 * The kernels of the facade (kernels.ts) written with TensorFlow.js ops: the reference the fused and
 * native kernels are tested against (test/fused-cells.test.ts, test/backend.test.ts), and the fallback
 * that runs on every backend where those are not registered (cpu, tfjs-node, wasm for the cases they do
 * not take). Each reads like its equation.
 */
import * as tf from '@tensorflow/tfjs-core';

/** m ? next : prev, elementwise over the batch: keeps a state unchanged where the input is padding. */
function keepWhereMasked<T extends tf.Tensor>(next: T, prev: T, m: tf.Tensor): T {
  return tf.add(prev, tf.mul(m, tf.sub(next, prev))) as T;
}

/** LSTM step after the matmuls; see kernels.ts's lstmCell for the equations. */
export function lstmCellOps(
  xw: tf.Tensor2D,
  hw: tf.Tensor2D,
  h: tf.Tensor2D,
  c: tf.Tensor2D,
  m?: tf.Tensor,
): { h: tf.Tensor2D; c: tf.Tensor2D } {
  const [i, f, g, o] = tf.split(tf.add(xw, hw), 4, 1);
  const cNew = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g))) as tf.Tensor2D;
  const hNew = tf.mul(tf.sigmoid(o), tf.tanh(cNew)) as tf.Tensor2D;
  return m ? { h: keepWhereMasked(hNew, h, m), c: keepWhereMasked(cNew, c, m) } : { h: hNew, c: cNew };
}

/** GRU step after the matmuls; see kernels.ts's gruCell for the equations. */
export function gruCellOps(
  gy: tf.Tensor2D,
  gc: tf.Tensor2D,
  sp: tf.Tensor2D,
  offset: number,
  s: tf.Tensor2D,
): tf.Tensor2D {
  const H = s.shape[1];
  const gx = tf.add(gy, gc);
  const [gxRz, gxN] = tf.split(gx, [2 * H, H], 1);
  const [, us] = tf.split(sp, [offset, 3 * H], 1);
  const [usRz, usN] = tf.split(us, [2 * H, H], 1);
  const [r, z] = tf.split(tf.sigmoid(tf.add(gxRz, usRz)), 2, 1);
  const n = tf.tanh(tf.add(gxN, tf.mul(r, usN)));
  return tf.add(n, tf.mul(z, tf.sub(s, n))) as tf.Tensor2D; // (1 - z) n + z s_{t-1}
}

/**
 * The summed smoothed cross-entropy with its gradient (tf.customGrad: the exponentials over [N, V] are
 * computed once and the softmax kept for the backward pass); see kernels.ts's softmaxXent.
 */
export function softmaxXentOps(
  logits: tf.Tensor2D,
  targets: tf.Tensor1D,
  weights: tf.Tensor1D,
  smoothing: number,
): tf.Scalar {
  const [N, V] = logits.shape;
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const z = args[0] as tf.Tensor2D;
    const save = args[1] as tf.GradSaveFunc;
    const zmax = tf.max(z, 1, true);
    const ex = tf.exp(tf.sub(z, zmax));
    const sumEx = tf.sum(ex, 1, true);
    const lse = tf.reshape(tf.add(zmax, tf.log(sumEx)), [N]);
    const p = tf.div(ex, sumEx);
    const flatIndex = tf.add(tf.mul(tf.range(0, N, 1, 'int32'), tf.scalar(V, 'int32')), targets);
    const zTarget = tf.gather(tf.reshape(z, [-1]), flatIndex);
    let perToken = tf.sub(lse, tf.mul(zTarget, 1 - smoothing));
    if (smoothing > 0) perToken = tf.sub(perToken, tf.mul(tf.sum(z, 1), smoothing / V));
    save([p]);
    const value = tf.sum(tf.mul(perToken, weights)) as tf.Scalar;
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [probs] = saved;
      const q = tf.add(tf.mul(tf.oneHot(targets, V), 1 - smoothing), smoothing / V);
      return tf.mul(tf.sub(probs, q), tf.mul(tf.reshape(weights, [N, 1]), dy));
    };
    return { value, gradFunc };
  });
  return f(logits) as tf.Scalar;
}

/** Per-row smoothed cross-entropy terms and their gradient, no tape; see kernels.ts's softmaxXentTerms. */
export function softmaxXentTermsOps(
  logits: tf.Tensor2D,
  targets: tf.Tensor1D,
  weights: tf.Tensor1D,
  smoothing: number,
): { perToken: tf.Tensor1D; grad: tf.Tensor2D } {
  return tf.tidy(() => {
    const V = logits.shape[1];
    const lse = tf.logSumExp(logits, 1);
    const p = tf.exp(tf.sub(logits, tf.reshape(lse, [-1, 1])));
    const q = tf.add(tf.mul(oneHotFloat(targets, V), 1 - smoothing), smoothing / V);
    const zTarget = tf.sum(tf.mul(logits, oneHotFloat(targets, V)), 1);
    let perToken = tf.sub(lse, tf.mul(zTarget, 1 - smoothing));
    if (smoothing > 0) perToken = tf.sub(perToken, tf.mul(tf.sum(logits, 1), smoothing / V));
    return {
      perToken: tf.mul(perToken, weights) as tf.Tensor1D,
      grad: tf.mul(tf.sub(p, q), tf.reshape(weights, [-1, 1])) as tf.Tensor2D,
    };
  });
}

/** argmax_y log softmax(z)_y per row and its value: ids [B] int32, logProbs [B]. */
export function greedyPickOps(
  logits: tf.Tensor2D,
  banned?: tf.Tensor1D,
): { ids: tf.Tensor1D; logProbs: tf.Tensor1D } {
  return bestOf(tf.logSoftmax(logits), banned);
}

/** argmax and max of each row of log-probabilities [B, V], leaving out each row's banned token (−1 none). */
function bestOf(logProbs: tf.Tensor2D, banned?: tf.Tensor1D): { ids: tf.Tensor1D; logProbs: tf.Tensor1D } {
  const [B, V] = logProbs.shape;
  const allowed = banned
    ? tf.where(
        tf.equal(tf.reshape(tf.range(0, V, 1, 'int32'), [1, V]), tf.reshape(banned, [B, 1])),
        tf.fill([B, V], -Infinity),
        logProbs,
      )
    : logProbs;
  return { ids: tf.argMax(allowed, 1) as tf.Tensor1D, logProbs: tf.max(allowed, 1) as tf.Tensor1D };
}

/** log softmax(z) + add[b] for every row b: [B, V]. */
export function logProbsPlusOps(logits: tf.Tensor2D, add: tf.Tensor1D): tf.Tensor2D {
  return tf.add(tf.logSoftmax(logits), tf.reshape(add, [-1, 1])) as tf.Tensor2D;
}

/** The inputs of a copying model's search step: indices [B·S, 2] holds (row b, token id x_bj) of every
 * source position, mask [B, S] is 1 for copyable ones; pGen [B, 1], attention [B, S], logits [B, V]. */
export interface CopyStep {
  logits: tf.Tensor2D;
  pGen: tf.Tensor2D;
  attention: tf.Tensor2D;
  indices: tf.Tensor2D;
  mask: tf.Tensor2D;
}

/**
 * p(y) = p_gen · softmax(z)_y + (1 − p_gen) · Σ_j a_j [x_j = y]   (See et al., 2017, eq. 9), [B, V].
 * The copy term is a scatter-add of each row's attention onto its source tokens' ids (ScatterNd sums
 * the weights of a token that occurs twice).
 */
export function copyMixtureOps({ logits, pGen, attention, indices, mask }: CopyStep): tf.Tensor2D {
  const [B, V] = logits.shape;
  const generated = tf.mul(tf.softmax(logits), pGen);
  const copyWeights = tf.reshape(tf.mul(tf.mul(attention, mask), tf.sub(1, pGen)), [-1]);
  return tf.add(generated, tf.scatterND(indices, copyWeights, [B, V])) as tf.Tensor2D;
}

/** log p(y) of a copying step, [B, V] (floored so that tokens with p(y) = 0 rank last, not NaN). */
function copyLogProbsOps(step: CopyStep): tf.Tensor2D {
  return tf.log(tf.maximum(copyMixtureOps(step), 1e-30)) as tf.Tensor2D;
}

/** argmax_y log p(y) of a copying step per row and its value: ids [B] int32, logProbs [B]. */
export function copyGreedyPickOps(
  step: CopyStep,
  banned?: tf.Tensor1D,
): { ids: tf.Tensor1D; logProbs: tf.Tensor1D } {
  return bestOf(copyLogProbsOps(step), banned);
}

/** log p(y) + add[b] of a copying step for every row b and token y: [B, V]. */
export function copyLogProbsPlusOps(step: CopyStep, add: tf.Tensor1D): tf.Tensor2D {
  return tf.add(copyLogProbsOps(step), tf.reshape(add, [-1, 1])) as tf.Tensor2D;
}

/**
 * One-hot rows as float32. Not `tf.oneHot(…, 'float32')`: the wasm backend (tfjs 4.22) writes the on-value's
 * int32 bit pattern there (1 becomes 1.4e-45); an int32 one-hot cast to float32 is right everywhere.
 */
export function oneHotFloat(targets: tf.Tensor1D, depth: number): tf.Tensor2D {
  return tf.cast(tf.oneHot(targets, depth), 'float32') as tf.Tensor2D;
}

/** A data-parallel training worker: see parallel.ts for the protocol and why it keeps replicas identical. */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { addInto } from '../backend/kernels.js';
import { initBackend } from '../backend/select.js';
import { Seq2Seq } from '../model/seq2seq.js';
import { readParams } from '../model/weights-io.js';
import { FusedAdam } from './adam.js';
import {
  clipScale,
  globalNorm,
  lossAndGrads,
  paramLayout,
  readFlat,
  seedSequence,
  writeFlat,
} from './engine.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './parallel.js';
import type { Example } from '../data/batching.js';

const init = (workerData as { init: WorkerInit }).init;
const port = parentPort!;
const reply = (r: WorkerReply) => port.postMessage(r);

await initBackend(init.backend);
const model = new Seq2Seq(init.modelConfig, init.seed);
const vars = model.params.entries().map(([, v]) => v);
const adam = new FusedAdam(paramLayout(vars), init.settings.learningRate);
/** Parameters in all: the length of every flat buffer (weights, gradient slots, their sum). */
const P = adam.size;
/** This replica's weights, flat: Adam updates them here, then they are assigned to the variables. */
const weights = new Float32Array(P);
readFlat(vars, weights);
const slots = Array.from({ length: init.slots }, (_, i) => new Float32Array(init.grads, i * P * 4, P));
const mine = slots[init.index];
/** The summed gradients, reused every step (P floats: allocating it per step churned ~25 MB a step). */
const sum = new Float32Array(P);

function computeGrads(examples: Example[], normalizer: number, stepSeed: number): number {
  if (examples.length === 0) {
    mine.fill(0);
    return 0;
  }
  return tf.tidy(() => {
    const { loss, grads } = lossAndGrads(
      model,
      vars,
      examples,
      normalizer,
      init.settings.labelSmoothing,
      seedSequence(stepSeed, init.index),
      init.settings.guidedAlignment,
    );
    readFlat(
      vars.map((v) => grads[v.name]),
      mine,
    );
    return loss.dataSync()[0];
  });
}

function applySummed(learningRate: number): number {
  // Every worker sums the slots in the same order, so all replicas apply bit-identical updates.
  sum.set(slots[0]);
  for (const s of slots.slice(1)) addInto(sum, s);
  const norm = globalNorm(sum);
  if (!Number.isFinite(norm)) return norm;
  adam.learningRate = learningRate;
  adam.step(weights, sum, clipScale(norm, init.settings.clipNorm));
  writeFlat(vars, weights);
  return norm;
}

port.on('message', (msg: WorkerRequest) => {
  void (async () => {
    try {
      switch (msg.type) {
        case 'grads':
          reply({ type: 'grads-done', loss: computeGrads(msg.examples, msg.normalizer, msg.stepSeed) });
          break;
        case 'apply':
          reply({ type: 'applied', norm: msg.skip ? NaN : applySummed(msg.learningRate) });
          break;
        case 'get-weights':
          reply({ type: 'weights', weights: readParams(model.params) });
          break;
        case 'get-optimizer':
          reply({ type: 'optimizer', optimizer: adam.state() });
          break;
        case 'set-state': {
          const byName = new Map(model.params.entries());
          for (const w of msg.weights) {
            const t = tf.tensor(w.values, w.shape, 'float32');
            byName.get(w.name)!.assign(t);
            t.dispose();
          }
          readFlat(vars, weights);
          if (msg.optimizer.length > 0) adam.load(msg.optimizer);
          reply({ type: 'state-set' });
          break;
        }
        case 'exit':
          process.exit(0);
      }
    } catch (err) {
      reply({ type: 'error', message: (err as Error).stack ?? String(err) });
    }
  })();
});
reply({ type: 'ready' });

/**
 * The currency of training state: the optimizer (adam.ts), the engines (engine.ts, parallel.ts) and the
 * checkpoints exchange weights, gradients and moments as named float32 arrays. Its own module so that
 * adam.ts and engine.ts, which both speak it, need not import each other.
 */
import type { NamedWeights } from '../model/weights-io.js';

/** Named float32 values (weights, gradients, optimizer state), as src/model/weights-io.ts reads and writes. */
export type NamedArray = NamedWeights;

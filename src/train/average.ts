/**
 * Checkpoint averaging: the element-wise mean of the weights of several checkpoints of one run. The
 * weights at the last few validations sit around a minimum that noisy Adam steps keep missing; their
 * mean is usually closer to it, so it translates better than any one of them, for free (Junczys-Dowmunt
 * et al., 2016; Vaswani et al., 2017, averaged the last 5 or 20 checkpoints).
 */
import { type CheckpointHeader, readCheckpoint } from './checkpoint.js';
import { type NamedWeights, decodeWeights } from '../model/weights-io.js';

export interface AveragedCheckpoints {
  /** Header of the checkpoint with the most steps: its config, state and tokenizers describe the result. */
  newest: CheckpointHeader;
  /** The file of that checkpoint (its run folder may hold the run's model folder). */
  newestFile: string;
  /** Steps of the averaged checkpoints, ascending. */
  steps: number[];
  weights: NamedWeights[];
}

/** Averages the weights of `files` (at least one). Every error names the file that caused it. */
export function averageCheckpoints(files: readonly string[]): AveragedCheckpoints {
  if (files.length === 0) throw new Error('no checkpoints to average');
  let sums: { name: string; shape: number[]; sum: Float64Array }[] = [];
  let first: { file: string; header: CheckpointHeader } | undefined;
  let newest: { file: string; header: CheckpointHeader } | undefined;
  const steps: number[] = [];
  for (const file of files) {
    const ck = readCheckpoint(file);
    const weights = decodeWeights(ck.header.weights, ck.weightBytes, file);
    if (!first) {
      first = { file, header: ck.header };
      sums = weights.map((w) => ({ name: w.name, shape: w.shape, sum: new Float64Array(w.values.length) }));
    } else {
      checkSameModel(first, file, ck.header, weights);
    }
    weights.forEach((w, i) => {
      const sum = sums[i].sum;
      for (let j = 0; j < sum.length; j++) sum[j] += w.values[j];
    });
    steps.push(ck.header.state.step);
    if (!newest || ck.header.state.step > newest.header.state.step) newest = { file, header: ck.header };
  }
  // Float64 sums, then one rounding to float32: the mean does not depend on the order of the files.
  const weights = sums.map(({ name, shape, sum }) => ({
    name,
    shape,
    values: Float32Array.from(sum, (x) => x / files.length),
  }));
  const { file: newestFile, header } = newest!;
  return { newest: header, newestFile, steps: steps.sort((a, b) => a - b), weights };
}

/** Checkpoints must come from one model: same tensors, shapes and tokenizers as the first file. */
function checkSameModel(
  first: { file: string; header: CheckpointHeader },
  file: string,
  header: CheckpointHeader,
  weights: NamedWeights[],
): void {
  const expected = first.header.weights.tensors;
  if (weights.length !== expected.length) {
    throw new Error(
      `${file}: has ${weights.length} weight tensors but ${first.file} has ${expected.length}; ` +
        'only checkpoints of the same model can be averaged',
    );
  }
  weights.forEach((w, i) => {
    const e = expected[i];
    if (w.name !== e.name || w.shape.join('x') !== e.shape.join('x')) {
      throw new Error(
        `${file}: tensor ${i + 1} is "${w.name}" [${w.shape}] but in ${first.file} it is "${e.name}" [${e.shape}]; ` +
          'only checkpoints of the same model can be averaged',
      );
    }
  });
  for (const side of ['srcTokenizerFile', 'tgtTokenizerFile'] as const) {
    if (header[side] !== first.header[side]) {
      throw new Error(
        `${file}: uses the tokenizer ${header[side]} but ${first.file} uses ${first.header[side]}`,
      );
    }
  }
}

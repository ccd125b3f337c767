/**
 * `train --init-from DIR --widen --hidden-size H' [--attention-size A']`: start a wider model from a
 * narrower one's weights so that, before its first step, it translates exactly as the narrower one does.
 *
 * Why: a wider model trained from random weights needs the many hours the narrow one had again; grown from
 * it, training starts from its quality. This is Net2WiderNet (Chen, Goodfellow & Shlens 2016, "Net2Net")
 * in its simplest function-preserving form: every old weight keeps its place; a new unit's incoming
 * weights (from old and new units) keep their fresh random values, so new units compute something from
 * the first step; its outgoing weights into old units start at 0, so the old units, and through them the
 * logits, are what they were. Gradients reach those zero weights at once (the new units' activations are
 * not 0), then the new units' incoming weights; the optimizer does the rest.
 *
 * Each parameter's rows and columns are laid out in segments (the LSTM's four gates, the GRU's three, the
 * encoder's forward and backward halves, the deep output's [s_t; c_t; E y_{t−1}]); widening grows each
 * H or A segment at its end, so a gate block stays a gate block. The layouts are written out per
 * parameter below; a parameter this file does not know is refused, so a new one cannot be widened wrongly.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ARCHITECTURE_FIELDS, type ModelConfig } from '../model/config.js';
import type { Seq2Seq } from '../model/seq2seq.js';

/** A run of `from` entries of an axis that becomes `to` entries (to ≥ from). */
interface Segment {
  from: number;
  to: number;
}
type Layout = readonly Segment[];

/** The sizes that may grow; all other architecture fields must be equal. */
const GROWABLE = new Set<keyof ModelConfig>(['encoderHiddenSize', 'decoderHiddenSize', 'attentionSize']);

/** [rows, columns] of a matrix, or [entries] of a vector, for every parameter name of a Seq2Seq. */
function layoutOf(name: string, old: ModelConfig, wide: ModelConfig): Layout[] {
  const fixed = (n: number): Layout => [{ from: n, to: n }];
  const H: Segment = { from: old.encoderHiddenSize, to: wide.encoderHiddenSize };
  const D: Segment = { from: old.decoderHiddenSize, to: wide.decoderHiddenSize };
  const A: Layout = [{ from: old.attentionSize, to: wide.attentionSize }];
  const E = fixed(old.embeddingSize);
  const encoderStates: Layout = [H, H]; // h_j = [→h_j; ←h_j]
  const lstmGates: Layout = [H, H, H, H]; // i, f, g, o
  const gruGates: Layout = [D, D, D]; // r, z, n
  // [s_t; c_t; E y_{t−1}], the input of the deep output and of the copy gate (decoder.ts `output`)
  const outputInput: Layout = [D, H, H, ...E];
  const encoder = /^encoder\.l(\d+)\.(fwd|bwd)\.(Wx|Wh|b)$/.exec(name);
  if (encoder) {
    const [, layer, , kind] = encoder;
    if (kind === 'b') return [lstmGates];
    if (kind === 'Wh') return [[H], lstmGates];
    return [layer === '0' ? E : encoderStates, lstmGates];
  }
  if (name === 'embedding.src') return [fixed(old.srcVocabSize), E];
  if (name === 'embedding.tgt' || name === 'embedding.shared') return [fixed(old.tgtVocabSize), E];
  const layouts: Record<string, Layout[]> = {
    'attention.U': [encoderStates, A],
    'attention.W': [[D], A],
    'attention.b': [A],
    'attention.v': [A, fixed(1)],
    'decoder.bridge.W': [encoderStates, [D]],
    'decoder.bridge.b': [[D]],
    'decoder.gru.Wy': [E, gruGates],
    'decoder.gru.Wc': [encoderStates, gruGates],
    'decoder.gru.bx': [gruGates],
    'decoder.gru.Us': [[D], gruGates],
    'decoder.gru.bs': [gruGates],
    'decoder.output.W': [outputInput, fixed(old.outputSize)],
    'decoder.output.b': [fixed(old.outputSize)],
    'decoder.vocab.W': [fixed(old.outputSize), fixed(old.tgtVocabSize)],
    'decoder.vocab.b': [fixed(old.tgtVocabSize)],
    'decoder.copy.w': [outputInput, fixed(1)],
    'decoder.copy.b': [fixed(1)],
  };
  const layout = layouts[name];
  if (!layout) throw new Error(`--widen: no layout for the parameter "${name}" (src/train/widen.ts)`);
  return layout;
}

/** Where each old index of an axis lands, and which new indices are new units. */
function axisMap(layout: Layout): { to: Int32Array; isNew: Uint8Array; oldSize: number; newSize: number } {
  const oldSize = layout.reduce((n, s) => n + s.from, 0);
  const newSize = layout.reduce((n, s) => n + s.to, 0);
  const to = new Int32Array(oldSize);
  const isNew = new Uint8Array(newSize);
  let o = 0;
  let n = 0;
  for (const s of layout) {
    for (let i = 0; i < s.from; i++) to[o + i] = n + i;
    for (let i = s.from; i < s.to; i++) isNew[n + i] = 1;
    o += s.from;
    n += s.to;
  }
  return { to, isNew, oldSize, newSize };
}

/**
 * One parameter widened: `fresh` (the wide model's initial values) with the old values in their places
 * and zeros where a new row (an input from a new unit) meets an old column (an old unit).
 */
export function widenValues(
  name: string,
  old: Float32Array,
  fresh: Float32Array,
  layouts: Layout[],
): Float32Array {
  const out = Float32Array.from(fresh);
  if (layouts.length === 1) {
    const cols = axisMap(layouts[0]);
    if (old.length !== cols.oldSize || fresh.length !== cols.newSize)
      throw new Error(`--widen: "${name}" has ${old.length} values, its layout ${cols.oldSize}`);
    for (let j = 0; j < cols.oldSize; j++) out[cols.to[j]] = old[j];
    return out;
  }
  const [rows, cols] = layouts.map(axisMap);
  if (old.length !== rows.oldSize * cols.oldSize || fresh.length !== rows.newSize * cols.newSize)
    throw new Error(
      `--widen: "${name}" has ${old.length} values, its layout [${rows.oldSize}, ${cols.oldSize}]`,
    );
  const W = cols.newSize;
  for (let i = 0; i < rows.oldSize; i++)
    for (let j = 0; j < cols.oldSize; j++) out[rows.to[i] * W + cols.to[j]] = old[i * cols.oldSize + j];
  for (let r = 0; r < rows.newSize; r++) {
    if (!rows.isNew[r]) continue;
    for (let j = 0; j < cols.oldSize; j++) out[r * W + cols.to[j]] = 0;
  }
  return out;
}

/**
 * Which sizes grow from `old` to `wide` ("encoderHiddenSize 256 → 384, …"); throws when anything else
 * differs or a size shrinks or nothing grows.
 */
export function describeWidening(old: ModelConfig, wide: ModelConfig, where: string): string {
  const problems: string[] = [];
  const grows: string[] = [];
  for (const key of ARCHITECTURE_FIELDS) {
    if (old[key] === wide[key]) continue;
    if (!GROWABLE.has(key)) problems.push(`${key} ${String(wide[key])} (the folder's: ${String(old[key])})`);
    else if ((wide[key] as number) < (old[key] as number))
      problems.push(`${key} ${String(wide[key])} is below the folder's ${String(old[key])}`);
    else grows.push(`${key} ${String(old[key])} → ${String(wide[key])}`);
  }
  if (problems.length > 0)
    throw new Error(
      `${where}: --widen grows the hidden and attention sizes only; this run's model differs: ${problems.join(', ')}`,
    );
  if (grows.length === 0)
    throw new Error(
      `${where}: --widen needs a --hidden-size or --attention-size above the folder's ` +
        `(${old.encoderHiddenSize}, ${old.attentionSize})`,
    );
  return grows.join(', ');
}

/** Sets `model`'s parameters to the widened `weights` of a model with config `old` (see the header). */
export function assignWidened(
  model: Seq2Seq,
  old: ModelConfig,
  weights: ReadonlyMap<string, Float32Array>,
  where: string,
): void {
  const params = model.params.entries();
  const names = new Set(params.map(([name]) => name));
  const missing = [...names].filter((name) => !weights.has(name));
  const extra = [...weights.keys()].filter((name) => !names.has(name));
  const problems = [
    ...(missing.length > 0 ? [`missing: ${missing.join(', ')}`] : []),
    ...(extra.length > 0 ? [`not in the model: ${extra.join(', ')}`] : []),
  ];
  if (problems.length > 0)
    throw new Error(`${where}: the folder's weights do not match its config (${problems.join('; ')})`);
  for (const [name, variable] of params) {
    const fresh = variable.dataSync() as Float32Array;
    const values = widenValues(name, weights.get(name)!, fresh, layoutOf(name, old, model.config));
    tf.tidy(() => variable.assign(tf.tensor(values, variable.shape, 'float32')));
  }
}

/**
 * `train --init-from DIR` (src/train/init-from.ts): a run starts from a model folder's weights, tokenizers
 * and sizes, and refuses sizes that contradict them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { decodeWeights, readBytes, type NamedWeights } from '../src/model/weights-io.js';
import { readModelConfig } from '../src/translate/model-dir.js';
import { readTsv } from '../src/data/readers.js';
import { SAMPLE_CORPUS } from '../src/util/repo-paths.js';
import { trainEngSpa } from './helpers/cli.js';
import { makeTinyModel } from './helpers/tiny-model.js';
import { splitsPunctuation } from '../src/tokenizer/train.js';
import { initBackend } from '../src/backend/select.js';
import { Translator } from '../src/translate/translator.js';

function weightsOf(dir: string): Map<string, Float32Array> {
  const cfg = readModelConfig(dir);
  const file = path.join(dir, cfg.weights.file);
  return new Map(
    decodeWeights(cfg.weights, readBytes(file), file).map((w: NamedWeights) => [w.name, w.values]),
  );
}

function maxAbsDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  expect([...a.keys()].sort()).to.deep.equal([...b.keys()].sort());
  let m = 0;
  for (const [name, x] of a) {
    const y = b.get(name)!;
    for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  }
  return m;
}

describe('train --init-from: a warm start from a model folder', function () {
  this.timeout(240_000);
  let dir: string;
  let tiny: string;
  let corpus: string;
  const train = (out: string, ...args: string[]) =>
    trainEngSpa(corpus, path.join(dir, out), [
      ...'--max-steps 1 --valid-every 1 --bleu-sentences 5 --workers 1 --backend wasm'.split(' '),
      // Another seed than the tiny model's: a run that ignored --init-from would start elsewhere.
      '--seed',
      '7',
      ...args,
    ]);

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-init-from-'));
    tiny = path.join(dir, 'tiny');
    fs.mkdirSync(tiny);
    await makeTinyModel(tiny);
    corpus = path.join(dir, 'pairs.tsv');
    const pairs = readTsv(SAMPLE_CORPUS).slice(0, 400);
    fs.writeFileSync(corpus, pairs.map((p) => `${p.src}\t${p.tgt}\n`).join(''));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("starts from the folder's weights, with its tokenizers and sizes", async () => {
    // A learning rate so small that one Adam step moves no weight by more than ~1e-8.
    const r = await train('warm', '--init-from', tiny, '--learning-rate', '1e-8');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/--init-from: weights, tokenizers and sizes of /);
    const model = path.join(dir, 'warm', 'model');
    expect(readModelConfig(model).model).to.deep.equal({ ...readModelConfig(tiny).model, dropout: 0.2 });
    expect(maxAbsDiff(weightsOf(model), weightsOf(tiny))).to.be.below(1e-6);
    // The folder's tokenizers were used, not new ones trained on the corpus.
    for (const side of ['src', 'tgt'] as const) {
      const copied = path.join(model, readModelConfig(model).tokenizers[side]);
      const original = path.join(tiny, readModelConfig(tiny).tokenizers[side]);
      expect(fs.readFileSync(copied, 'utf8'), side).to.equal(fs.readFileSync(original, 'utf8'));
    }

    // Without it, the same run starts from other weights.
    const cold = await train(
      'cold',
      '--src-tokenizer',
      path.join(tiny, readModelConfig(tiny).tokenizers.src),
      '--tgt-tokenizer',
      path.join(tiny, readModelConfig(tiny).tokenizers.tgt),
      ...'--embedding-size 16 --hidden-size 16 --attention-size 16 --output-size 16 --tie-embeddings none'.split(
        ' ',
      ),
      '--learning-rate',
      '1e-8',
    );
    expect(cold.code, cold.stderr).to.equal(0);
    expect(maxAbsDiff(weightsOf(path.join(dir, 'cold', 'model')), weightsOf(tiny))).to.be.above(0.01);
  });

  it("--split-punctuation: a copy of the folder's tokenizer with the marks split off, same ids, in the exported model", async () => {
    const r = await train('split', '--init-from', tiny, '--split-punctuation', '--learning-rate', '1e-8');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/--split-punctuation: .* with \. , ! \? ; : split off words \(same ids\)/);
    const model = path.join(dir, 'split', 'model');
    for (const side of ['src', 'tgt'] as const) {
      const copied = JSON.parse(
        fs.readFileSync(path.join(model, readModelConfig(model).tokenizers[side]), 'utf8'),
      ) as { model: object; pre_tokenizer?: { type: string } };
      const original = JSON.parse(
        fs.readFileSync(path.join(tiny, readModelConfig(tiny).tokenizers[side]), 'utf8'),
      ) as { model: object; pre_tokenizer?: { type: string } };
      expect(splitsPunctuation(copied), side).to.equal(true);
      expect(splitsPunctuation(original), side).to.equal(false);
      expect(copied.model, side).to.deep.equal(original.model);
    }
    expect(maxAbsDiff(weightsOf(model), weightsOf(tiny))).to.be.below(1e-6);
  });

  it('--widen: grows the hidden and attention sizes and keeps what the model translates', async () => {
    const r = await train(
      'wide',
      ...['--init-from', tiny, '--widen', '--hidden-size', '24', '--attention-size', '20'],
      ...['--learning-rate', '1e-8'],
    );
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(
      /--init-from: weights of .*tiny widened \(encoderHiddenSize 16 → 24, decoderHiddenSize 16 → 24, attentionSize 16 → 20; new units start with zero outgoing weights\)/,
    );
    const model = path.join(dir, 'wide', 'model');
    expect(readModelConfig(model).model).to.include({
      encoderHiddenSize: 24,
      attentionSize: 20,
      outputSize: 16,
    });
    await initBackend('wasm');
    const sentences = readTsv(SAMPLE_CORPUS)
      .slice(0, 12)
      .map((p) => p.src);
    const [narrow, wide] = [tiny, model].map((d) => Translator.load(d));
    try {
      for (const beam of [1, 3]) {
        const a = narrow.translate(sentences, { beam });
        const b = wide.translate(sentences, { beam });
        expect(b.map((t) => t.hypotheses[0].text)).to.deep.equal(a.map((t) => t.hypotheses[0].text));
        b.forEach((t, i) => expect(t.hypotheses[0].logProb).to.be.closeTo(a[i].hypotheses[0].logProb, 1e-3));
      }
    } finally {
      narrow.dispose();
      wide.dispose();
    }
  });

  it('refuses a size that contradicts the weights, naming the field, and a folder that is not a model', async () => {
    const r = await train('bad', '--init-from', tiny, '--hidden-size', '32');
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(
      /--init-from .*: this run's model differs from the folder's: encoderHiddenSize 32 \(the folder's: 16\).*add --widen/,
    );
    const missing = await train('missing', '--init-from', path.join(dir, 'nowhere'));
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.match(/cannot read model config .*nowhere.*config\.json/);
  });
});

/**
 * npm run bench [-- --json] [--configs default,large,shared-copy,shipped (src/bench/configs.ts)] [--backends wasm,cpu] [--steps 50] [--no-torch]
 *
 * Training throughput (target tokens/s of full steps on real eng-spa batches, or synthetic batches of the
 * same shapes when ../shared is absent), translation latency (greedy and beam 5, one 15-subword
 * sentence, 20 output steps) and batch throughput (256 sentences), memory; and the same architecture in
 * PyTorch (../shared/bench/torch_reference.py, Debian python3-torch) with matching dimensions, run in the
 * same process tree so the ratio compares like with like. Writes the full results to bench-results.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Command, Option } from 'commander';
import { parseBackendName } from '../backend/names.js';
import { initBackend } from '../backend/select.js';
import { readTsv } from '../data/readers.js';
import { Rng } from '../util/rng.js';
import type { Example } from '../data/batching.js';
import { trainTokenizerFile } from '../tokenizer/train.js';
import { SubwordTokenizer } from '../tokenizer/subword.js';
import { Seq2Seq } from '../model/seq2seq.js';
import { ModelConfigSchema } from '../model/config.js';
import { type WeightDtype, roundParamsTo } from '../model/weights-io.js';
import { defaultWorkers } from '../train/parallel.js';
import { measureTrainSpeed, type TrainSpeed } from '../bench/train-speed.js';
import { measureTranslateSpeed, randomSources, type TranslateSpeed } from '../bench/translate-speed.js';
import { measureParallelBatch } from '../bench/batch-parallel.js';
import { memoryFigures, runTorchReference, type MemoryFigures, type TorchFigures } from '../bench/measure.js';
import { createLogger } from '../util/log.js';
import { type ConfigName, benchConfig } from '../bench/configs.js';
import { formatProfile, profileGreedy, profileTrainingStep } from '../bench/profile.js';

const VOCAB = 8000;
const here = path.dirname(new URL(import.meta.url).pathname);
const shared = path.resolve(here, '..', '..', '..', 'shared');

interface Row {
  config: ConfigName;
  backend: string;
  parameters: number;
  train: TrainSpeed[];
  translate: TranslateSpeed;
  /** Greedy batch throughput with the batch split between worker threads (one per core). */
  batchParallel?: { workers: number; sentencesPerSec: number };
  memory: MemoryFigures;
  torch?: TorchFigures | { unavailable: string };
}

const program = new Command()
  .name('bench')
  .option('--json', 'print one JSON object (and nothing else) on stdout')
  .option(
    '--configs <list>',
    'default, large (classic: separate vocabularies, untied, no copying), shared-copy (one vocabulary, tied, copying), shipped (the sizes of models/eng-spa)',
    'default,large',
  )
  .option(
    '--backends <list>',
    'backends to measure (default: the one selected automatically, plus cpu for translation only)',
  )
  .option(
    '--steps <n>',
    'timed training steps per measurement (batches vary: 10 were too few)',
    (v) => Number(v),
    50,
  )
  .option('--runs <n>', 'timed translations per latency figure', (v) => Number(v), 20)
  .option('--no-torch', 'skip the PyTorch reference')
  .addOption(
    new Option(
      '--weights <dtype>',
      "precision of the translation model's weights: float16 values, as the shipped model stores them, or float32",
    )
      .choices(['float16', 'float32'])
      .default('float16'),
  )
  .option('--profile', 'also print an op-level profile of one training step and one greedy translation')
  .option('--out <file>', 'where to write the full results', 'bench-results.json');

async function loadExamples(log: ReturnType<typeof createLogger>): Promise<{
  examples: Example[];
  src: SubwordTokenizer;
  tgt: SubwordTokenizer;
  /** The same pairs through one BPE learnt on both sides (the shared-copy configuration). */
  sharedExamples: Example[];
  shared: SubwordTokenizer;
  source: string;
}> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nmt-bench-tok-'));
  const corpus = path.join(shared, 'corpora', 'tatoeba', 'eng-spa.tsv');
  let pairs: { src: string; tgt: string }[];
  let source: string;
  if (fs.existsSync(corpus)) {
    pairs = new Rng(1).shuffle(readTsv(corpus)).slice(0, 30000);
    source = `${corpus} (30,000 shuffled pairs)`;
  } else {
    // Synthetic sentences of Tatoeba-like lengths, so batches have the same shapes.
    const rng = new Rng(2);
    const word = () =>
      Array.from({ length: 2 + rng.int(6) }, () => String.fromCharCode(97 + rng.int(26))).join('');
    pairs = Array.from({ length: 30000 }, () => {
      const n = 3 + rng.int(9);
      return {
        src: Array.from({ length: n }, word).join(' '),
        tgt: Array.from({ length: n + rng.int(3) }, word).join(' '),
      };
    });
    source = 'synthetic sentences (../shared not found)';
  }
  trainTokenizerFile(
    pairs.map((p) => p.src),
    path.join(dir, 'src.json'),
    { vocabSize: VOCAB },
  );
  trainTokenizerFile(
    pairs.map((p) => p.tgt),
    path.join(dir, 'tgt.json'),
    { vocabSize: VOCAB },
  );
  trainTokenizerFile(
    pairs.flatMap((p) => [p.src, p.tgt]),
    path.join(dir, 'shared.json'),
    { vocabSize: VOCAB, splitDigits: true, byteFallback: true },
  );
  const src = SubwordTokenizer.load(path.join(dir, 'src.json'));
  const tgt = SubwordTokenizer.load(path.join(dir, 'tgt.json'));
  const joint = SubwordTokenizer.load(path.join(dir, 'shared.json'));
  log.info(`bench data: ${source}`);
  return {
    examples: pairs.map((p) => ({ src: src.encode(p.src), tgt: tgt.encode(p.tgt) })),
    src,
    tgt,
    sharedExamples: pairs.map((p) => ({ src: joint.encode(p.src), tgt: joint.encode(p.tgt) })),
    shared: joint,
    source,
  };
}

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<{
    json?: boolean;
    configs: string;
    backends?: string;
    steps: number;
    runs: number;
    torch: boolean;
    weights: WeightDtype;
    out: string;
    profile?: boolean;
  }>();
  const log = createLogger('bench', o.json ? 'warn' : 'info');
  const auto = await initBackend(undefined, (m) => log.info(m));
  const backends = o.backends
    ? o.backends.split(',').map(parseBackendName)
    : [auto.name, ...(auto.name === 'cpu' ? [] : ['cpu' as const])];
  const configs = o.configs.split(',') as ConfigName[];
  // Resolved once, before the data work: an unknown name or an unreadable shipped model fails at once.
  const resolved = configs.map((config) => ({ config, dims: benchConfig(config) }));
  const data = await loadExamples(log);
  const rows: Row[] = [];
  const profiles: string[] = [];
  for (const { config, dims } of resolved) {
    const sharing = dims.sharedTiedCopy
      ? ({ tieEmbeddings: 'all', copyAttention: true } as const)
      : undefined;
    const examples = sharing ? data.sharedExamples : data.examples;
    let torch: Row['torch'];
    if (o.torch) {
      log.info(`${config}: PyTorch reference…`);
      torch = runTorchReference(path.join(shared, 'bench', 'torch_reference.py'), {
        emb: dims.embeddingSize,
        hid: dims.hiddenSize,
        vocab: VOCAB,
        batch: 64,
        len: 20,
        steps: config === 'large' ? 5 : 10,
      });
    }
    for (const backend of backends) {
      await tf.setBackend(backend === 'tensorflow-gpu' ? 'tensorflow' : backend);
      // The pure-JS cpu backend is ~50× slower: one step and a few translations tell enough.
      const slow = backend === 'cpu';
      if (slow && config === 'large' && !o.backends) {
        log.info(`large on cpu: skipped (minutes per step; ask for it with --backends cpu)`);
        continue;
      }
      log.info(`${config} on ${backend}: training…`);
      const train: TrainSpeed[] = [];
      const workerCounts = slow ? [1] : [...new Set([1, defaultWorkers(backend)])];
      for (const workers of workerCounts) {
        train.push(
          await measureTrainSpeed({
            examples,
            srcTokenizer: sharing ? data.shared : data.src,
            tgtTokenizer: sharing ? data.shared : data.tgt,
            dims: {
              embeddingSize: dims.embeddingSize,
              hiddenSize: dims.hiddenSize,
              attentionSize: dims.attentionSize,
              outputSize: dims.outputSize,
            },
            sharing,
            tokenBudget: dims.tokenBudget,
            workers,
            steps: slow ? 1 : o.steps,
            // Steady state: with 2 warm-up steps, 2 workers measured 2,251 tok/s where the same
            // configuration in `npm run train` ran at ~3,000 from step 50 (JIT, heap growth, packing).
            warmup: slow ? 0 : 10,
          }),
        );
      }
      log.info(`${config} on ${backend}: translation…`);
      const model = new Seq2Seq(
        ModelConfigSchema.parse({
          srcVocabSize: VOCAB,
          tgtVocabSize: VOCAB,
          embeddingSize: dims.embeddingSize,
          encoderHiddenSize: dims.hiddenSize,
          decoderHiddenSize: dims.hiddenSize,
          attentionSize: dims.attentionSize,
          outputSize: dims.outputSize,
          dropout: 0,
          ...(sharing ? { tiedEmbeddings: sharing.tieEmbeddings, copyAttention: sharing.copyAttention } : {}),
        }),
        1,
      );
      roundParamsTo(model.params, o.weights);
      const translate = measureTranslateSpeed(model, {
        runs: slow ? 2 : o.runs,
        batchSentences: slow ? 16 : 256,
      });
      const parallelWorkers = slow ? 1 : defaultWorkers(backend);
      const batchParallel =
        parallelWorkers > 1
          ? {
              workers: parallelWorkers,
              sentencesPerSec: await measureParallelBatch({
                backend,
                config: model.config,
                seed: 1,
                weights: o.weights,
                sources: randomSources(256, 15, VOCAB, 12),
                workers: parallelWorkers,
                outputTokens: translate.outputTokens,
              }),
            }
          : undefined;
      rows.push({
        config,
        backend,
        parameters: model.parameterCount(),
        train,
        translate,
        batchParallel,
        memory: memoryFigures(),
        torch,
      });
      if (o.profile && !slow) {
        profiles.push(
          formatProfile(
            `${config} on ${backend}, one training step (1 thread, token budget ${dims.tokenBudget})`,
            await profileTrainingStep(model, examples, dims.tokenBudget),
          ),
        );
        profiles.push(
          formatProfile(
            `${config} on ${backend}, one greedy translation (15 → 20 subwords)`,
            await profileGreedy(model),
          ),
        );
      }
      model.dispose();
    }
  }
  const best = rows.find((r) => r.config === 'default' && r.backend === auto.name) ?? rows[0];
  const bestTrain = best.train.reduce((a, b) => (b.targetTokensPerSec > a.targetTokensPerSec ? b : a));
  const torch = best.torch && 'trainTokensPerSec' in best.torch ? best.torch : undefined;
  const summary = {
    backend: best.backend,
    matmul: auto.matmul ?? null,
    translationWeights: o.weights,
    config: best.config,
    parameters: best.parameters,
    workers: bestTrain.workers,
    trainTokensPerSec: bestTrain.targetTokensPerSec,
    torchTrainTokensPerSec: torch?.trainTokensPerSec ?? null,
    greedyMs: best.translate.greedy.medianMs,
    greedyP95Ms: best.translate.greedy.p95Ms,
    beam5Ms: best.translate.beam5.medianMs,
    beam5P95Ms: best.translate.beam5.p95Ms,
    torchGreedyMs: torch?.greedyMs ?? null,
    // the faster of one thread and one worker per core
    batchSentencesPerSec: Math.max(
      best.translate.batchSentencesPerSec,
      best.batchParallel?.sentencesPerSec ?? 0,
    ),
    batchSentencesPerSecOneThread: best.translate.batchSentencesPerSec,
    batchWorkers: best.batchParallel?.workers ?? 1,
    torchBatchSentencesPerSec: torch?.batchSentencesPerSec ?? null,
    peakRssMB: Math.max(...rows.map((r) => r.memory.peakRssMB)),
    data: data.source,
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`,
    rows,
  };
  fs.writeFileSync(o.out, JSON.stringify(summary, null, 2) + '\n');
  if (o.json) {
    process.stdout.write(JSON.stringify(summary) + '\n');
    return;
  }
  process.stdout.write(
    formatTable(rows) +
      (auto.matmul ? `\nwasm matmul: ${auto.matmul}` : '') +
      `\ntranslation: weights rounded to ${o.weights}${o.weights === 'float16' ? ' (as the shipped model stores them)' : ''}; training in float32` +
      `\nfull results: ${o.out}\n`,
  );
  if (profiles.length > 0) process.stdout.write('\n' + profiles.join('\n\n') + '\n');
}

function ratio(a: number | undefined, b: number | undefined, invert = false): string {
  if (!a || !b) return '';
  return ` (${(invert ? b / a : a / b).toFixed(2)}× torch)`;
}

function formatTable(rows: Row[]): string {
  const lines = [
    '| config | backend | params | workers | train tgt tok/s | greedy ms (p95) | beam-5 ms (p95) | batch sent/s | peak RSS MB |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const t = r.torch && 'trainTokensPerSec' in r.torch ? r.torch : undefined;
    for (const tr of r.train) {
      const batch =
        tr.workers > 1 && r.batchParallel?.workers === tr.workers
          ? r.batchParallel.sentencesPerSec
          : r.translate.batchSentencesPerSec;
      lines.push(
        `| ${r.config} | ${r.backend} | ${(r.parameters / 1e6).toFixed(1)}M | ${tr.workers} | ${tr.targetTokensPerSec.toFixed(0)}${ratio(tr.targetTokensPerSec, t?.trainTokensPerSec)} | ${r.translate.greedy.medianMs.toFixed(1)} (${r.translate.greedy.p95Ms.toFixed(1)})${ratio(r.translate.greedy.medianMs, t?.greedyMs, true)} | ${r.translate.beam5.medianMs.toFixed(1)} (${r.translate.beam5.p95Ms.toFixed(1)}) | ${batch.toFixed(0)}${ratio(batch, t?.batchSentencesPerSec)} | ${r.memory.peakRssMB.toFixed(0)} |`,
      );
    }
    if (t)
      lines.push(
        `| ${r.config} | pytorch (1 thread) | ${(t.params / 1e6).toFixed(1)}M | 1 | ${t.trainTokensPerSec.toFixed(0)} | ${t.greedyMs.toFixed(1)} | | ${t.batchSentencesPerSec.toFixed(0)} (batch 32) | |`,
      );
    else if (r.torch && 'unavailable' in r.torch)
      lines.push(`| ${r.config} | pytorch | unavailable: ${r.torch.unavailable} |||||||`);
  }
  return [...new Set(lines)].join('\n');
}

main().catch((err: Error) => {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exit(1);
});

/**
 * npm run -s fault:train [-- --kills 20 --max-steps 240 --json]
 *
 * Crash-safety check of training: SIGKILL it at random moments (some inside checkpoint writes), resume,
 * check that no checkpoint is torn or older and that the final weights equal an uninterrupted run's (see
 * src/faults/harness.ts). Exits 1 if any check fails; `--json` prints one JSON object.
 */
import path from 'node:path';
import { Command } from 'commander';
import { DEFAULT_CORPUS, type FaultOptions, runFaultInjection } from '../faults/harness.js';
import { formatReport } from '../faults/report.js';
import { REPO_ROOT } from '../util/repo-paths.js';
import { backendOption } from './args.js';

async function main(): Promise<void> {
  const int = (v: string) => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < 0) throw new Error(`not a non-negative integer: ${v}`);
    return x;
  };
  const program = new Command()
    .name('fault:train')
    .description('SIGKILL training at random moments (some inside checkpoint writes), resume, check.')
    .option('--kills <n>', 'SIGKILLs before the final resume', int, 20)
    .option('--max-steps <n>', 'training steps of the run', int, 240)
    .option('--checkpoint-every <n>', 'steps between checkpoints', int, 2)
    .option('--seed <n>', 'training seed', int, 1)
    .option('--kill-seed <n>', 'seed of the kill schedule', int, 1)
    .option('--corpus <file>', `TSV corpus (default ${path.relative(REPO_ROOT, DEFAULT_CORPUS)})`)
    .option(
      '--max-chars <n>',
      'drop pairs with a side longer than this (default 30; 200 for the sample)',
      int,
    )
    .addOption(backendOption('TensorFlow.js backend of the children', 'wasm'))
    .option('--work <dir>', 'working folder (default: a temporary folder)')
    .option('--keep', 'keep the working folder')
    .option('--child-timeout <s>', 'seconds before a child counts as hung', int, 300)
    .option('--json', 'print one JSON object instead of the table');
  program.parse();
  // The harness's options as flags give them (no fixed kill modes, no progress callback), plus --json.
  const o = program.opts<Omit<FaultOptions, 'keep' | 'modes' | 'say'> & { keep?: boolean; json?: boolean }>();
  if (o.checkpointEvery < 1 || o.maxSteps < 1)
    throw new Error('--checkpoint-every and --max-steps must be ≥ 1');
  const report = await runFaultInjection({
    ...o,
    keep: Boolean(o.keep),
    say: (line) => process.stderr.write(`${line}\n`),
  });
  if (o.json) process.stdout.write(JSON.stringify(report) + '\n');
  else process.stdout.write(formatReport(report));
  if (!report.ok) {
    process.stderr.write(`fault:train: FAILED; files kept in ${report.work}\n`);
    process.exitCode = 1;
  }
}

main().catch((err: Error) => {
  process.stderr.write(`fault:train: ${err.message}\n`);
  process.exit(1);
});

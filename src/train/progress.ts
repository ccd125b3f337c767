/**
 * Training progress as the user sees it: a bar on a terminal (epoch, batches, step, loss, target tokens/s,
 * ETA), else a log line every 50 steps; and every 50 steps a `train` record in metrics.jsonl. The loss is
 * the mean per target token since the last report; the speed counts since the last report or validation.
 */
import cliProgress from 'cli-progress';
import { attachProgressBar, type Logger } from '../util/log.js';
import type { TrainState } from './checkpoint.js';

/** Steps between reports (log line and metrics record). */
const REPORT_EVERY = 50;

export class TrainProgress {
  private readonly tty = process.stderr.isTTY;
  private readonly bar?: cliProgress.SingleBar;
  private recentLoss = 0;
  private recentTokens = 0;
  private windowStart = Date.now();
  private windowTokens = 0;

  constructor(
    private readonly log: Logger,
    private readonly appendMetrics: (record: Record<string, unknown>) => void,
  ) {
    this.bar = this.tty
      ? new cliProgress.SingleBar(
          {
            format:
              'epoch {epoch} |{bar}| {value}/{total} batches | step {step} | loss {loss} | {tps} tgt tok/s | ETA {eta_formatted}',
            stream: process.stderr,
            etaBuffer: 50,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
    // Log lines (validation results, Ctrl-C) then clear the bar's line instead of printing into it.
    attachProgressBar(this.bar);
  }

  /** Draws the bar for an epoch of `batches` batches, at the state's position. */
  start(batches: number, s: TrainState): void {
    this.bar?.start(batches, s.batchInEpoch, { epoch: s.epoch + 1, step: s.step, loss: '-', tps: '-' });
  }

  /** Draws the bar again after a validation, whose time does not count towards the speed. */
  restart(batches: number, s: TrainState): void {
    this.start(batches, s);
    this.windowStart = Date.now();
    this.windowTokens = 0;
  }

  stop(): void {
    this.bar?.stop();
  }

  /** Counts step `s.step` (mean loss `loss` over `tokens` target tokens) of an epoch of `batches` batches. */
  step(s: TrainState, batches: number, loss: number, tokens: number): void {
    this.recentLoss += loss * tokens;
    this.recentTokens += tokens;
    this.windowTokens += tokens;
    const tps = this.windowTokens / Math.max(1e-3, (Date.now() - this.windowStart) / 1000);
    this.bar?.update(s.batchInEpoch, {
      step: s.step,
      loss: (this.recentLoss / this.recentTokens).toFixed(3),
      tps: tps.toFixed(0),
    });
    if (s.step % REPORT_EVERY !== 0) return;
    if (!this.tty)
      this.log.info(
        `epoch ${s.epoch + 1} batch ${s.batchInEpoch}/${batches} step ${s.step} loss ${(this.recentLoss / this.recentTokens).toFixed(3)} ${tps.toFixed(0)} tgt tok/s`,
      );
    this.appendMetrics({
      event: 'train',
      step: s.step,
      epoch: s.epoch + 1,
      loss: this.recentLoss / this.recentTokens,
      targetTokensPerSec: tps,
      learningRate: s.learningRate,
      elapsedSeconds: s.elapsedSeconds,
    });
    this.recentLoss = 0;
    this.recentTokens = 0;
    this.windowStart = Date.now();
    this.windowTokens = 0;
  }
}

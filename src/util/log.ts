/**
 * Logging for the command-line tools and the server: pino, human-readable on a terminal (pino-pretty's
 * formatter), JSON lines otherwise (NMT_LOG_JSON=1 forces JSON). Always on stderr: stdout belongs to results
 * (translations, JSON reports).
 *
 * Every line is formatted and written synchronously with `process.stderr.write`, the way the commands write
 * their own error lines and cli-progress draws its bar. pino-pretty's own stream (and an asynchronous
 * destination) queued lines instead, so an error printed just before `process.exit` came out before INFO
 * lines logged earlier, and queued lines could be lost.
 *
 * A progress bar on stderr (`attachProgressBar`) shares the terminal with the log: a line logged while the
 * bar is drawn first clears the bar's line, so the two never print over each other; the bar draws itself
 * again below at its next update.
 */
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/** What the log needs to know of a progress bar drawn on stderr (cli-progress's SingleBar has it). */
export interface ProgressBarLike {
  readonly isActive: boolean;
}

let bar: ProgressBarLike | undefined;

/** Log lines written while `progress` is active clear its line first; `undefined` detaches it. */
export function attachProgressBar(progress: ProgressBarLike | undefined): void {
  bar = progress;
}

/** Carriage return and "erase the whole line": removes a bar drawn on the current line. */
const CLEAR_LINE = '\r\x1b[2K';
/**
 * "Save cursor" (DECSC), as cli-progress writes when its bar starts: the bar returns there when it stops,
 * so after log lines pushed it down it must be saved again, or stopping would jump up over those lines.
 */
const SAVE_CURSOR = '\x1b7';

/** Writes one formatted line to stderr now, around a progress bar if one is drawn. */
export function writeLogLine(line: string): void {
  if (bar?.isActive && process.stderr.isTTY) process.stderr.write(CLEAR_LINE + line + SAVE_CURSOR);
  else process.stderr.write(line);
}

export function createLogger(name: string, level = process.env.NMT_LOG_LEVEL ?? 'info'): Logger {
  if (process.env.NMT_LOG_JSON === '1') return pino({ name, level }, { write: writeLogLine });
  const format = pretty.prettyFactory({
    colorize: Boolean(process.stderr.isTTY),
    translateTime: 'HH:MM:ss',
    ignore: 'pid,hostname',
  });
  return pino({ name, level }, { write: (json: string) => writeLogLine(format(json)) });
}

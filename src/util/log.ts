/**
 * Logging for the command-line tools and the server: pino, human-readable on a terminal (pino-pretty),
 * JSON lines otherwise (NMT_LOG_JSON=1 forces JSON). Always on stderr: stdout belongs to results
 * (translations, JSON reports).
 */
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export function createLogger(name: string, level = process.env.NMT_LOG_LEVEL ?? 'info'): Logger {
  if (process.env.NMT_LOG_JSON === '1') return pino({ name, level }, pino.destination(2));
  const stream = pretty({
    destination: 2,
    colorize: process.stderr.isTTY,
    translateTime: 'HH:MM:ss',
    ignore: 'pid,hostname',
  });
  return pino({ name, level }, stream);
}

/**
 * The HTTP server around the app, with timeouts chosen for a translation page rather than Node's
 * defaults: Node gives a request 300 s to arrive, which lets a few slow clients hold connections for
 * minutes (slowloris). A translation request is a few kilobytes, so 30 s is generous.
 */
import http from 'node:http';
import type { RequestListener } from 'node:http';

export interface HttpTimeouts {
  /** Time for a whole request (headers and body) to arrive; then 408 and the connection closes. */
  requestTimeoutMs: number;
  /** Time for the headers to arrive (at most requestTimeoutMs). */
  headersTimeoutMs: number;
  /** How often the server checks those timeouts (Node's default is 30 s, too coarse for short limits). */
  checkIntervalMs: number;
}

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  checkIntervalMs: 1_000,
};

export function createHttpServer(
  app: RequestListener,
  timeouts: HttpTimeouts = DEFAULT_HTTP_TIMEOUTS,
): http.Server {
  return http.createServer(
    {
      requestTimeout: timeouts.requestTimeoutMs,
      headersTimeout: Math.min(timeouts.headersTimeoutMs, timeouts.requestTimeoutMs),
      connectionsCheckingInterval: timeouts.checkIntervalMs,
    },
    app,
  );
}

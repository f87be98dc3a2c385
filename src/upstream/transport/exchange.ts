// What a transport needs to send one query to one server and recognise its answer.
import type { Endpoint } from '../../address.js';

export interface Exchange {
  readonly server: Endpoint;
  /** The query as sent upstream (our random ID already written). */
  readonly query: Buffer;
  /** True for the reply to this query: ID and question match (RFC 5452 §9.1). */
  readonly matches: (reply: Buffer) => boolean;
  readonly timeoutMs: number;
}

export type Transport = (exchange: Exchange) => Promise<Buffer>;

/**
 * Runs one exchange to completion exactly once: `start` gets `finish(err, reply)`; the first call
 * (or the timeout) settles the promise and runs `cleanup`.
 */
export function settleOnce(
  timeoutMs: number,
  start: (finish: (err: Error | null, reply?: Buffer) => void) => () => void,
  timeoutError: () => Error,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let done = false;
    let cleanup: () => void = () => {};
    const finish = (err: Error | null, reply?: Buffer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      cleanup();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(() => finish(timeoutError()), timeoutMs);
    cleanup = start(finish);
  });
}

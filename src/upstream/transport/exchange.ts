// What a transport needs to send one query to one server and recognise its answer.
import type { Endpoint } from '../../address.js';

export interface Exchange {
  readonly server: Endpoint;
  /** The query as sent upstream (our random ID already written). */
  readonly query: Buffer;
  /** True for the reply to this query: ID and question match (RFC 5452 §9.1). */
  readonly matches: (reply: Buffer) => boolean;
  /**
   * True for a reply with this query's ID and question spelt in another letter case (0x20): not
   * taken, but it ends a UDP exchange with UPSTREAM_CASE (the server may not echo case, or the
   * reply is forged), so the caller can ask again over TCP. Absent: such a reply is unwanted.
   */
  readonly caseMismatch?: (reply: Buffer) => boolean;
  readonly timeoutMs: number;
}

/** Sends one exchange; resolves with the matching reply, rejects with a DnsfwdError. */
export type Transport = (exchange: Exchange) => Promise<Buffer>;

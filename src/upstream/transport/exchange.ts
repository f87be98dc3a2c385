// What a transport needs to send one query to one server and recognise its answer: plain data,
// checked by the shared functions below (no closure per query).
import type { Endpoint } from '../../address.js';
import { HEADER_SIZE, readId } from '../../wire/header.js';
import { sameQuestion } from '../../wire/question.js';

export interface Exchange {
  readonly server: Endpoint;
  /** The query as sent upstream (our random ID already written). */
  readonly query: Buffer;
  /** Where the question ends in `query`; a reply's must be the same bytes (RFC 5452 §9.1). */
  readonly questionEnd: number;
  /**
   * The name went with its letters in random case (0x20): the reply must spell it exactly so. Over
   * UDP, a reply with this query's ID and the question spelt in another case is not taken, but it
   * ends the exchange with UPSTREAM_CASE (the server may not echo case, or the reply is forged), so
   * the caller can ask again over TCP. Otherwise the name compares without case.
   */
  readonly mixedCase?: boolean;
  readonly timeoutMs: number;
}

/** Sends one exchange; resolves with the matching reply, rejects with a DnsfwdError. */
export type Transport = (exchange: Exchange) => Promise<Buffer>;

/**
 * Whether `reply` answers `query`: a response with its ID (as finally sent) and the same question
 * (RFC 5452 §9.1), its name in the same letter case too when `exactCase` (0x20), otherwise in any case.
 */
export function answers(query: Buffer, questionEnd: number, exactCase: boolean, reply: Buffer): boolean {
  return (
    reply.length >= questionEnd &&
    (reply[2]! & 0x80) !== 0 &&
    readId(reply) === readId(query) &&
    (exactCase ? query.compare(reply, HEADER_SIZE, questionEnd, HEADER_SIZE, questionEnd) === 0 : sameQuestion(query, reply, questionEnd))
  );
}

/** True for the reply to `ex`: ID and question match. */
export function isAnswer(ex: Exchange, reply: Buffer): boolean {
  return answers(ex.query, ex.questionEnd, ex.mixedCase === true, reply);
}

/** True for a reply with `ex`'s ID and its question in another letter case, when it was asked in mixed case (and `reply` is not its answer). */
export function isCaseMismatch(ex: Exchange, reply: Buffer): boolean {
  return ex.mixedCase === true && answers(ex.query, ex.questionEnd, false, reply);
}

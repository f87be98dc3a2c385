// What every listener calls with a client's bytes: classify, run the pipeline under the deadline,
// fit the reply to the client (AD only if asked for) and the transport (TC=1 over the client's UDP
// size), and return the bytes to send (or null to stay silent). Nothing a client sends can throw
// past it, and a failure it causes is logged a line a minute at most (ThrottledLog). Every query
// read and every reply sent is counted here for the metrics (RequestCounters).
import { performance } from 'node:perf_hooks';
import type { Logger } from '../log.js';
import { RequestCounters } from '../metrics/requests.js';
import { ThrottledLog } from '../log-throttle.js';
import type { Reply } from '../pipeline/handler.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { AnswerNote, Transport } from '../pipeline/query.js';
import { Deadline, openPromise, sharedSweep, type Resolvers } from '../settle.js';
import { adOnlyIfAsked } from '../wire/client-reply.js';
import { Rcode, rcode, setTruncated } from '../wire/header.js';
import { isProbeQuery } from '../wire/loop-probe.js';
import { rcodeName, typeName } from '../wire/mnemonics.js';
import { parseQuery, type Question } from '../wire/question.js';
import { clientUdpLimit, errorReply, truncateReply } from '../wire/replies.js';
import type { Admission, Client, ClientPolicy } from './admission.js';

const MAX_TCP_MESSAGE = 0xffff;
/** The RCODE of each turned-away reply; an empty TC=1 reply keeps NOERROR (or the query's own error). */
const TURNED_AWAY: Readonly<Record<'refuse' | 'truncate' | 'servfail', number | undefined>> = {
  refuse: Rcode.REFUSED,
  servfail: Rcode.SERVFAIL,
  truncate: undefined,
};
/** pino's numeric value of the debug level. */
const DEBUG = 20;

export interface ResponderOptions {
  readonly deadlineMs: number;
  readonly udpMaxSize: number;
  /** One info line per answered query (log_queries); at debug they are written anyway. */
  readonly logQueries?: boolean;
}

export class Responder {
  private inFlight = 0;
  private idle: (() => void)[] = [];
  private readonly throttled: ThrottledLog;
  /** Queries read and replies sent since start (a reload keeps them: the listeners share this responder). */
  readonly counters = new RequestCounters();

  constructor(
    private readonly pipeline: Pipeline,
    private opts: ResponderOptions,
    private readonly log: Logger,
    private readonly policy: ClientPolicy,
    now: () => number = Date.now,
  ) {
    this.throttled = new ThrottledLog(log, now);
  }

  /** New deadline and size limits, for queries that arrive from now on. */
  setOptions(opts: ResponderOptions): void {
    this.opts = opts;
  }

  /**
   * The reply for `bytes` received from `client` over `transport`, or null when the message is
   * dropped. A reply the pipeline has at hand (a cache hit) comes back at once, not as a promise.
   */
  answer(bytes: Buffer, transport: Transport, client: Client): Buffer | null | Promise<Buffer | null> {
    const admission = this.policy.admit(client, transport);
    // A probe of the loop guard that came back from our own socket goes on: the pipeline records the loop.
    if (admission !== 'answer' && !(admission === 'servfail' && isProbeQuery(bytes))) return this.turnAway(bytes, transport, client, admission);
    const parsed = parseQuery(bytes);
    if (parsed.kind === 'drop') {
      this.log.debug({ transport, why: parsed.why }, 'dropped message');
      return null;
    }
    if (parsed.kind === 'error') {
      if (this.log.levelVal <= DEBUG) {
        this.log.debug({ transport, rcode: parsed.rcode, why: parsed.why, qname: parsed.question?.name }, 'refused query');
      }
      this.counters.request(transport, parsed.question?.type ?? -1);
      return this.sent(errorReply(bytes, parsed.rcode, parsed.question, parsed.edns));
    }
    const question = parsed.question;
    this.counters.request(transport, question.type);
    const now = Date.now();
    // What answered, for the query log: only made when a line will be written.
    const note: AnswerNote | undefined = this.opts.logQueries || this.log.levelVal <= DEBUG ? {} : undefined;
    let reply: Reply;
    try {
      reply = this.pipeline.answer(bytes, question, transport, now + this.opts.deadlineMs, client, note);
    } catch (err) {
      this.throttled.error({ err, qname: question.name }, 'handler failed');
      reply = errorReply(bytes, Rcode.SERVFAIL, question);
    }
    if (!Buffer.isBuffer(reply)) return this.later(reply, bytes, question, transport, now, client, note);
    const out = this.fit(reply, question, transport, bytes);
    if (note) this.logQuery(question, transport, out, now, client, note);
    return this.sent(out);
  }

  /**
   * Counts `reply` as sent `ms` after its query was handed on, and returns it. A reply made at once
   * (a cache hit, an error) takes microseconds and is counted as 0 ms without reading the clock:
   * two clock reads would cost more than the hit itself.
   */
  private sent(reply: Buffer, ms = 0): Buffer {
    this.counters.response(rcode(reply), ms);
    return reply;
  }

  /** Whether a new TCP connection from `client` is kept; false: close it at once (access control's drop). */
  acceptsConnection(client: Client): boolean {
    return this.policy.acceptsConnection(client);
  }

  /** REFUSED, SERVFAIL, or an empty TC=1 reply (question and OPT only), or nothing, for a client turned away. */
  private turnAway(bytes: Buffer, transport: Transport, client: Client, admission: Exclude<Admission, 'answer'>): Buffer | null {
    if (this.log.levelVal <= DEBUG) this.log.debug({ transport, client: client.address, admission }, 'client turned away');
    if (admission === 'drop') return null;
    const parsed = parseQuery(bytes);
    if (parsed.kind === 'drop') return null;
    this.counters.request(transport, parsed.question?.type ?? -1);
    const code = TURNED_AWAY[admission];
    const out = parsed.kind === 'query'
      ? errorReply(bytes, code ?? Rcode.NOERROR, parsed.question)
      : errorReply(bytes, code ?? parsed.rcode, parsed.question, parsed.edns);
    if (admission === 'truncate') setTruncated(out);
    return this.sent(out);
  }

  /** Waits for the pipeline under the deadline; SERVFAIL when it passes or the pipeline fails. */
  private later(
    pending: Promise<Buffer>,
    bytes: Buffer,
    question: Question,
    transport: Transport,
    since: number,
    client: Client,
    note: AnswerNote | undefined,
  ): Promise<Buffer> {
    this.inFlight++;
    return new LateReply(this, bytes, question, transport, since, client, note).start(pending, this.opts.deadlineMs);
  }

  /** For LateReply: a reply that came later (null: none in time, or the pipeline failed with `err`), fitted, logged and counted. */
  lateReply(r: LateReply, reply: Buffer | null, err: unknown): Buffer {
    if (err !== undefined) this.throttled.error({ err, qname: r.question.name }, 'handler failed');
    else if (reply === null) this.log.debug({ qname: r.question.name }, 'query deadline passed: SERVFAIL');
    const out = reply === null ? errorReply(r.bytes, Rcode.SERVFAIL, r.question) : this.fit(reply, r.question, r.transport, r.bytes);
    if (r.note) this.logQuery(r.question, r.transport, out, r.since, r.client, r.note);
    if (--this.inFlight === 0) setImmediate(() => this.wakeIfIdle()); // after the caller has sent the reply
    return this.sent(out, performance.now() - r.started);
  }

  /**
   * One line per answered query (from the cache or not): at info with log_queries, else at debug.
   * `from` is the server that answered, or cache, stale, coalesced, local; null when none did (SERVFAIL).
   */
  private logQuery(q: Question, transport: Transport, reply: Buffer, since: number, client: Client, note: AnswerNote): void {
    const fields = {
      client: client.address,
      port: client.port,
      transport,
      qname: q.name,
      qtype: typeName(q.type),
      rcode: rcodeName(rcode(reply)),
      route: note.route ?? null,
      from: note.from ?? null,
      bytes: reply.length,
      ms: Date.now() - since,
    };
    if (this.opts.logQueries) this.log.info(fields, 'query');
    else this.log.debug(fields, 'query');
  }

  /** The reply as it goes out: AD only if asked for, and within the transport's size. */
  private fit(reply: Buffer, question: Question, transport: Transport, query: Buffer): Buffer {
    adOnlyIfAsked(reply, query, question);
    if (transport === 'udp') return this.fitUdp(reply, question);
    // RFC 1035 §4.2.2: a TCP message has a 16-bit length; a bigger one cannot be sent.
    return reply.length <= MAX_TCP_MESSAGE ? reply : errorReply(query, Rcode.SERVFAIL, question);
  }

  /** RFC 1035 §4.2.1 / RFC 6891 §6.2.5: an answer over the client's size goes out with TC=1. */
  private fitUdp(reply: Buffer, question: Question): Buffer {
    return reply.length <= clientUdpLimit(question, this.opts.udpMaxSize)
      ? reply
      : truncateReply(reply, question.end);
  }

  private wakeIfIdle(): void {
    if (this.inFlight === 0) this.idle.splice(0).forEach((wake) => wake());
  }

  /** Resolves when no query is in flight (and the last reply was handed to its listener), or after `ms`. */
  drain(ms: number): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/**
 * A query waiting for the pipeline's answer, until its deadline: one record (in the shared
 * DeadlineSweep, no timer of its own) that settles the listener's promise once, with the reply or
 * with SERVFAIL.
 */
class LateReply extends Deadline implements Resolvers<Buffer> {
  resolve: (reply: Buffer) => void = NOTHING;
  reject: (err: Error) => void = NOTHING;
  readonly started = performance.now();
  private done = false;

  constructor(
    private readonly responder: Responder,
    readonly bytes: Buffer,
    readonly question: Question,
    readonly transport: Transport,
    readonly since: number,
    readonly client: Client,
    readonly note: AnswerNote | undefined,
  ) {
    super();
  }

  start(pending: Promise<Buffer>, deadlineMs: number): Promise<Buffer> {
    const p = openPromise(this);
    sharedSweep.add(this, deadlineMs);
    pending.then(this.answered, this.failed);
    return p;
  }

  private readonly answered = (reply: Buffer): void => {
    if (this.settle()) this.finish(reply, undefined);
  };

  private readonly failed = (err: unknown): void => {
    if (this.settle()) this.finish(null, err instanceof Error ? err : new Error(String(err)));
  };

  expire(): void {
    if (this.done) return;
    this.done = true;
    this.finish(null, undefined);
  }

  private settle(): boolean {
    if (this.done) return false;
    this.done = true;
    sharedSweep.remove(this);
    return true;
  }

  private finish(reply: Buffer | null, err: unknown): void {
    try {
      this.resolve(this.responder.lateReply(this, reply, err));
    } catch (e) {
      this.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }
}

const NOTHING = (): void => undefined;

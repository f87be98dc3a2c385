// The servers of one route and the failover policy: try them in order (servers that failed
// recently last), one attempt each with a per-attempt timeout, until one answers or the query's
// deadline passes. A truncated UDP answer is retried over TCP to the same server.
import { DnsfwdError } from '../errors.js';
import type { Logger } from '../log.js';
import { Rcode, isTruncated, rcode, readId, writeId } from '../wire/header.js';
import { sameQuestion } from '../wire/question.js';
import { randomId } from './ids.js';
import type { Exchange, Transport } from './transport/exchange.js';
import type { Upstream } from './health.js';

export interface GroupOptions {
  readonly timeoutMs: number;
  readonly downMs: number;
  /** UDP payload size we advertise upstream in a forwarded OPT record (RFC 6891 §6.2.5). */
  readonly ednsSize: number;
}

export interface Transports {
  readonly udp: Transport;
  readonly tcp: Transport;
}

/** A query ready to go upstream: the client's bytes and where its question ends. */
export interface Outgoing {
  readonly bytes: Buffer;
  readonly questionEnd: number;
  /** Offset of the client's OPT record, or -1 without EDNS. */
  readonly optOffset: number;
  readonly deadline: number;
}

export class UpstreamGroup {
  constructor(
    readonly zone: string,
    readonly upstreams: readonly Upstream[],
    private readonly opts: GroupOptions,
    private readonly transports: Transports,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Servers in the order they will be tried: healthy ones as configured, then those marked down. */
  order(): readonly Upstream[] {
    const t = this.now();
    if (this.upstreams.every((u) => !u.isDown(t))) return this.upstreams; // the usual case: no copy
    const up = this.upstreams.filter((u) => !u.isDown(t));
    const down = this.upstreams.filter((u) => u.isDown(t)).sort((a, b) => a.downUntilMs - b.downUntilMs);
    return up.concat(down);
  }

  /**
   * The upstream's reply (with our ID still in it), or an error when every server failed.
   * SERVFAIL and REFUSED from a server count as failures: the next server is tried, and when all
   * have failed the client gets SERVFAIL (or a stale answer), never a server's REFUSED.
   */
  async resolve(out: Outgoing): Promise<Buffer> {
    const order = this.order();
    for (let i = 0; i < order.length; i++) {
      const u = order[i]!;
      const remaining = out.deadline - this.now();
      if (remaining <= 0) break;
      try {
        const reply = await this.attempt(u, out, Math.min(this.opts.timeoutMs, remaining));
        if (rcode(reply) !== Rcode.SERVFAIL && rcode(reply) !== Rcode.REFUSED) {
          this.succeeded(u);
          return reply;
        }
        this.failed(u, `rcode ${rcode(reply)}`);
      } catch (err) {
        this.failed(u, err instanceof DnsfwdError ? err.code : String(err));
      }
    }
    throw new DnsfwdError('ALL_FAILED', `zone ${this.zone || '.'}: every server failed`);
  }

  private attempt(u: Upstream, out: Outgoing, timeoutMs: number): Promise<Buffer> {
    const query = Buffer.allocUnsafe(out.bytes.length);
    out.bytes.copy(query);
    writeId(query, randomId());
    if (out.optOffset >= 0) query.writeUInt16BE(this.opts.ednsSize, out.optOffset + 3);
    const ex: Exchange = { server: u.endpoint, query, timeoutMs, matches: matcher(query, out.questionEnd) };
    // A query bigger than the EDNS size we offer (a client's big TCP query) goes over TCP.
    if (query.length > this.opts.ednsSize) return this.transports.tcp(ex);
    return this.transports.udp(ex).then((reply) => (isTruncated(reply) ? this.overTcp(u, out, ex) : reply));
  }

  /** RFC 7766 §5: a truncated UDP answer is asked for again over TCP, of the same server. */
  private overTcp(u: Upstream, out: Outgoing, ex: Exchange): Promise<Buffer> {
    const remaining = out.deadline - this.now();
    if (remaining <= 0) return Promise.reject(new DnsfwdError('DEADLINE'));
    this.log.debug({ server: u.label }, 'truncated answer: retrying over TCP');
    return this.transports.tcp({ ...ex, timeoutMs: Math.min(this.opts.timeoutMs, remaining) });
  }

  private succeeded(u: Upstream): void {
    if (u.recordSuccess(this.now())) this.log.info({ zone: this.zone || '.', server: u.label }, 'upstream answering again');
  }

  private failed(u: Upstream, reason: string): void {
    const newlyDown = u.recordFailure(this.now(), this.opts.downMs);
    const fields = { zone: this.zone || '.', server: u.label, reason };
    if (newlyDown) this.log.warn(fields, 'upstream failed: moved to the back of the order');
    else this.log.debug(fields, 'upstream failed again');
  }
}

/** Accepts only a response with the query's ID (as finally sent) and the same question (RFC 5452 §9.1). */
function matcher(query: Buffer, questionEnd: number): (reply: Buffer) => boolean {
  return (reply) =>
    reply.length >= questionEnd &&
    (reply[2]! & 0x80) !== 0 &&
    readId(reply) === readId(query) &&
    sameQuestion(query, reply, questionEnd);
}

// The servers of one route and the failover policy: try them in order (servers that are down
// last: route-health.ts), one attempt each with a per-attempt timeout, until one answers or the
// query's deadline passes. A truncated UDP answer is retried over TCP to the same server; a route may ask
// over TCP only. Each attempt sends a query of our own (wire/upstream-query.ts, EDNS is
// hop-by-hop); a server that rejects EDNS is asked again without it, and remembered. A reply whose
// sections do not parse is that server failing: no stage after this one sees it.
import { DnsfwdError, isDnsfwdError } from '../errors.js';
import type { Logger } from '../log.js';
import { HEADER_SIZE, Rcode, isTruncated, rcode, readId, writeId } from '../wire/header.js';
import { findOpt, sameQuestion } from '../wire/question.js';
import { rcodeName } from '../wire/mnemonics.js';
import { sectionsEnd } from '../wire/records.js';
import { upstreamQuery, type UpstreamEdns } from '../wire/upstream-query.js';
import { openPromise, type Resolvers } from '../settle.js';
import { randomId } from './ids.js';
import { randomiseCase } from './mixed-case.js';
import { SpoofGuard } from './spoof-guard.js';
import { answers, type Exchange, type Transport } from './transport/exchange.js';
import { UNWANTED_REPLY_THRESHOLD } from './transport/udp-pool.js';
import type { Upstream } from './health.js';
import type { LoopView } from './loop-guard.js';
import { ServerHealth } from './route-health.js';
import type { FailureKind, ServerStats } from './server-stats.js';

const NOTHING = (): void => undefined;

export interface GroupOptions {
  readonly timeoutMs: number;
  readonly downMs: number;
  /** UDP payload size we advertise upstream in our OPT record (RFC 6891 §6.2.5). */
  readonly ednsSize: number;
  /** Ask over TCP only (a server that trims UDP answers without setting TC, such as Consul's). */
  readonly tcpOnly?: boolean;
  /** Which servers loop back to dnsfwd (loop-guard.ts): they are not asked at all. */
  readonly loops?: LoopView;
  /** The health of a server in this route, kept across route rebuilds (setup.ts); a fresh one per group otherwise. */
  readonly healthOf?: (zone: string, u: Upstream) => ServerHealth;
  /** Per server, outliving route tables: 0x20 echo and forgery warnings (setup.ts keeps one; else the group's own). */
  readonly spoof?: SpoofGuard;
}

/** How long a server that rejected EDNS is asked without it (as Unbound's infra cache, 15 min). */
export const EDNS_REJECTED_MS = 15 * 60_000;
/** BADCOOKIE (RFC 7873 §8): 23, its low four bits in the header, the rest in the OPT record. */
const BADCOOKIE = 23;

export interface Transports {
  readonly udp: Transport;
  readonly tcp: Transport;
}

/** A client's query to send upstream: its bytes, where its question ends, its DO bit. */
export interface Outgoing {
  readonly bytes: Buffer;
  readonly questionEnd: number;
  /** The client's DO bit (RFC 3225), false when it sent no OPT record. */
  readonly dnssecOk: boolean;
  readonly deadline: number;
  /** Set by resolve(): the server whose reply it returns (for the query log). */
  server?: string;
}

/** One server of a route, for status and metrics. */
export interface ServerView {
  readonly label: string;
  /** up; down (tried after the others until `downUntil`, then probed); looping (not asked: it sends our queries back to us). */
  readonly state: 'up' | 'down' | 'looping';
  /** While down: when its down time ends (ms since the epoch). */
  readonly downUntil?: number;
  readonly stats: ServerStats;
}

export class UpstreamGroup {
  /** Each server's health in this route, in `upstreams`' order. */
  private readonly health: readonly ServerHealth[];
  private readonly spoof: SpoofGuard;
  /** Our OPT record's settings, per DO bit (one object each, not one per query). */
  private readonly ednsWith: readonly UpstreamEdns[];

  constructor(
    readonly zone: string,
    readonly upstreams: readonly Upstream[],
    private readonly opts: GroupOptions,
    private readonly transports: Transports,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    const healthOf = opts.healthOf ?? (() => new ServerHealth());
    this.health = upstreams.map((u) => healthOf(zone, u));
    this.spoof = opts.spoof ?? new SpoofGuard();
    this.ednsWith = [false, true].map((dnssecOk) => ({ udpSize: opts.ednsSize, dnssecOk }));
  }

  /**
   * Servers in the order they will be tried: those that are up as configured, then those that are
   * down, the soonest due for a probe first; none that loops back to dnsfwd.
   */
  order(): readonly Upstream[] {
    return this.plan(false).order;
  }

  /**
   * The order for one query. With `probe`, a down server whose down time is over and that no
   * other query is probing takes its configured place among the servers that are up, for this
   * query only (`probing` is its index in `upstreams`; the caller settles or cancels the probe).
   */
  private plan(probe: boolean): { order: readonly Upstream[]; probing: number } {
    const loops = this.opts.loops;
    const looping = loops !== undefined && loops.loopingCount > 0;
    // Fast path: every server up and none looping: the configured list, no copy.
    if (!looping && this.health.every((h) => h.isUp())) return { order: this.upstreams, probing: -1 };
    const t = this.now();
    const usable: number[] = [];
    for (let i = 0; i < this.upstreams.length; i++) if (!looping || !loops.isLooping(this.zone, this.upstreams[i]!)) usable.push(i);
    let probing = -1;
    if (probe) {
      probing = usable.find((i) => this.health[i]!.probeDue(t)) ?? -1;
      if (probing >= 0) this.health[probing]!.startProbe();
    }
    const up = usable.filter((i) => i === probing || this.health[i]!.isUp());
    const down = usable.filter((i) => i !== probing && !this.health[i]!.isUp()).sort((a, b) => this.health[a]!.downUntilMs - this.health[b]!.downUntilMs);
    return { order: up.concat(down).map((i) => this.upstreams[i]!), probing };
  }

  /**
   * Every server of the route as an operator sees it: in the order they would be tried now (those
   * that are up, then those that are down), then those left out because they loop back to dnsfwd;
   * each with its state and statistics.
   */
  servers(): ServerView[] {
    const order = this.order();
    const looping = this.upstreams.filter((u) => !order.includes(u));
    return [...order, ...looping].map((u) => {
      const h = this.healthOf(u);
      const state = !order.includes(u) ? 'looping' : h.isUp() ? 'up' : 'down';
      return { label: u.label, state, ...(state === 'down' ? { downUntil: h.downUntilMs } : {}), stats: h.stats };
    });
  }

  /**
   * Sends `query` (ours: header and question) to `u` once, as this route asks its servers (over
   * TCP only, or UDP), under a random ID: the reply, or an error. Health is left as it is.
   */
  probe(u: Upstream, query: Buffer, timeoutMs: number): Promise<Buffer> {
    writeId(query, randomId());
    const ex: Exchange = { server: u.endpoint, query, questionEnd: query.length, timeoutMs };
    return this.opts.tcpOnly ? this.transports.tcp(ex) : this.transports.udp(ex);
  }

  /**
   * The upstream's reply (with our ID still in it), or an error when every server failed.
   * SERVFAIL, REFUSED and BADCOOKIE from a server count as failures: the next server is tried.
   * When all have failed the client gets SERVFAIL (or a stale answer), but when every one of them
   * refused, their REFUSED (a policy, not an outage). A failure counts against a server's health
   * only when it is the server's: a timeout or an unreachable server at once, an RCODE or a bad
   * reply when a later server answered the same query (route-health.ts). The query is one record
   * (Resolution) that goes from server to server as each exchange settles.
   */
  resolve(out: Outgoing): Promise<Buffer> {
    const { order, probing } = this.plan(true);
    return new Resolution(this, out, order, probing).start();
  }

  /**
   * Starts one exchange with `u` for `r`: over TCP for a TCP-only route, else over UDP, where the
   * name goes with its letters in random case (0x20) unless the server does not echo case, and the
   * reply must spell it exactly so. Over TCP nobody can answer blind: the name's case is compared
   * as it always was, without case. The outcome goes to `r` (Resolution.udpReplied and the rest).
   */
  startAttempt(r: Resolution, u: Upstream, withEdns: boolean, timeoutMs: number): void {
    const out = r.out;
    const query = upstreamQuery(out.bytes, out.questionEnd, withEdns ? this.ednsWith[out.dnssecOk ? 1 : 0]! : null);
    writeId(query, randomId());
    if (this.opts.tcpOnly) {
      r.follow(this.transports.tcp({ server: u.endpoint, query, questionEnd: out.questionEnd, timeoutMs }));
      return;
    }
    const mixedCase = this.spoof.caseEcho(u.endpoint).mixedCase(this.now());
    if (mixedCase) randomiseCase(query, HEADER_SIZE, out.questionEnd - 4);
    r.ex = { server: u.endpoint, query, questionEnd: out.questionEnd, mixedCase, timeoutMs };
    this.transports.udp(r.ex).then(r.udpReplied, r.udpFailed);
  }

  /**
   * What follows a UDP exchange's reply: a truncated answer (cut anywhere, not used) is asked for
   * again over TCP; the rest is the reply, for `r` to check.
   */
  afterUdp(r: Resolution, u: Upstream, reply: Buffer): Promise<Buffer> | Buffer {
    return isTruncated(reply) ? this.overTcp(u, r.out, tcpExchange(r.ex!)) : reply;
  }

  /** What follows a UDP exchange's error: replies not the server's are asked for again over TCP; other errors are passed on. */
  afterUdpError(r: Resolution, u: Upstream, err: unknown): Promise<Buffer> {
    return this.afterForgery(u, r.out, tcpExchange(r.ex!), err);
  }

  /** A server rejected EDNS and answered without it: it is asked without EDNS for a while (RFC 6891 §6.2.2). */
  ednsRejected(u: Upstream, code: number): void {
    u.recordEdnsRejected(this.now(), EDNS_REJECTED_MS);
    this.log.info({ zone: this.zone || '.', server: u.label, rcode: code }, 'upstream rejects EDNS: asking it without EDNS for 15 minutes');
  }

  /** Whether `u` is asked without EDNS now. */
  plainFor(u: Upstream): boolean {
    return u.rejectsEdns(this.now());
  }

  /** Cancels the probe of the server at `index` of `upstreams` (a no-op once it has settled). */
  probeDone(index: number): void {
    this.health[index]!.cancelProbe();
  }

  /**
   * The UDP exchange met replies that were not the server's answer: more unwanted ones than the
   * socket takes, or one with our ID in another letter case. The query is asked again of the same
   * server over TCP, which a blind forger cannot answer. A reply in another case over TCP as well is
   * the server's way (it does not echo case): it is asked without 0x20 for NO_ECHO_MS. Any other
   * error is passed on.
   */
  private async afterForgery(u: Upstream, out: Outgoing, tcp: Exchange, err: unknown): Promise<Buffer> {
    const unwanted = isDnsfwdError(err, 'UPSTREAM_UNWANTED');
    if (!unwanted && !isDnsfwdError(err, 'UPSTREAM_CASE')) throw err;
    const fields = { zone: this.zone || '.', server: u.label };
    if (unwanted) this.forged(u, `more than ${UNWANTED_REPLY_THRESHOLD - 1} unwanted replies on one socket`);
    const timeoutMs = this.budget(out);
    if (timeoutMs <= 0) throw new DnsfwdError('DEADLINE');
    this.log.debug({ ...fields, reason: (err as DnsfwdError).code }, 'replies not the server\'s: retrying over TCP');
    const reply = await this.transports.tcp({ ...tcp, timeoutMs });
    if (unwanted) return reply;
    if (answers(tcp.query, tcp.questionEnd, true, reply)) {
      this.forged(u, 'a reply with our ID in another letter case; over TCP the server echoes the case');
    } else if (this.spoof.caseEcho(u.endpoint).recordNoEcho(this.now())) {
      this.log.warn(fields, 'upstream does not echo the letter case of questions: asking it without 0x20 randomisation, trying again every 15 minutes');
    } else {
      this.log.debug(fields, 'upstream still does not echo the letter case of questions');
    }
    return reply;
  }

  /** RFC 7766 §5: a truncated UDP answer is asked for again over TCP, of the same server. */
  private overTcp(u: Upstream, out: Outgoing, ex: Exchange): Promise<Buffer> {
    const timeoutMs = this.budget(out);
    if (timeoutMs <= 0) return Promise.reject(new DnsfwdError('DEADLINE'));
    this.log.debug({ server: u.label }, 'truncated answer: retrying over TCP');
    return this.transports.tcp({ ...ex, timeoutMs });
  }

  /** Logs forged replies from `u`'s address, at most once a minute per server, with their count. */
  private forged(u: Upstream, why: string): void {
    const count = this.spoof.unwanted(u.endpoint);
    if (count > 0) this.log.warn({ zone: this.zone || '.', server: u.label, count, why }, 'replies forged in the name of an upstream: queries asked again over TCP');
  }

  /** How long the next attempt may wait: timeout_ms, or the time left before the query's deadline (0 or less: none left). */
  budget(out: Outgoing): number {
    return Math.min(this.opts.timeoutMs, out.deadline - this.now());
  }

  /** The timeout of one attempt, unless the query's deadline cuts it short. */
  get timeoutMs(): number {
    return this.opts.timeoutMs;
  }

  healthOf(u: Upstream): ServerHealth {
    return this.health[this.upstreams.indexOf(u)]!;
  }

  answered(u: Upstream): void {
    if (this.healthOf(u).answered(this.now())) this.log.info({ zone: this.zone || '.', server: u.label }, 'upstream answering again');
  }

  /** A timeout or an unreachable server: down at once, said once. */
  unreachable(u: Upstream, reason: string): void {
    const newlyDown = this.healthOf(u).unreachable(this.now(), this.opts.downMs);
    this.report(u, newlyDown, reason);
  }

  /** A failure another server's answer showed to be this server's: counted in its failure rate. */
  failed(u: Upstream, reason: string): void {
    const h = this.healthOf(u);
    const newlyDown = h.failed(this.now(), this.opts.downMs);
    const { failures, of } = h.lastRate;
    this.report(u, newlyDown, newlyDown ? `${failures} failures and ${of - failures} answers lately, failures that another server answered (the last: ${reason})` : reason);
  }

  private report(u: Upstream, newlyDown: boolean, reason: string): void {
    const fields = { zone: this.zone || '.', server: u.label, reason };
    if (newlyDown) this.log.warn({ ...fields, down_ms: this.opts.downMs }, 'upstream failed: moved to the back of the order');
    else this.log.debug(fields, 'upstream failed');
  }
}

/** How an exchange's error counts in a server's statistics. */
function failureKind(code: string): FailureKind {
  if (code === 'UPSTREAM_TIMEOUT') return 'timeout';
  if (code === 'UPSTREAM_REFUSED') return 'unreachable';
  return 'other';
}

/**
 * `reply` when its sections parse: one question (the matcher compared it), then as many records as
 * its counts say, each within the message (records.ts sectionsEnd: the counts are bounded by the
 * length first, nothing is allocated). Otherwise the server failed: huge counts over a few bytes
 * would make every later stage (OPT, CNAME, cache) loop or allocate for records that are not there.
 */
function wellFormed(reply: Buffer, questionEnd: number): Buffer {
  if (sectionsEnd(reply, questionEnd) < 0) throw new DnsfwdError('UPSTREAM_MALFORMED');
  return reply;
}

/** BADCOOKIE: we send no cookie, so a server that asks for one is not answering (RFC 7873 §5.3). */
function isBadCookie(reply: Buffer, questionEnd: number): boolean {
  // Fast path: the header holds BADCOOKIE's low bits, or the OPT record need not be looked for.
  if (rcode(reply) !== (BADCOOKIE & 0x0f)) return false;
  const opt = findOpt(reply, questionEnd);
  return opt !== null && ((reply[opt.ttl]! << 4) | rcode(reply)) === BADCOOKIE;
}

/** The exchange over TCP for a UDP one: the same query, its name's case compared without case. */
function tcpExchange(ex: Exchange): Exchange {
  return { server: ex.server, query: ex.query, questionEnd: ex.questionEnd, timeoutMs: ex.timeoutMs };
}

/** A reply to the query with EDNS that says the server does not take EDNS (RFC 6891 §7). */
function rejectsEdns(reply: Buffer): boolean {
  const code = rcode(reply);
  return code === Rcode.FORMERR || code === Rcode.NOTIMP;
}

/**
 * One client query on its way through a route's servers (UpstreamGroup.resolve): the record that
 * holds the order, where it has got to, what each server did, and the promise's resolve and
 * reject. Each exchange's outcome comes back to it (udpReplied, udpFailed, or a slow path's
 * promise through follow), and it moves on to the next server or settles.
 *
 * Per server, with EDNS unless the server rejected it lately; a FORMERR or NOTIMP to a query with
 * EDNS is asked again without it, and when that is answered the server is asked without EDNS from
 * then on, for a while (RFC 6891 §6.2.2). Every reply is checked once here for every later stage
 * (wellFormed).
 */
class Resolution implements Resolvers<Buffer> {
  resolve: (reply: Buffer) => void = NOTHING;
  reject: (err: Error) => void = NOTHING;
  /** The UDP exchange under way (the TCP retries are made from it). */
  ex: Exchange | null = null;
  /** The next server's index in `order`. */
  private next = 0;
  private refused: Buffer | null = null;
  private others = 0;
  /** Servers that failed this query in a way another server's answer would make theirs (made on the first). */
  private failedHere: { u: Upstream; reason: string }[] | null = null;
  /** The server asked now, its statistics, when it was first asked and the budget it had then. */
  private u: Upstream | null = null;
  private stats: ServerStats | null = null;
  private started = 0;
  private budget = 0;
  /** This attempt went with EDNS. */
  private withEdns = false;
  /** The server's reply to the query with EDNS, while it is asked again without. */
  private ednsReply: Buffer | null = null;

  constructor(
    private readonly group: UpstreamGroup,
    readonly out: Outgoing,
    private readonly order: readonly Upstream[],
    /** The index in `group.upstreams` of a server this query probes, or -1. */
    private readonly probing: number,
  ) {}

  start(): Promise<Buffer> {
    const p = openPromise(this);
    try {
      this.nextServer();
    } catch (err) {
      this.crashed(err);
    }
    return p;
  }

  /** A UDP exchange's reply. */
  readonly udpReplied = (reply: Buffer): void => {
    try {
      const r = this.group.afterUdp(this, this.u!, reply);
      if (Buffer.isBuffer(r)) this.replied(r);
      else this.follow(r);
    } catch (err) {
      this.crashed(err);
    }
  };

  /** A UDP exchange's error. */
  readonly udpFailed = (err: unknown): void => {
    try {
      if (isDnsfwdError(err, 'UPSTREAM_UNWANTED') || isDnsfwdError(err, 'UPSTREAM_CASE')) this.follow(this.group.afterUdpError(this, this.u!, err));
      else this.failed(err);
    } catch (e) {
      this.crashed(e);
    }
  };

  /** An exchange on a slow path (TCP): its outcome is this attempt's. */
  follow(pending: Promise<Buffer>): void {
    pending.then(
      (reply) => {
        try {
          this.replied(reply);
        } catch (err) {
          this.crashed(err);
        }
      },
      (err: unknown) => {
        try {
          this.failed(err);
        } catch (e) {
          this.crashed(e);
        }
      },
    );
  }

  /** What a step threw (a bug) fails the query rather than escaping into a promise no one holds. */
  private crashed(err: unknown): void {
    this.settle();
    this.reject(err instanceof Error ? err : new Error(String(err)));
  }

  /** Asks the next server in the order while the query's deadline allows; settles when none is left. */
  private nextServer(): void {
    const g = this.group;
    if (this.next < this.order.length) {
      const budget = g.budget(this.out);
      if (budget > 0) {
        const u = (this.u = this.order[this.next++]!);
        this.budget = budget;
        this.stats = g.healthOf(u).stats;
        this.stats.requests++;
        this.started = performance.now();
        this.withEdns = !g.plainFor(u);
        this.ednsReply = null;
        this.attempt(this.withEdns, budget);
        return;
      }
    }
    this.settle();
    if (this.refused !== null && this.others === 0) this.resolve(this.refused);
    else this.reject(new DnsfwdError('ALL_FAILED', `zone ${g.zone || '.'}: every server failed`));
  }

  /** Starts an exchange with the server asked now; one that fails to start is that server failing. */
  private attempt(withEdns: boolean, timeoutMs: number): void {
    try {
      this.group.startAttempt(this, this.u!, withEdns, timeoutMs);
    } catch (err) {
      this.failed(err);
    }
  }

  /** A reply from the server asked now (over UDP or TCP): checked, then the EDNS fallback, then judged. */
  private replied(reply: Buffer): void {
    if (sectionsEnd(reply, this.out.questionEnd) < 0) return this.failed(new DnsfwdError('UPSTREAM_MALFORMED'));
    const u = this.u!;
    if (this.ednsReply !== null) {
      // The answer without EDNS: when the server takes that, it is asked without EDNS for a while.
      const first = this.ednsReply;
      if (rejectsEdns(reply)) return this.judge(first);
      this.group.ednsRejected(u, rcode(first));
      return this.judge(reply);
    }
    if (this.withEdns && rejectsEdns(reply)) {
      const left = this.group.budget(this.out);
      if (left > 0) {
        this.ednsReply = reply;
        this.withEdns = false;
        this.attempt(false, left);
        return;
      }
    }
    this.judge(reply);
  }

  /** The server's reply: the client's answer, or a failure RCODE (the next server is asked). */
  private judge(reply: Buffer): void {
    const u = this.u!;
    const stats = this.stats!;
    stats.replied(performance.now() - this.started);
    const code = rcode(reply);
    const badCookie = isBadCookie(reply, this.out.questionEnd);
    if (code !== Rcode.SERVFAIL && code !== Rcode.REFUSED && !badCookie) {
      stats.answers++;
      if (this.failedHere) for (const f of this.failedHere) this.group.failed(f.u, f.reason);
      this.group.answered(u);
      this.out.server = u.label;
      this.settle();
      this.resolve(reply);
      return;
    }
    stats.failures[badCookie ? 'other' : code === Rcode.REFUSED ? 'refused' : 'servfail']++;
    if (code === Rcode.REFUSED) this.refused = reply;
    else this.others++;
    (this.failedHere ??= []).push({ u, reason: badCookie ? 'BADCOOKIE' : `rcode ${rcodeName(code)}` });
    this.nextServer();
  }

  /** The exchange with the server asked now failed. */
  private failed(err: unknown): void {
    const u = this.u!;
    this.others++;
    const code = err instanceof DnsfwdError ? err.code : String(err);
    this.stats!.failures[failureKind(code)]++;
    // A timeout counts when the server had a whole timeout_ms: not one cut short by the query's deadline.
    if (code === 'UPSTREAM_REFUSED' || (code === 'UPSTREAM_TIMEOUT' && this.budget >= this.group.timeoutMs)) this.group.unreachable(u, code);
    else (this.failedHere ??= []).push({ u, reason: code });
    this.nextServer();
  }

  /** The query is settled (or about to be): a probe it carried is given back. */
  private settle(): void {
    if (this.probing >= 0) this.group.probeDone(this.probing); // not reached, or reached and settled (a no-op then)
  }
}

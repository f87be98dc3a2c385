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
import { upstreamQuery } from '../wire/upstream-query.js';
import { randomId } from './ids.js';
import { randomiseCase } from './mixed-case.js';
import { SpoofGuard } from './spoof-guard.js';
import type { Exchange, Transport } from './transport/exchange.js';
import { UNWANTED_REPLY_THRESHOLD } from './transport/udp-pool.js';
import type { Upstream } from './health.js';
import type { LoopView } from './loop-guard.js';
import { ServerHealth } from './route-health.js';
import type { FailureKind, ServerStats } from './server-stats.js';

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
    const questionEnd = query.length;
    const ex: Exchange = { server: u.endpoint, query, timeoutMs, matches: matcher(query, questionEnd) };
    return this.opts.tcpOnly ? this.transports.tcp(ex) : this.transports.udp(ex);
  }

  /**
   * The upstream's reply (with our ID still in it), or an error when every server failed.
   * SERVFAIL, REFUSED and BADCOOKIE from a server count as failures: the next server is tried.
   * When all have failed the client gets SERVFAIL (or a stale answer), but when every one of them
   * refused, their REFUSED (a policy, not an outage). A failure counts against a server's health
   * only when it is the server's: a timeout or an unreachable server at once, an RCODE or a bad
   * reply when a later server answered the same query (route-health.ts).
   */
  async resolve(out: Outgoing): Promise<Buffer> {
    const { order, probing } = this.plan(true);
    let refused: Buffer | null = null;
    let others = 0;
    /** Servers that failed this query in a way another server's answer would make theirs (made on the first). */
    let failedHere: { u: Upstream; reason: string }[] | null = null;
    try {
      for (let i = 0; i < order.length; i++) {
        const u = order[i]!;
        const budget = this.budget(out);
        if (budget <= 0) break;
        const stats = this.healthOf(u).stats;
        stats.requests++;
        const started = performance.now();
        try {
          const reply = await this.ask(u, out);
          stats.replied(performance.now() - started);
          const code = rcode(reply);
          const badCookie = isBadCookie(reply, out.questionEnd);
          if (code !== Rcode.SERVFAIL && code !== Rcode.REFUSED && !badCookie) {
            stats.answers++;
            if (failedHere) for (const f of failedHere) this.failed(f.u, f.reason);
            this.answered(u);
            out.server = u.label;
            return reply;
          }
          stats.failures[badCookie ? 'other' : code === Rcode.REFUSED ? 'refused' : 'servfail']++;
          if (code === Rcode.REFUSED) refused = reply;
          else others++;
          (failedHere ??= []).push({ u, reason: badCookie ? 'BADCOOKIE' : `rcode ${rcodeName(code)}` });
        } catch (err) {
          others++;
          const code = err instanceof DnsfwdError ? err.code : String(err);
          stats.failures[failureKind(code)]++;
          // A timeout counts when the server had a whole timeout_ms: not one cut short by the query's deadline.
          if (code === 'UPSTREAM_REFUSED' || (code === 'UPSTREAM_TIMEOUT' && budget >= this.opts.timeoutMs)) this.unreachable(u, code);
          else (failedHere ??= []).push({ u, reason: code });
        }
      }
    } finally {
      if (probing >= 0) this.health[probing]!.cancelProbe(); // not reached, or reached and settled (a no-op then)
    }
    if (refused !== null && others === 0) return refused;
    throw new DnsfwdError('ALL_FAILED', `zone ${this.zone || '.'}: every server failed`);
  }

  /**
   * One server's answer. With EDNS unless the server rejected it lately; a FORMERR or NOTIMP to a
   * query with EDNS is asked again without it, and when that is answered the server is asked
   * without EDNS from then on, for a while (RFC 6891 §6.2.2).
   */
  private async ask(u: Upstream, out: Outgoing): Promise<Buffer> {
    const withEdns = !u.rejectsEdns(this.now());
    const reply = await this.attempt(u, out, withEdns, this.budget(out));
    if (!withEdns || (rcode(reply) !== Rcode.FORMERR && rcode(reply) !== Rcode.NOTIMP)) return reply;
    const left = this.budget(out);
    if (left <= 0) return reply;
    const plain = await this.attempt(u, out, false, left);
    if (rcode(plain) === Rcode.FORMERR || rcode(plain) === Rcode.NOTIMP) return reply;
    u.recordEdnsRejected(this.now(), EDNS_REJECTED_MS);
    this.log.info({ zone: this.zone || '.', server: u.label, rcode: rcode(reply) }, 'upstream rejects EDNS: asking it without EDNS for 15 minutes');
    return plain;
  }

  /**
   * One exchange with `u` (over TCP after a truncated UDP answer): its reply, checked once here for
   * every later stage (wellFormed), or an error. Over UDP the name goes with its letters in random
   * case (0x20), unless the server does not echo case, and the reply must spell it exactly so.
   */
  private attempt(u: Upstream, out: Outgoing, withEdns: boolean, timeoutMs: number): Promise<Buffer> {
    const edns = withEdns ? { udpSize: this.opts.ednsSize, dnssecOk: out.dnssecOk } : null;
    const query = upstreamQuery(out.bytes, out.questionEnd, edns);
    writeId(query, randomId());
    // Over TCP nobody can answer blind: the name's case is compared as it always was, without case.
    const tcp: Exchange = { server: u.endpoint, query, timeoutMs, matches: matcher(query, out.questionEnd) };
    const check = (reply: Buffer) => wellFormed(reply, out.questionEnd);
    if (this.opts.tcpOnly) return this.transports.tcp(tcp).then(check);
    const mixed = this.spoof.caseEcho(u.endpoint).mixedCase(this.now());
    if (mixed) randomiseCase(query, HEADER_SIZE, out.questionEnd - 4);
    const ex: Exchange = mixed ? { ...tcp, matches: matcher(query, out.questionEnd, true), caseMismatch: tcp.matches } : tcp;
    // A truncated UDP answer may be cut anywhere (it is not used): only what replaces it is checked.
    return this.transports.udp(ex).then(
      (reply) => (isTruncated(reply) ? this.overTcp(u, out, tcp).then(check) : check(reply)),
      (err: unknown) => this.afterForgery(u, out, tcp, err).then(check),
    );
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
    if (matcher(tcp.query, out.questionEnd, true)(reply)) {
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
  private budget(out: Outgoing): number {
    return Math.min(this.opts.timeoutMs, out.deadline - this.now());
  }

  private healthOf(u: Upstream): ServerHealth {
    return this.health[this.upstreams.indexOf(u)]!;
  }

  private answered(u: Upstream): void {
    if (this.healthOf(u).answered(this.now())) this.log.info({ zone: this.zone || '.', server: u.label }, 'upstream answering again');
  }

  /** A timeout or an unreachable server: down at once, said once. */
  private unreachable(u: Upstream, reason: string): void {
    const newlyDown = this.healthOf(u).unreachable(this.now(), this.opts.downMs);
    this.report(u, newlyDown, reason);
  }

  /** A failure another server's answer showed to be this server's: counted in its failure rate. */
  private failed(u: Upstream, reason: string): void {
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

/**
 * Accepts only a response with the query's ID (as finally sent) and the same question (RFC 5452
 * §9.1): its name in the same letter case too when `exactCase` (0x20), otherwise in any case.
 */
function matcher(query: Buffer, questionEnd: number, exactCase = false): (reply: Buffer) => boolean {
  return (reply) =>
    reply.length >= questionEnd &&
    (reply[2]! & 0x80) !== 0 &&
    readId(reply) === readId(query) &&
    (exactCase ? query.compare(reply, HEADER_SIZE, questionEnd, HEADER_SIZE, questionEnd) === 0 : sameQuestion(query, reply, questionEnd));
}

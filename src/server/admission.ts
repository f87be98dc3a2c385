// The admission step: the checks on who is asking, consulted first for every client query (by the
// Responder) and for every TCP connection as it opens, before anything is parsed or looked up.
// First, a query from one of dnsfwd's own upstream sockets (upstream/own-sockets.ts) is dnsfwd
// forwarding to itself: SERVFAIL at once, so that it cannot go round. Then access control
// (access.ts: allow, refuse, drop), then response rate limiting for UDP (rate-limit.ts). Another
// check of the client goes in `admit`, in the order it should apply.
// A loopback client the access list leaves to the default is decided in two comparisons; other
// addresses are parsed once and their decision kept in a bounded map, emptied when the config or
// the host's interfaces change. Turned-away queries are counted and logged at most once a minute
// per /24 or /56.
import type { Logger } from '../log.js';
import type { Transport } from '../pipeline/query.js';
import { AccessList, type HostInterfaces } from './access.js';
import type { AccessAction, ClientConfig } from './client-config.js';
import { formatPrefix, parseIp, prefixOf } from './ip-prefix.js';
import { LogThrottle } from '../log-throttle.js';
import { RateLimiter } from './rate-limit.js';
import { OwnSockets } from '../upstream/own-sockets.js';

/**
 * What becomes of a client's query: answered; answered REFUSED; answered with an empty TC=1
 * reply (rate limited: a real client retries over TCP); not answered at all; or answered SERVFAIL
 * (a query of dnsfwd's own, come back).
 */
export type Admission = 'answer' | 'refuse' | 'truncate' | 'drop' | 'servfail';

/** Who sent a query: a UDP datagram's sender (dgram's rinfo is one) or a TCP connection's peer. */
export interface Client {
  readonly address: string;
  readonly port: number;
}

export interface ClientStats {
  /** Queries answered REFUSED by access control. */
  readonly refused: number;
  /** Queries (UDP) and connections (TCP) dropped by access control. */
  readonly dropped: number;
  /** Responses over the rate limit sent empty with TC=1. */
  readonly rateLimitedTruncated: number;
  /** Responses over the rate limit not sent. */
  readonly rateLimitedDropped: number;
  /** Queries that came from dnsfwd's own upstream sockets, answered SERVFAIL. */
  readonly fromOurselves: number;
}

/** What is known about one client address, worked out once. */
interface Known {
  readonly action: AccessAction;
  /** The access entry that decided, or null for the default. */
  readonly entry: string | null;
  /** The /24 or /56 it is logged under. */
  readonly subnet: string;
  /** Its rate-limit prefix, or null: not rate limited (loopback). */
  readonly bucket: string | null;
}

/** Addresses whose decision is kept; past it the map starts afresh. */
const MAX_KNOWN = 4096;
const LOG_PREFIX = { 4: 24, 6: 56 } as const;
const UNKNOWN: Known = { action: 'drop', entry: null, subnet: 'unknown', bucket: null };

export class ClientPolicy {
  private config: ClientConfig;
  private host: HostInterfaces;
  private access!: AccessList;
  private limiter!: RateLimiter;
  /** access.loopbackByDefault, read on the fast path. */
  private loopbackAllowed = true;
  private known = new Map<string, Known>();
  private readonly logs: LogThrottle;
  private refused = 0;
  private dropped = 0;
  private truncated = 0;
  private limitedDrops = 0;
  private ours = 0;
  private lastConnected = '';

  constructor(
    config: ClientConfig,
    host: HostInterfaces,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    /** The local addresses of dnsfwd's own upstream sockets. */
    private readonly own: OwnSockets = new OwnSockets(),
  ) {
    this.config = config;
    this.host = host;
    this.logs = new LogThrottle(now);
    this.limiter = new RateLimiter(config.rateLimit, now);
    this.rebuild();
  }

  /** New `access:`, `rate_limit:` and listen addresses (a reload); rate-limit counts start afresh. */
  configure(config: ClientConfig): void {
    this.config = config;
    this.limiter = new RateLimiter(config.rateLimit, this.now);
    this.rebuild();
  }

  /** A new snapshot of the host's interfaces (os.networkInterfaces()): the connected subnets are recomputed. */
  setHostInterfaces(host: HostInterfaces): void {
    this.host = host;
    this.rebuild();
  }

  /** Whether `client`'s query over `transport` is answered, and how. Counts and logs what is turned away. */
  admit(client: Client, transport: Transport): Admission {
    if (this.own.has(client.address, client.port)) return this.fromOurselves(client);
    const a = client.address;
    // Fast path: loopback, which the access list leaves to its built-in allow, told from its text.
    if (this.loopbackAllowed && (a.startsWith('127.') || a === '::1')) return 'answer';
    const k = this.lookup(a);
    if (k.action === 'drop') return this.turnAway(k, a, 'drop');
    if (transport === 'udp' && k.bucket !== null && this.limiter.enabled) {
      const limited = this.limiter.check(k.bucket);
      if (limited !== 'answer') return this.limited(k, a, limited);
    }
    return k.action === 'allow' ? 'answer' : this.turnAway(k, a, 'refuse');
  }

  /** Whether a TCP connection from `client` is kept: false (a drop) means close it at once. */
  acceptsConnection(client: Client): boolean {
    const a = client.address;
    // Fast path: loopback, as in admit.
    if (this.loopbackAllowed && (a.startsWith('127.') || a === '::1')) return true;
    const k = this.lookup(a);
    if (k.action !== 'drop') return true;
    this.turnAway(k, a, 'drop');
    return false;
  }

  stats(): ClientStats {
    return {
      refused: this.refused,
      dropped: this.dropped,
      rateLimitedTruncated: this.truncated,
      rateLimitedDropped: this.limitedDrops,
      fromOurselves: this.ours,
    };
  }

  private rebuild(): void {
    const c = this.config;
    this.access = new AccessList(c.access, c.listen, c.listenWatched, this.host);
    this.loopbackAllowed = this.access.loopbackByDefault;
    this.known = new Map();
    const connected = this.access.connected();
    const text = connected.join(' ');
    if (text !== this.lastConnected) this.log.info({ subnets: connected }, 'connected subnets allowed by default');
    this.lastConnected = text;
  }

  private lookup(address: string): Known {
    let k = this.known.get(address);
    // Fast path: an address decided before.
    if (k !== undefined) return k;
    const ip = parseIp(address);
    if (ip === null) return UNKNOWN; // no address to answer (a socket already gone)
    const d = this.access.decide(ip);
    const loopback = (ip.family === 4 && ip.value >> 24n === 127n) || (ip.family === 6 && ip.value === 1n);
    const r = this.config.rateLimit;
    const bucket = loopback ? null : formatPrefix(prefixOf(ip, ip.family === 4 ? r.ipv4Prefix : r.ipv6Prefix));
    k = { action: d.action, entry: d.entry, subnet: formatPrefix(prefixOf(ip, LOG_PREFIX[ip.family])), bucket };
    if (this.known.size >= MAX_KNOWN) this.known.clear();
    this.known.set(address, k);
    return k;
  }

  private turnAway(k: Known, address: string, action: 'refuse' | 'drop'): Admission {
    if (action === 'refuse') this.refused++;
    else this.dropped++;
    const n = this.logs.count(`${action} ${k.subnet}`);
    if (n > 0) {
      const fields = { subnet: k.subnet, client: address, queries: n, entry: k.entry ?? 'default' };
      const msg = action === 'refuse' ? 'queries refused' : 'queries dropped';
      // The default turning a client away is likely an oversight (a bridge not listened on); an entry, a choice.
      if (k.entry === null) this.log.warn(fields, msg);
      else this.log.info(fields, msg);
    }
    return action;
  }

  /** A query dnsfwd sent upstream reached dnsfwd again: it forwards to itself (a DNAT rule, say). */
  private fromOurselves(client: Client): Admission {
    this.ours++;
    const n = this.logs.count('ours');
    if (n > 0) {
      const fields = { client: `${client.address}:${client.port}`, queries: n };
      this.log.warn(fields, 'a query came from our own upstream socket: dnsfwd forwards to itself; answered SERVFAIL');
    }
    return 'servfail';
  }

  private limited(k: Known, address: string, limited: 'truncate' | 'drop'): Admission {
    if (limited === 'truncate') this.truncated++;
    else this.limitedDrops++;
    const n = this.logs.count(`limit ${k.bucket!}`);
    if (n > 0) {
      const r = this.config.rateLimit;
      this.log.warn({ prefix: k.bucket, client: address, responses: n, limit: r.responsesPerSecond, slip: r.slip }, 'responses rate limited');
    }
    return limited;
  }
}

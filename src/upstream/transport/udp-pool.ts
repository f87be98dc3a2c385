// Upstream UDP through connected sockets per server. Each socket keeps a random source port for at
// most `queriesPerSocket` queries (dnsfwd: 4, see setup.ts), then is replaced (RFC 5452 §9.2:
// unpredictable ID and port); being connected, it hears only that server and gets ICMP unreachable
// as ECONNREFUSED (an immediate failure of the queries waiting on it). Datagrams that match no
// waiting query are counted per socket: past `unwantedThreshold` the socket is under a blind flood,
// and its queries fail with UPSTREAM_UNWANTED for the caller to ask again over TCP (as Unbound's
// unwanted-reply-threshold).
import dgram from 'node:dgram';
import { formatEndpoint, type Endpoint } from '../../address.js';
import { DnsfwdError } from '../../errors.js';
import { type Finish, settleOnce } from '../../settle.js';
import { readId, writeId } from '../../wire/header.js';
import { EndpointMap } from '../endpoint-map.js';
import { randomId } from '../ids.js';
import type { OwnSockets } from '../own-sockets.js';
import type { Exchange, Transport } from './exchange.js';

export interface UdpPoolOptions {
  readonly socketsPerServer: number;
  readonly queriesPerSocket: number;
  /** Where each socket's local address is recorded while it is open. */
  readonly own?: OwnSockets;
  /** Unwanted datagrams a socket takes before its queries fail with UPSTREAM_UNWANTED. */
  readonly unwantedThreshold?: number;
}

/**
 * The default of `unwantedThreshold`. A connected socket hears only its server, which answers each
 * query once: a datagram with the wrong ID or question is a stray duplicate or a reply come after
 * its query's timeout, a few at most over a socket's few queries; ten on one socket is a flood
 * guessing IDs. A forger then has ten guesses at a 16-bit ID and the name's 0x20 bits before the
 * queries on that socket go over TCP.
 */
export const UNWANTED_REPLY_THRESHOLD = 10;

interface Waiter {
  readonly matches: (reply: Buffer) => boolean;
  readonly caseMismatch: ((reply: Buffer) => boolean) | undefined;
  readonly finish: Finish<Buffer>;
}

/**
 * dgram resolves the addresses it binds and connects to with dns.lookup, answered a tick later even
 * for a literal. A server's address is always a literal (and the implicit bind's 0.0.0.0 or ::):
 * handed back at once, as the listeners do (server/udp.ts): a new socket every few queries binds and
 * connects that often.
 */
function literalLookup(address: string, family: unknown, callback: (err: Error | null, address: string, family: number) => void): void {
  callback(null, address, family === 6 ? 6 : 4);
}

const TIMED_OUT = () => ({ error: new DnsfwdError('UPSTREAM_TIMEOUT') });

/** One connected socket and the queries waiting on it, by ID. */
class PooledSocket {
  private readonly pending = new Map<number, Waiter>();
  private readonly socket: dgram.Socket;
  uses = 0;
  /** This socket cannot be used (its connect or a send failed): the pool replaces it. */
  failed = false;
  private retired = false;
  /** Datagrams that matched no waiting query. */
  private unwanted = 0;
  /** Queries sent before the socket finished connecting. */
  private queued: Buffer[] | null = [];
  /** Its local address, as recorded in `own`. */
  private local: { address: string; port: number } | null = null;

  constructor(
    private readonly server: Endpoint,
    private readonly unwantedThreshold: number,
    private readonly own?: OwnSockets,
  ) {
    this.socket = dgram.createSocket({ type: server.family === 6 ? 'udp6' : 'udp4', lookup: literalLookup });
    this.socket.on('message', (msg) => this.onMessage(msg));
    this.socket.on('error', (err: NodeJS.ErrnoException) => this.onError(err));
    // A connect that fails (no route to the server yet, say at boot) is reported to this callback
    // only: the socket is unusable, the queries waiting on it fail now and the pool replaces it.
    this.socket.connect(server.port, server.host, (err?: Error) => {
      const queued = this.queued ?? [];
      this.queued = null;
      if (err) return this.broken(err as NodeJS.ErrnoException);
      if (this.own) this.record(this.own);
      for (const q of queued) this.write(q);
    });
  }

  send(ex: Exchange): Promise<Buffer> {
    this.uses++;
    let id = readId(ex.query);
    while (this.pending.has(id)) id = randomId();
    writeId(ex.query, id);
    return settleOnce<Buffer>(
      ex.timeoutMs,
      (finish) => {
        this.pending.set(id, { matches: ex.matches, caseMismatch: ex.caseMismatch, finish });
        if (this.queued) this.queued.push(ex.query);
        else this.write(ex.query);
        return () => this.forget(id);
      },
      TIMED_OUT,
    );
  }

  /** Takes no more queries; closes once those waiting are settled. */
  retire(): void {
    this.retired = true;
    if (this.pending.size === 0) this.close();
  }

  private broken(err: NodeJS.ErrnoException): void {
    this.failed = true;
    this.onError(err);
    this.retire();
  }

  /** Sends on the connected socket; a send that throws fails the queries waiting here. */
  private write(q: Buffer): void {
    try {
      this.socket.send(q);
    } catch (err) {
      this.broken(err as NodeJS.ErrnoException);
    }
  }

  /** A datagram too short for our question (a header's worth or less) never matches. */
  private onMessage(msg: Buffer): void {
    const w = this.pending.get(readId(msg));
    if (w) {
      if (w.matches(msg)) return w.finish(null, msg);
      if (w.caseMismatch?.(msg)) return w.finish(new DnsfwdError('UPSTREAM_CASE', formatEndpoint(this.server)));
    }
    // Anything else is ignored, and counted: past the threshold, the socket is given up.
    if (++this.unwanted < this.unwantedThreshold) return;
    const error = new DnsfwdError('UPSTREAM_UNWANTED', `${formatEndpoint(this.server)}: ${this.unwanted} unwanted replies`);
    this.failed = true;
    for (const w of [...this.pending.values()]) w.finish(error);
    this.retire();
  }

  private onError(err: NodeJS.ErrnoException): void {
    const refused = err.code === 'ECONNREFUSED' || err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH';
    const error = refused ? new DnsfwdError('UPSTREAM_REFUSED', `${formatEndpoint(this.server)}: ${err.code}`) : err;
    for (const w of [...this.pending.values()]) w.finish(error);
  }

  /** A query settled: it no longer waits here. */
  private forget(id: number): void {
    this.pending.delete(id);
    if (this.retired && this.pending.size === 0) this.close();
  }

  /** Records the socket's local address in `own` (a socket closed meanwhile has none: nothing to record). */
  private record(own: OwnSockets): void {
    try {
      this.local = this.socket.address();
      own.add(this.local.address, this.local.port);
    } catch {
      this.local = null;
    }
  }

  private close(): void {
    if (this.local) this.own?.remove(this.local.address, this.local.port);
    this.local = null;
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}

/** The sockets of one server, used in turn. */
interface ServerSockets {
  readonly slots: (PooledSocket | undefined)[];
  turn: number;
}

export class UdpPool {
  private readonly servers = new EndpointMap<ServerSockets>(
    () => ({ slots: [], turn: 0 }),
    (sockets) => sockets.slots.forEach((s) => s?.retire()),
  );

  constructor(private readonly opts: UdpPoolOptions) {}

  readonly exchange: Transport = (ex) => {
    const server = this.servers.get(ex.server);
    const slot = server.turn++ % this.opts.socketsPerServer;
    let s = server.slots[slot];
    if (!s || s.uses >= this.opts.queriesPerSocket || s.failed) {
      s?.retire();
      s = server.slots[slot] = new PooledSocket(ex.server, this.opts.unwantedThreshold ?? UNWANTED_REPLY_THRESHOLD, this.opts.own);
    }
    return s.send(ex);
  };

  /** Retires the sockets of servers not in `inUse` (gone from every route), once their queries settle. */
  retain(inUse: Iterable<Endpoint>): void {
    this.servers.retain(inUse);
  }

  /** Closes every socket once its queries settle. */
  close(): void {
    this.servers.retain([]);
  }
}

// Upstream UDP through connected sockets per server. Each socket keeps a random source port for at
// most `queriesPerSocket` queries (dnsfwd: 4, see setup.ts), then is replaced (RFC 5452 §9.2:
// unpredictable ID and port); being connected, it hears only that server and gets ICMP unreachable
// as ECONNREFUSED (an immediate failure of the queries waiting on it). Datagrams that match no
// waiting query are counted per socket: past `unwantedThreshold` the socket is under a blind flood,
// and its queries fail with UPSTREAM_UNWANTED for the caller to ask again over TCP (as Unbound's
// unwanted-reply-threshold). Each query waiting is one record (UdpWait: its ID, its exchange, its
// promise's resolve and reject), in its socket's map by ID and in the pool's DeadlineSweep for its
// timeout: no timer, closure or promise chain of its own.
import dgram from 'node:dgram';
import { formatEndpoint, type Endpoint } from '../../address.js';
import { DnsfwdError } from '../../errors.js';
import { Deadline, DeadlineSweep, openPromise, type Resolvers } from '../../settle.js';
import { readId, writeId } from '../../wire/header.js';
import { EndpointMap } from '../endpoint-map.js';
import { randomId } from '../ids.js';
import type { OwnSockets } from '../own-sockets.js';
import { isAnswer, isCaseMismatch, type Exchange, type Transport } from './exchange.js';

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

/** One query waiting for its reply on a socket, until its deadline. */
class UdpWait extends Deadline implements Resolvers<Buffer> {
  resolve: (reply: Buffer) => void = settleNothing;
  reject: (err: Error) => void = settleNothing;

  constructor(
    readonly socket: PooledSocket,
    readonly id: number,
    readonly ex: Exchange,
  ) {
    super();
  }

  expire(): void {
    this.socket.settle(this, new DnsfwdError('UPSTREAM_TIMEOUT'));
  }
}

const settleNothing = (): void => undefined;

/**
 * dgram resolves the addresses it binds and connects to with dns.lookup, answered a tick later even
 * for a literal. A server's address is always a literal (and the implicit bind's 0.0.0.0 or ::):
 * handed back at once, as the listeners do (server/udp.ts): a new socket every few queries binds and
 * connects that often.
 */
function literalLookup(address: string, family: unknown, callback: (err: Error | null, address: string, family: number) => void): void {
  callback(null, address, family === 6 ? 6 : 4);
}

/** One connected socket and the queries waiting on it, by ID. */
class PooledSocket {
  /**
   * The queries waiting, in no order: a socket carries a few queries (queriesPerSocket), so an
   * array searched by ID costs less than a Map made and grown for each socket.
   */
  private readonly pending: UdpWait[] = [];
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
    private readonly sweep: DeadlineSweep,
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
    while (this.waiting(id) !== undefined) id = randomId();
    writeId(ex.query, id);
    const w = new UdpWait(this, id, ex);
    const p = openPromise(w);
    this.pending.push(w);
    this.sweep.add(w, ex.timeoutMs);
    if (this.queued) this.queued.push(ex.query);
    else this.write(ex.query); // may settle w at once (a send that throws)
    return p;
  }

  /** Settles `w` (if it still waits here): it no longer waits, then its promise resolves or rejects. */
  settle(w: UdpWait, err: Error | null, reply?: Buffer): void {
    const i = this.pending.indexOf(w);
    if (i < 0) return;
    const last = this.pending.pop()!;
    if (last !== w) this.pending[i] = last;
    this.sweep.remove(w);
    if (this.retired && this.pending.length === 0) this.close();
    if (err) w.reject(err);
    else w.resolve(reply!);
  }

  /** Takes no more queries; closes once those waiting are settled. */
  retire(): void {
    this.retired = true;
    if (this.pending.length === 0) this.close();
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
    const w = this.waiting(readId(msg));
    if (w) {
      if (isAnswer(w.ex, msg)) return this.settle(w, null, msg);
      if (isCaseMismatch(w.ex, msg)) return this.settle(w, new DnsfwdError('UPSTREAM_CASE', formatEndpoint(this.server)));
    }
    // Anything else is ignored, and counted: past the threshold, the socket is given up.
    if (++this.unwanted < this.unwantedThreshold) return;
    const error = new DnsfwdError('UPSTREAM_UNWANTED', `${formatEndpoint(this.server)}: ${this.unwanted} unwanted replies`);
    this.failed = true;
    for (const w of [...this.pending]) this.settle(w, error);
    this.retire();
  }

  private onError(err: NodeJS.ErrnoException): void {
    const refused = err.code === 'ECONNREFUSED' || err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH';
    const error = refused ? new DnsfwdError('UPSTREAM_REFUSED', `${formatEndpoint(this.server)}: ${err.code}`) : err;
    for (const w of [...this.pending]) this.settle(w, error);
  }

  /** The query waiting here under `id`, if any. */
  private waiting(id: number): UdpWait | undefined {
    const pending = this.pending;
    for (let i = 0; i < pending.length; i++) if (pending[i]!.id === id) return pending[i];
    return undefined;
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
  /** The timeouts of every query waiting on the pool's sockets, under one timer. */
  private readonly sweep = new DeadlineSweep();
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
      s = server.slots[slot] = new PooledSocket(ex.server, this.opts.unwantedThreshold ?? UNWANTED_REPLY_THRESHOLD, this.sweep, this.opts.own);
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

// A TCP listener (RFC 7766): 2-byte framing, several queries per connection answered as they
// complete (out of order), an idle timeout, a deadline for each message, a cap on open connections
// and on those of one client address. A bad stream closes only its own connection; a client that
// does not read its answers is not read from either. At a cap, the least recently active idle
// connection (of that client, or of anyone) is closed to make room (§6.2.2); with none idle, the
// new connection is closed at once. Refusals, closings and failed answers are logged at most once
// a minute per kind (the listener's ThrottledLog).
import net from 'node:net';
import { formatEndpoint, type Endpoint } from '../address.js';
import type { Logger } from '../log.js';
import { Listener } from './listener.js';
import type { Responder } from './responder.js';
import { TcpConnection } from './tcp-connection.js';

/** How long a closing connection may take to flush its last answers. */
const CLOSE_FLUSH_MS = 500;

export interface TcpOptions {
  readonly idleTimeoutMs: number;
  /** From a message's first byte to its last; a connection whose message takes longer is closed. */
  readonly messageTimeoutMs: number;
  /** Open connections on this listen address. */
  readonly maxConnections: number;
  /** Open connections on this listen address from one client address (loopback ones included). */
  readonly maxConnectionsPerClient: number;
}

/** What is logged, a line a minute at most for each. */
const EVENTS = {
  perClient: 'TCP connections over the per-client limit: refused',
  cap: 'TCP connections at the cap with none idle: refused',
  evicted: 'idle TCP connections closed to admit new ones',
  messageTimeout: 'TCP connections closed: a message not complete in time',
} as const;

export class TcpListener extends Listener {
  protected readonly socket: net.Server;
  private readonly connections = new Set<TcpConnection>();
  /** Open connections per client address. */
  private readonly perClient = new Map<string, number>();
  private opts: TcpOptions;

  constructor(endpoint: Endpoint, responder: Responder, opts: TcpOptions, log: Logger, now: () => number = Date.now) {
    super(endpoint, responder, log, 'TCP', now);
    this.opts = opts;
    this.socket = net.createServer({ allowHalfOpen: true }, (socket) => this.onConnection(socket));
  }

  protected bind(bound: () => void): void {
    const { port, host, family } = this.endpoint;
    this.socket.listen({ port, host, ipv6Only: family === 6 }, bound);
  }

  /** New limits (a reload): the caps apply to new connections, the timeouts to all. */
  setOptions(opts: TcpOptions): void {
    this.opts = opts;
    for (const c of this.connections) c.setTimeouts(opts);
  }

  /** The server is closed by stopAccepting() and close(): no connection arrives after them. */
  private onConnection(socket: net.Socket): void {
    const client = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    // Access control's drop: closed at once, nothing read.
    if (!this.responder.acceptsConnection(client)) {
      socket.destroy();
      return;
    }
    const mine = this.perClient.get(client.address) ?? 0;
    if (mine >= this.opts.maxConnectionsPerClient && !this.evictIdle((c) => c.client.address === client.address)) {
      this.refuse(socket, 'perClient', { client: client.address, limit: this.opts.maxConnectionsPerClient });
      return;
    }
    if (this.connections.size >= this.opts.maxConnections && !this.evictIdle(() => true)) {
      this.refuse(socket, 'cap', { limit: this.opts.maxConnections });
      return;
    }
    const c = new TcpConnection(
      socket,
      client,
      this.responder,
      this.opts,
      this.log,
      this.throttled,
      () => this.note('messageTimeout', { timeoutMs: this.opts.messageTimeoutMs }),
      () => this.settled(),
    );
    this.add(c);
    socket.on('close', () => {
      this.remove(c);
      this.settled();
    });
  }

  busy(): boolean {
    for (const c of this.connections) if (c.busy) return true;
    return false;
  }

  private add(c: TcpConnection): void {
    this.connections.add(c);
    this.perClient.set(c.client.address, (this.perClient.get(c.client.address) ?? 0) + 1);
  }

  /** Forgets `c` (closed, or being closed); twice is harmless. */
  private remove(c: TcpConnection): void {
    if (!this.connections.delete(c)) return;
    const n = (this.perClient.get(c.client.address) ?? 1) - 1;
    if (n > 0) this.perClient.set(c.client.address, n);
    else this.perClient.delete(c.client.address);
  }

  /** Closes the least recently active idle connection among those `which` picks; false if none is idle. */
  private evictIdle(which: (c: TcpConnection) => boolean): boolean {
    let oldest: TcpConnection | undefined;
    for (const c of this.connections) {
      if (c.idle && which(c) && (oldest === undefined || c.lastActivity < oldest.lastActivity)) oldest = c;
    }
    if (oldest === undefined) return false;
    this.remove(oldest);
    oldest.destroy();
    this.note('evicted', {});
    return true;
  }

  private refuse(socket: net.Socket, kind: 'perClient' | 'cap', fields: Record<string, unknown>): void {
    socket.destroy();
    this.note(kind, fields);
  }

  /** Counts an event; logs it with the count since the last line, at most once a minute. */
  private note(kind: keyof typeof EVENTS, fields: Record<string, unknown>): void {
    const line = { listen: formatEndpoint(this.endpoint), ...fields };
    if (kind === 'evicted') this.throttled.info(line, EVENTS[kind]);
    else this.throttled.warn(line, EVENTS[kind]);
  }

  /** Also stops reading queries on open connections, and stops listening. */
  override stopAccepting(): void {
    super.stopAccepting();
    for (const c of this.connections) c.stopReading();
    this.socket.close();
  }

  /** Closes every connection (after flushing what was written) and the listener. */
  protected shutdown(): Promise<void> {
    for (const c of this.connections) c.close(CLOSE_FLUSH_MS);
    return new Promise((resolve) => {
      if (!this.socket.listening) return resolve();
      this.socket.close(() => resolve());
    });
  }
}

// A TCP listener (RFC 7766): 2-byte framing, several queries per connection answered as they
// complete (out of order), an idle timeout, a cap on open connections. A bad stream closes only
// its own connection; a client that does not read its answers is not read from either.
import net from 'node:net';
import type { Endpoint } from '../address.js';
import type { Logger } from '../log.js';
import { bindError } from './bind.js';
import { TcpConnection } from './tcp-connection.js';
import type { Responder } from './responder.js';

/** How long a closing connection may take to flush its last answers. */
const CLOSE_FLUSH_MS = 500;

export interface TcpOptions {
  readonly idleTimeoutMs: number;
  /** Open connections on this listen address; more are refused. */
  readonly maxConnections: number;
}

export class TcpListener {
  private readonly server: net.Server;
  private readonly connections = new Set<TcpConnection>();
  private opts: TcpOptions;
  private accepting = true;
  private closed = false;

  constructor(
    readonly endpoint: Endpoint,
    private readonly responder: Responder,
    opts: TcpOptions,
    private readonly log: Logger,
  ) {
    this.opts = opts;
    this.server = net.createServer({ allowHalfOpen: true }, (socket) => this.onConnection(socket));
    this.server.maxConnections = opts.maxConnections;
    this.server.on('drop', () => this.log.debug({ max: this.opts.maxConnections }, 'TCP connection refused: at the cap'));
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(bindError(err, this.endpoint, 'TCP'));
      this.server.once('error', onError);
      this.server.listen({ port: this.endpoint.port, host: this.endpoint.host, ipv6Only: this.endpoint.family === 6 }, () => {
        this.server.off('error', onError);
        this.server.on('error', (err) => this.log.warn({ err }, 'TCP server error'));
        resolve();
      });
    });
  }

  /** New limits (a reload): the cap applies to new connections, the idle timeout to all. */
  setOptions(opts: TcpOptions): void {
    this.opts = opts;
    this.server.maxConnections = opts.maxConnections;
    for (const c of this.connections) c.setIdleTimeout(opts.idleTimeoutMs);
  }

  private onConnection(socket: net.Socket): void {
    if (!this.accepting) {
      socket.destroy();
      return;
    }
    const c = new TcpConnection(socket, this.responder, this.opts.idleTimeoutMs, this.log);
    this.connections.add(c);
    socket.on('close', () => this.connections.delete(c));
  }

  /** Stops accepting connections and queries; answers in flight still go out until close(). */
  stopAccepting(): void {
    this.accepting = false;
    for (const c of this.connections) c.stopReading();
    this.server.close();
  }

  /** Closes the listener and every connection (after flushing what was written). Idempotent. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.accepting = false;
    for (const c of this.connections) c.close(CLOSE_FLUSH_MS);
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
    });
  }
}

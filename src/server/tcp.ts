// A TCP listener (RFC 7766): 2-byte framing, several queries per connection answered as they
// complete (out of order), an idle timeout, a cap on open connections. A bad stream closes only
// its own connection; a client that does not read its answers is not read from either.
import net from 'node:net';
import type { Endpoint } from '../address.js';
import type { Logger } from '../log.js';
import { Listener } from './listener.js';
import type { Responder } from './responder.js';
import { TcpConnection } from './tcp-connection.js';

/** How long a closing connection may take to flush its last answers. */
const CLOSE_FLUSH_MS = 500;

export interface TcpOptions {
  readonly idleTimeoutMs: number;
  /** Open connections on this listen address; more are refused. */
  readonly maxConnections: number;
}

export class TcpListener extends Listener {
  protected readonly socket: net.Server;
  private readonly connections = new Set<TcpConnection>();
  private opts: TcpOptions;

  constructor(endpoint: Endpoint, responder: Responder, opts: TcpOptions, log: Logger) {
    super(endpoint, responder, log, 'TCP');
    this.opts = opts;
    this.socket = net.createServer({ allowHalfOpen: true }, (socket) => this.onConnection(socket));
    this.socket.maxConnections = opts.maxConnections;
    this.socket.on('drop', () => this.log.debug({ max: this.opts.maxConnections }, 'TCP connection refused: at the cap'));
  }

  protected bind(bound: () => void): void {
    const { port, host, family } = this.endpoint;
    this.socket.listen({ port, host, ipv6Only: family === 6 }, bound);
  }

  /** New limits (a reload): the cap applies to new connections, the idle timeout to all. */
  setOptions(opts: TcpOptions): void {
    this.opts = opts;
    this.socket.maxConnections = opts.maxConnections;
    for (const c of this.connections) c.setIdleTimeout(opts.idleTimeoutMs);
  }

  /** The server is closed by stopAccepting() and close(): no connection arrives after them. */
  private onConnection(socket: net.Socket): void {
    const client = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    // Access control's drop: closed at once, nothing read.
    if (!this.responder.acceptsConnection(client)) {
      socket.destroy();
      return;
    }
    const c = new TcpConnection(socket, client, this.responder, this.opts.idleTimeoutMs, this.log, () => this.settled());
    this.connections.add(c);
    socket.on('close', () => {
      this.connections.delete(c);
      this.settled();
    });
  }

  busy(): boolean {
    for (const c of this.connections) if (c.busy) return true;
    return false;
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

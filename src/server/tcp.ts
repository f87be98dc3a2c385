// A TCP listener (RFC 7766): 2-byte framing, several queries per connection answered as they
// complete (out of order), an idle timeout, a cap on open connections. A bad stream closes only
// its own connection.
import net from 'node:net';
import type { Endpoint } from '../address.js';
import type { Logger } from '../log.js';
import { HEADER_SIZE } from '../wire/header.js';
import { bindError } from './bind.js';
import { FrameReader, frame } from './framing.js';
import type { Responder } from './responder.js';

/** How long a closing connection may take to flush its last answers. */
const CLOSE_FLUSH_MS = 500;

export interface TcpOptions {
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
}

export class TcpListener {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private accepting = true;
  private closed = false;

  constructor(
    readonly endpoint: Endpoint,
    private readonly responder: Responder,
    private readonly opts: TcpOptions,
    private readonly log: Logger,
  ) {
    this.server = net.createServer({ allowHalfOpen: true }, (socket) => this.onConnection(socket));
    this.server.maxConnections = opts.maxConnections;
    this.server.on('drop', () => this.log.debug({ max: opts.maxConnections }, 'TCP connection refused: at the cap'));
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

  private onConnection(socket: net.Socket): void {
    if (!this.accepting) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    const reader = new FrameReader();
    let pending = 0;
    let ended = false;
    const finishIfDone = () => {
      if (ended && pending === 0) socket.end();
    };
    socket.setNoDelay(true);
    socket.setTimeout(this.opts.idleTimeoutMs, () => socket.destroy());
    socket.on('error', (err) => this.log.debug({ err: err.message }, 'TCP connection error'));
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('end', () => {
      ended = true;
      finishIfDone();
    });
    socket.on('data', (chunk: Buffer) => {
      if (!this.accepting) return;
      for (const msg of reader.push(chunk)) {
        if (msg.length < HEADER_SIZE) {
          this.log.debug({ bytes: msg.length }, 'TCP frame shorter than a header: closing connection');
          socket.destroy();
          return;
        }
        pending++;
        this.answer(socket, msg).finally(() => {
          pending--;
          finishIfDone();
        });
      }
    });
  }

  private async answer(socket: net.Socket, msg: Buffer): Promise<void> {
    try {
      const reply = await this.responder.answer(msg, 'tcp');
      if (reply && socket.writable) socket.write(frame(reply));
    } catch (err) {
      this.log.error({ err }, 'TCP answer failed');
    }
  }

  /** Stops accepting connections and queries; answers in flight still go out until close(). */
  stopAccepting(): void {
    this.accepting = false;
    this.server.close();
  }

  /** Closes the listener and every connection (after flushing what was written). Idempotent. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.accepting = false;
    for (const s of this.sockets) {
      s.end();
      setTimeout(() => s.destroy(), CLOSE_FLUSH_MS).unref();
    }
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
    });
  }
}

// A UDP listener: one socket per listen address; each datagram is answered independently.
import dgram from 'node:dgram';
import type { Endpoint } from '../address.js';
import type { Logger } from '../log.js';
import { bindError } from './bind.js';
import type { Responder } from './responder.js';

export class UdpListener {
  private readonly socket: dgram.Socket;
  private accepting = true;
  private closed = false;
  private sending = 0;
  private sent: (() => void) | null = null;

  constructor(
    readonly endpoint: Endpoint,
    private readonly responder: Responder,
    private readonly log: Logger,
  ) {
    this.socket = dgram.createSocket(endpoint.family === 6 ? { type: 'udp6', ipv6Only: true } : { type: 'udp4' });
    this.socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(bindError(err, this.endpoint, 'UDP'));
      this.socket.once('error', onError);
      this.socket.bind(this.endpoint.port, this.endpoint.host, () => {
        this.socket.off('error', onError);
        this.socket.on('error', (err) => this.log.warn({ err }, 'UDP socket error'));
        resolve();
      });
    });
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (!this.accepting) return;
    this.responder.answer(msg, 'udp').then(
      (reply) => {
        if (!reply || this.closed) return;
        this.sending++;
        this.socket.send(reply, rinfo.port, rinfo.address, (err) => this.afterSend(err));
      },
      (err: unknown) => this.log.error({ err }, 'UDP answer failed'),
    );
  }

  private afterSend(err: Error | null): void {
    if (err) this.log.debug({ err: err.message }, 'UDP send failed');
    if (--this.sending === 0 && this.sent) this.sent();
  }

  /** Ignores new queries; answers to those in flight still go out until close(). */
  stopAccepting(): void {
    this.accepting = false;
  }

  /** Closes the socket once queued answers are sent; answers still being computed are discarded. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.accepting = false;
    if (this.sending > 0) await new Promise<void>((resolve) => (this.sent = resolve));
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve(); // never bound
      }
    });
  }
}

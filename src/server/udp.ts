// A UDP listener: one socket per listen address; each datagram is answered independently.
import dgram from 'node:dgram';
import type { Endpoint } from '../address.js';
import type { Logger } from '../log.js';
import { Listener } from './listener.js';
import type { Responder } from './responder.js';

/**
 * dgram resolves the address of every datagram it sends (dns.lookup, answered on the next tick
 * even for an IP literal). Replies go to the sender's address, always a literal: hand it back at
 * once, which saves a trip through the tick queue per answer.
 */
function literalLookup(address: string, family: unknown, callback: (err: Error | null, address: string, family: number) => void): void {
  callback(null, address, family === 6 ? 6 : 4);
}

export class UdpListener extends Listener {
  protected readonly socket: dgram.Socket;

  constructor(endpoint: Endpoint, responder: Responder, log: Logger) {
    super(endpoint, responder, log, 'UDP');
    const type = endpoint.family === 6 ? 'udp6' : 'udp4';
    this.socket = dgram.createSocket({ type, ipv6Only: endpoint.family === 6, lookup: literalLookup });
    this.socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
  }

  protected bind(bound: () => void): void {
    this.socket.bind(this.endpoint.port, this.endpoint.host, bound);
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    // Port 0 cannot be answered (and dgram throws on it): such a datagram is dropped.
    if (!this.accepting || rinfo.port === 0) return;
    const reply = this.responder.answer(msg, 'udp', rinfo);
    if (Buffer.isBuffer(reply)) this.send(reply, rinfo);
    else if (reply !== null) reply.then((r) => r && this.send(r, rinfo), (err: unknown) => this.log.error({ err }, 'UDP answer failed'));
  }

  private send(reply: Buffer, rinfo: dgram.RemoteInfo): void {
    // No callback: Node then tries a synchronous send first (uv_udp_try_send), which saves a
    // trip through the event loop per answer; errors still reach the socket's 'error' listener.
    if (this.closed) return;
    try {
      this.socket.send(reply, rinfo.port, rinfo.address);
    } catch (err) {
      this.log.debug({ err: (err as Error).message, to: rinfo.address }, 'UDP reply not sent');
    }
  }

  /** Answers still being computed are discarded. */
  protected shutdown(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve(); // never bound
      }
    });
  }
}

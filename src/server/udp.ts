// A UDP listener: one socket per listen address, with the receive and send buffer sizes asked of
// the kernel; each datagram is answered independently.
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

/** Socket buffer sizes to ask for, in bytes; 0 leaves the kernel's default. */
export interface UdpBuffers {
  readonly recv: number;
  readonly send: number;
}

export class UdpListener extends Listener {
  protected readonly socket: dgram.Socket;
  /** Queries taken here whose answer is not sent yet. */
  private inFlight = 0;

  constructor(endpoint: Endpoint, responder: Responder, log: Logger, bufs: UdpBuffers = { recv: 0, send: 0 }, now: () => number = Date.now) {
    super(endpoint, responder, log, 'UDP', now);
    const type = endpoint.family === 6 ? 'udp6' : 'udp4';
    this.socket = dgram.createSocket({
      type,
      ipv6Only: endpoint.family === 6,
      lookup: literalLookup,
      // Applied by dgram when the socket is bound.
      ...(bufs.recv > 0 ? { recvBufferSize: bufs.recv } : {}),
      ...(bufs.send > 0 ? { sendBufferSize: bufs.send } : {}),
    });
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
    else if (reply !== null) {
      this.inFlight++;
      reply.then(
        (r) => {
          if (r) this.send(r, rinfo);
          this.done();
        },
        (err: unknown) => {
          this.throttled.error({ err }, 'UDP answer failed');
          this.done();
        },
      );
    }
  }

  /**
   * New sizes for a bound socket (a reload); 0 leaves the size as it is. A failure (the kernel
   * refuses) is logged and changes nothing.
   */
  setBuffers(bufs: UdpBuffers): void {
    if (this.closed) return;
    try {
      if (bufs.recv > 0) this.socket.setRecvBufferSize(bufs.recv);
      if (bufs.send > 0) this.socket.setSendBufferSize(bufs.send);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'UDP socket buffer sizes not changed');
    }
  }

  /** The sizes the kernel granted (Linux reports twice what it was asked, capped at twice net.core.rmem_max / wmem_max). */
  bufferSizes(): UdpBuffers {
    try {
      return { recv: this.socket.getRecvBufferSize(), send: this.socket.getSendBufferSize() };
    } catch {
      return { recv: 0, send: 0 }; // not bound
    }
  }

  private done(): void {
    this.inFlight--;
    this.settled();
  }

  busy(): boolean {
    return this.inFlight > 0;
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

  /** Answers still being computed are discarded (wait for idle() first to send them). */
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

// One client TCP connection (RFC 7766): queries are answered concurrently, up to a limit, and
// written as they complete. A client that sends without reading is not read from until its answers
// drain (§6.2.3 resource limits); the idle timeout runs only while nothing is outstanding.
import type net from 'node:net';
import type { Logger } from '../log.js';
import { HEADER_SIZE } from '../wire/header.js';
import { FrameReader, frame } from '../wire/framing.js';
import type { Client } from './admission.js';
import type { Responder } from './responder.js';

/** Queries of one connection being answered at once; more wait, unread, in the socket. */
const MAX_PENDING_PER_CONNECTION = 100;
/** Bytes of answers queued for a client before we stop reading its queries. */
const WRITE_HIGH_WATER = 256 * 1024;

export class TcpConnection {
  private readonly reader = new FrameReader();
  /** Complete queries not yet handed to the responder (we are at a limit). */
  private readonly waiting: Buffer[] = [];
  private pending = 0;
  private ended = false;
  private reading = true;

  constructor(
    private readonly socket: net.Socket,
    private readonly client: Client,
    private readonly responder: Responder,
    private idleTimeoutMs: number,
    private readonly log: Logger,
    /** Called each time an answer is done (written or not). */
    private readonly onSettled: () => void = () => {},
  ) {
    socket.setNoDelay(true);
    // setTimeout(ms, callback) would listen once; the idle check must run at every timeout.
    socket.setTimeout(idleTimeoutMs);
    socket.on('timeout', () => this.onIdle());
    socket.on('error', (err) => this.log.debug({ err: err.message }, 'TCP connection error'));
    socket.on('end', () => {
      this.ended = true;
      this.finishIfDone();
    });
    socket.on('drain', () => this.dispatch());
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  setIdleTimeout(ms: number): void {
    this.idleTimeoutMs = ms;
    this.socket.setTimeout(ms);
  }

  /** Whether answers of this connection are still being computed. */
  get busy(): boolean {
    return this.pending > 0;
  }

  /** Reads no more queries (shutdown); answers in flight still go out. */
  stopReading(): void {
    this.reading = false;
    this.waiting.length = 0;
  }

  /** Ends the connection once written data is flushed, or destroys it after `flushMs`. */
  close(flushMs: number): void {
    this.stopReading();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), flushMs).unref();
  }

  private onData(chunk: Buffer): void {
    if (!this.reading) return;
    for (const msg of this.reader.push(chunk)) {
      if (msg.length < HEADER_SIZE) {
        this.log.debug({ bytes: msg.length }, 'TCP frame shorter than a header: closing connection');
        this.socket.destroy();
        return;
      }
      this.waiting.push(msg);
    }
    this.dispatch();
  }

  /** Hands waiting queries to the responder while under the limits; pauses reading when over. */
  private dispatch(): void {
    while (this.waiting.length > 0 && this.pending < MAX_PENDING_PER_CONNECTION && !this.writeBlocked()) {
      this.answer(this.waiting.shift()!);
    }
    const saturated = this.waiting.length > 0 || this.pending >= MAX_PENDING_PER_CONNECTION || this.writeBlocked();
    // pause() and resume() do nothing when the socket is already paused or flowing.
    if (saturated) this.socket.pause();
    else if (this.reading) this.socket.resume();
  }

  private writeBlocked(): boolean {
    return this.socket.writableLength > WRITE_HIGH_WATER;
  }

  private answer(msg: Buffer): void {
    this.pending++;
    Promise.resolve(this.responder.answer(msg, 'tcp', this.client))
      .then((reply) => {
        if (reply && this.socket.writable) this.socket.write(frame(reply));
      })
      .catch((err: unknown) => this.log.error({ err }, 'TCP answer failed'))
      .finally(() => {
        // Re-arms the idle clock when the last answer is done, written or not (a dropped message).
        if (--this.pending === 0) this.socket.setTimeout(this.idleTimeoutMs);
        this.dispatch();
        this.finishIfDone();
        this.onSettled();
      });
  }

  /** RFC 7766 §6.2.3: a connection is idle only when no query is outstanding. */
  private onIdle(): void {
    if (this.pending === 0) this.socket.destroy();
    // Otherwise writing the answer counts as activity and restarts the idle clock.
  }

  private finishIfDone(): void {
    if (this.ended && this.pending === 0 && this.waiting.length === 0) this.socket.end();
  }
}

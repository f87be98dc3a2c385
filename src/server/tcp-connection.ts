// One client TCP connection (RFC 7766): queries are answered concurrently, up to a limit, and
// written as they complete. A client that sends without reading is not read from until its answers
// drain (§6.2.3 resource limits); the idle timeout runs only while nothing is outstanding, and a
// message must be complete within its own deadline once its first byte arrived (§6.2.2: a client
// trickling bytes cannot keep a connection by sending one now and then).
import type net from 'node:net';
import type { Logger } from '../log.js';
import type { ThrottledLog } from '../log-throttle.js';
import { HEADER_SIZE } from '../wire/header.js';
import { FrameReader, frame } from '../wire/framing.js';
import type { Client } from './admission.js';
import type { Responder } from './responder.js';

/** Queries of one connection being answered at once; more wait, unread, in the socket. */
const MAX_PENDING_PER_CONNECTION = 100;
/** Bytes of answers queued for a client before we stop reading its queries. */
const WRITE_HIGH_WATER = 256 * 1024;

export interface ConnectionTimeouts {
  readonly idleTimeoutMs: number;
  /** From a message's first byte to its last. */
  readonly messageTimeoutMs: number;
}

/** Orders connections by their last activity (no clock needed). */
let activitySeq = 0;

export class TcpConnection {
  private readonly reader = new FrameReader();
  /** Complete queries not yet handed to the responder (we are at a limit). */
  private readonly waiting: Buffer[] = [];
  private pending = 0;
  private ended = false;
  private reading = true;
  private messageTimer: NodeJS.Timeout | undefined;
  /** Greater for a connection active more recently: the smallest idle one is closed first. */
  lastActivity = ++activitySeq;

  constructor(
    private readonly socket: net.Socket,
    readonly client: Client,
    private readonly responder: Responder,
    private timeouts: ConnectionTimeouts,
    private readonly log: Logger,
    /** The listener's lines a client can trigger (a failed answer), a line a minute per kind. */
    private readonly throttled: ThrottledLog,
    /** Called when the connection is closed because a message did not arrive whole in time. */
    private readonly onMessageTimeout: () => void = () => {},
    /** Called each time an answer is done (written or not). */
    private readonly onSettled: () => void = () => {},
  ) {
    socket.setNoDelay(true);
    // setTimeout(ms, callback) would listen once; the idle check must run at every timeout.
    socket.setTimeout(timeouts.idleTimeoutMs);
    socket.on('timeout', () => this.onIdle());
    socket.on('error', (err) => this.log.debug({ err: err.message }, 'TCP connection error'));
    socket.on('end', () => {
      this.ended = true;
      this.finishIfDone();
    });
    socket.on('close', () => this.stopMessageTimer());
    socket.on('drain', () => this.dispatch());
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  /** New timeouts (a reload): the idle one at once, the message one from the next message on. */
  setTimeouts(timeouts: ConnectionTimeouts): void {
    this.timeouts = timeouts;
    this.socket.setTimeout(timeouts.idleTimeoutMs);
  }

  /** No query in progress, none waiting, no partial message: closing it loses nothing. */
  get idle(): boolean {
    return this.pending === 0 && this.waiting.length === 0 && this.reader.buffered === 0 && !this.socket.destroyed;
  }

  /** Closes the connection at once (it is idle: nothing is lost). */
  destroy(): void {
    this.socket.destroy();
  }

  /** Whether answers of this connection are still being computed. */
  get busy(): boolean {
    return this.pending > 0;
  }

  /** Reads no more queries (shutdown); answers in flight still go out. */
  stopReading(): void {
    this.reading = false;
    this.waiting.length = 0;
    this.stopMessageTimer();
  }

  /** Ends the connection once written data is flushed, or destroys it after `flushMs`. */
  close(flushMs: number): void {
    this.stopReading();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), flushMs).unref();
  }

  private onData(chunk: Buffer): void {
    if (!this.reading) return;
    this.lastActivity = ++activitySeq;
    const wasPartial = this.reader.buffered > 0;
    const messages = this.reader.push(chunk);
    for (const msg of messages) {
      if (msg.length < HEADER_SIZE) {
        this.log.debug({ bytes: msg.length }, 'TCP frame shorter than a header: closing connection');
        this.socket.destroy();
        return;
      }
      this.waiting.push(msg);
    }
    // The deadline runs from a message's first byte: restarted when this chunk began a new message.
    if (this.reader.buffered === 0) this.stopMessageTimer();
    else if (!wasPartial || messages.length > 0) this.startMessageTimer();
    this.dispatch();
  }

  private startMessageTimer(): void {
    this.stopMessageTimer();
    this.messageTimer = setTimeout(() => this.onMessageDeadline(), this.timeouts.messageTimeoutMs);
    this.messageTimer.unref();
  }

  private stopMessageTimer(): void {
    clearTimeout(this.messageTimer);
    this.messageTimer = undefined;
  }

  private onMessageDeadline(): void {
    this.messageTimer = undefined;
    if (!this.reading || this.socket.destroyed) return;
    // We stopped reading (the client's answers or queries are backed up): the rest may be waiting
    // in the socket, unread by us. Not the client's fault: wait another period.
    if (this.socket.isPaused()) return this.startMessageTimer();
    this.onMessageTimeout();
    this.socket.destroy();
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
      .catch((err: unknown) => this.throttled.error({ err }, 'TCP answer failed'))
      .finally(() => {
        this.lastActivity = ++activitySeq;
        // Re-arms the idle clock when the last answer is done, written or not (a dropped message).
        if (--this.pending === 0) this.socket.setTimeout(this.timeouts.idleTimeoutMs);
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

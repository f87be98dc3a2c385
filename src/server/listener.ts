// The life cycle every listener shares: bind (a failure becomes one line an operator can act on),
// stop accepting new queries (shutdown, or a reload that removes the address) while answers in
// flight still go out, tell when none is left, close once. What a client's packets or connections
// can make a listener log goes through its ThrottledLog: a line a minute per kind at most.
import type { EventEmitter } from 'node:events';
import type { Endpoint } from '../address.js';
import type { Logger } from '../log.js';
import { ThrottledLog } from '../log-throttle.js';
import { bindError } from './bind.js';
import type { Responder } from './responder.js';

export abstract class Listener {
  protected accepting = true;
  protected closed = false;
  private readonly idleWaiters: (() => void)[] = [];
  /** Lines a client can trigger: the first of a kind, then one a minute with the count. */
  protected readonly throttled: ThrottledLog;

  constructor(
    readonly endpoint: Endpoint,
    protected readonly responder: Responder,
    protected readonly log: Logger,
    private readonly proto: 'UDP' | 'TCP',
    now: () => number = Date.now,
  ) {
    this.throttled = new ThrottledLog(log, now);
  }

  /** Binds the endpoint; rejects with a DnsfwdError saying what failed and what to do. */
  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(bindError(err, this.endpoint, this.proto));
      this.socket.once('error', onError);
      this.bind(() => {
        this.socket.off('error', onError);
        // A send to a client can fail (ENOBUFS, EPERM from a firewall): as often as the client asks.
        this.socket.on('error', (err: NodeJS.ErrnoException) => {
          const msg = `${this.proto} socket error`;
          this.throttled.warn({ err }, msg, `${msg} ${err.code ?? err.message}`);
        });
        resolve();
      });
    });
  }

  /** Ignores new queries; answers to those in flight still go out until close(). */
  stopAccepting(): void {
    this.accepting = false;
  }

  /** Takes new queries again (a retiring listener whose address a reload lists again). */
  resumeAccepting(): void {
    if (!this.closed) this.accepting = true;
  }

  /** Whether answers are still being computed or written here. */
  abstract busy(): boolean;

  /** Resolves once nothing is in flight here (at once if nothing is). */
  idle(): Promise<void> {
    if (!this.busy()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Called by the transport when an answer is done: wakes idle() once nothing is left. */
  protected settled(): void {
    if (this.idleWaiters.length > 0 && !this.busy()) this.idleWaiters.splice(0).forEach((wake) => wake());
  }

  /** Closes the socket (what that means for answers still being computed is the transport's). Idempotent. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.accepting = false;
    return this.shutdown();
  }

  /** The socket or server whose 'error' events a bind failure arrives as. */
  protected abstract readonly socket: EventEmitter;
  protected abstract bind(bound: () => void): void;
  protected abstract shutdown(): Promise<void>;
}

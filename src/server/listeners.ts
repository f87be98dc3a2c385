// Turns `listen:` and the `server:` section into the UDP and TCP listeners of every address,
// opened all-or-nothing, kept or swapped on reload, drained on shutdown; they share one Responder.
import { formatEndpoint, sameEndpoint, type Endpoint } from '../address.js';
import { isDnsfwdError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { ClientPolicy } from './admission.js';
import type { ListenerConfig } from './config.js';
import { Responder, type ResponderOptions } from './responder.js';
import { TcpListener, type TcpOptions } from './tcp.js';
import { UdpListener } from './udp.js';

interface Pair {
  readonly endpoint: Endpoint;
  readonly udp: UdpListener;
  readonly tcp: TcpListener;
}

export class Listeners {
  private pairs: Pair[] = [];
  private readonly responder: Responder;
  private readonly log: Logger;

  /**
   * `log` is the daemon's: the listeners and the responder take child loggers of their own.
   * `policy` decides which clients are answered (admission.ts).
   */
  constructor(pipeline: Pipeline, config: ListenerConfig, log: Logger, policy: ClientPolicy) {
    this.responder = new Responder(pipeline, responderOptions(config), log.child({ component: 'server' }), policy);
    this.log = log.child({ component: 'listener' });
  }

  endpoints(): Endpoint[] {
    return this.pairs.map((p) => p.endpoint);
  }

  /**
   * Listens on exactly `config.listen` (keeping sockets already open there) with its limits.
   * Throws the first bind error and leaves the previous set untouched; `::1` on a host without
   * IPv6 is skipped with a warning.
   */
  async apply(config: ListenerConfig): Promise<void> {
    const wanted = config.listen;
    const tcp = tcpOptions(config);
    const kept = this.pairs.filter((p) => wanted.some((w) => sameEndpoint(w, p.endpoint)));
    const opened: Pair[] = [];
    try {
      for (const e of wanted) {
        if (kept.some((p) => sameEndpoint(p.endpoint, e))) continue;
        const pair = await this.open(e, tcp, wanted.length - 1 + kept.length > 0);
        if (pair) opened.push(pair);
      }
    } catch (err) {
      await Promise.all(opened.map(closePair));
      throw err;
    }
    const removed = this.pairs.filter((p) => !kept.includes(p));
    for (const p of kept) p.tcp.setOptions(tcp);
    this.pairs = [...kept, ...opened];
    this.responder.setOptions(responderOptions(config));
    await Promise.all(removed.map(closePair));
  }

  private async open(e: Endpoint, tcpOpts: TcpOptions, othersExist: boolean): Promise<Pair | null> {
    const log = this.log.child({ listen: formatEndpoint(e) });
    const udp = new UdpListener(e, this.responder, log);
    const tcp = new TcpListener(e, this.responder, tcpOpts, log);
    try {
      await udp.listen();
      await tcp.listen();
      return { endpoint: e, udp, tcp };
    } catch (err) {
      await Promise.all([udp.close(), tcp.close()]);
      if (e.host === '::1' && othersExist && isDnsfwdError(err, 'BIND_UNAVAILABLE')) {
        this.log.warn({ listen: formatEndpoint(e) }, 'no IPv6 on this host: not listening on ::1');
        return null;
      }
      throw err;
    }
  }

  /** Stops taking new queries everywhere; answers in flight still go out. */
  stopAccepting(): void {
    for (const p of this.pairs) {
      p.udp.stopAccepting();
      p.tcp.stopAccepting();
    }
  }

  /** Resolves when no query is in flight any more, or after `ms`. */
  drain(ms: number): Promise<void> {
    return this.responder.drain(ms);
  }

  async close(): Promise<void> {
    const pairs = this.pairs;
    this.pairs = [];
    await Promise.all(pairs.map(closePair));
  }
}

function closePair(p: Pair): Promise<unknown> {
  return Promise.all([p.udp.close(), p.tcp.close()]);
}

function responderOptions(c: ListenerConfig): ResponderOptions {
  return { deadlineMs: c.upstream.deadlineMs, udpMaxSize: c.server.udpMaxSize };
}

function tcpOptions(c: ListenerConfig): TcpOptions {
  return { idleTimeoutMs: c.server.tcpIdleTimeoutMs, maxConnections: c.server.tcpMaxConnections };
}

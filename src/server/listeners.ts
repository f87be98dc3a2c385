// Turns `listen:` and the `server:` section into the UDP and TCP listeners of every address: the
// plain addresses opened all-or-nothing, kept or swapped on reload; the watched entries (an
// interface's addresses, an optional address) opened when the host has the address and closed when
// it goes, a failed bind retried on every read of the host's addresses. A listener a reload (or the
// host) takes away stops taking queries, answers those in flight, then closes; all are drained on
// shutdown. They share one Responder.
import { formatEndpoint, sameEndpoint, type Endpoint, type WatchedListen } from '../address.js';
import { isDnsfwdError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { ClientPolicy } from './admission.js';
import { describeListenEntry, type ListenerConfig } from './config.js';
import { HostAddresses, watchedEndpoints, type WatchedEndpoint } from './host-addresses.js';
import { Responder, type ResponderOptions } from './responder.js';
import type { RequestSnapshot } from '../metrics/requests.js';
import type { Listener } from './listener.js';
import { TcpListener, type TcpOptions } from './tcp.js';
import { type UdpBuffers, UdpListener } from './udp.js';

interface Pair {
  readonly endpoint: Endpoint;
  readonly udp: UdpListener;
  readonly tcp: TcpListener;
}

/** A pair opened for a watched entry, and the interface that has its address. */
interface WatchedPair extends Pair {
  readonly interface: string;
}

/** What to do about a watched endpoint that cannot be bound, by the bind error's code. */
const RETRY_ADVICE: Readonly<Record<string, string>> = {
  BIND_DENIED:
    'a port below 1024 needs CAP_NET_BIND_SERVICE, and dnsfwd has dropped root (user:) after binding its ' +
    'other addresses; the systemd unit and the OpenRC script keep CAP_NET_BIND_SERVICE as an ambient ' +
    'capability so that such binds work; otherwise use a port of 1024 or above',
  BIND_UNAVAILABLE: 'an IPv6 address is not usable until duplicate address detection is over (tentative)',
  BIND_IN_USE: 'another program listens there (a DNS server on the bridge?): stop it or choose another port',
};

export class Listeners {
  /** The plain `listen:` addresses. */
  private pairs: Pair[] = [];
  /** The watched endpoints bound now, by formatEndpoint. */
  private readonly watchedPairs = new Map<string, WatchedPair>();
  /** Watched endpoints whose bind failed, by formatEndpoint: the error code logged (once). */
  private readonly failed = new Map<string, string>();
  private watched: readonly WatchedListen[] = [];
  private required: readonly Endpoint[] = [];
  private tcpOpts: TcpOptions;
  private udpBufs: UdpBuffers;
  /** The buffer sizes whose outcome was logged last (logged again when they change). */
  private loggedBufs: string | null = null;
  /**
   * Listeners no longer listed (a reload, or a watched address gone): they take no new query and
   * close once their answers in flight are out, or after the query deadline; each with the function
   * that ends its wait (a later retirement replaces it; a retiring UDP socket can be taken back by a
   * reload, and close() ends every wait at once).
   */
  private readonly retiring = new Map<Listener, () => void>();
  private retireMs: number;
  private unsubscribe: (() => void) | null = null;
  /** apply() and the reconciliations run one at a time, in order. */
  private lock: Promise<unknown> = Promise.resolve();
  private syncDone: Promise<void> = Promise.resolve();
  private syncQueued = false;
  private accepting = true;
  private readonly responder: Responder;
  private readonly log: Logger;
  /**
   * The host's interface addresses (with their CIDR), read once a second while a watched entry
   * is configured or anyone else subscribes: `hosts.current()`, `hosts.onChange(cb)`.
   */
  readonly hosts: HostAddresses;

  /**
   * `log` is the daemon's: the listeners and the responder take child loggers of their own.
   * `policy` decides which clients are answered (admission.ts).
   */
  constructor(pipeline: Pipeline, config: ListenerConfig, log: Logger, policy: ClientPolicy, hosts?: HostAddresses) {
    this.responder = new Responder(pipeline, responderOptions(config), log.child({ component: 'server' }), policy);
    this.log = log.child({ component: 'listener' });
    this.hosts = hosts ?? new HostAddresses(this.log);
    this.tcpOpts = tcpOptions(config);
    this.udpBufs = udpBuffers(config);
    this.retireMs = retireMs(config);
  }

  /** What the responder counted since start: queries read, replies sent (the metrics). */
  requestCounts(): RequestSnapshot {
    return this.responder.counters.snapshot();
  }

  /** Every endpoint listened on now: the plain addresses, then the watched ones bound at this moment. */
  endpoints(): Endpoint[] {
    return [...this.pairs.map((p) => p.endpoint), ...[...this.watchedPairs.values()].map((p) => p.endpoint)];
  }

  /**
   * Listens on exactly `config.listen` (keeping sockets already open there) with its limits.
   * Throws the first bind error and leaves the previous set untouched; `::1` on a host without
   * IPv6 is skipped with a warning. Then follows `config.listenWatched`: binds what the host has
   * now (a failure there is logged, never thrown) and watches for the rest.
   */
  async apply(config: ListenerConfig): Promise<void> {
    await this.exclusive(() => this.applyPlain(config));
    await this.sync();
  }

  private async applyPlain(config: ListenerConfig): Promise<void> {
    const wanted = config.listen;
    const tcp = tcpOptions(config);
    const kept = this.pairs.filter((p) => wanted.some((w) => sameEndpoint(w, p.endpoint)));
    // A plain address now that was bound as a watched one: its sockets move over (a second bind would fail).
    const adopted = wanted
      .filter((e) => !kept.some((p) => sameEndpoint(p.endpoint, e)))
      .flatMap((e) => this.watchedPairs.get(formatEndpoint(e)) ?? []);
    const bufs = udpBuffers(config);
    const opened: Pair[] = [];
    try {
      for (const e of wanted) {
        if ([...kept, ...adopted].some((p) => sameEndpoint(p.endpoint, e))) continue;
        const pair = (await this.reclaim(e, tcp)) ?? (await this.open(e, tcp, bufs, wanted.length - 1 + kept.length > 0));
        if (pair) opened.push(pair);
      }
    } catch (err) {
      await Promise.all(opened.map((p) => this.retire(p)));
      throw err;
    }
    for (const p of adopted) this.watchedPairs.delete(formatEndpoint(p.endpoint));
    const removed = this.pairs.filter((p) => !kept.includes(p));
    for (const p of [...kept, ...adopted, ...this.watchedPairs.values()]) {
      p.tcp.setOptions(tcp);
      p.udp.setBuffers(bufs);
    }
    this.pairs = [...kept, ...adopted, ...opened];
    this.required = wanted;
    this.tcpOpts = tcp;
    this.udpBufs = bufs;
    this.retireMs = retireMs(config);
    this.responder.setOptions(responderOptions(config));
    this.logBuffers();
    await this.retireAll(removed);
    this.watch(config.listenWatched);
  }

  /**
   * Stops taking queries on `pairs`, and closes them once their answers in flight are out (or after
   * the query deadline). Resolves when those that had nothing in flight are closed; the others
   * close in the background.
   */
  private async retireAll(pairs: readonly Pair[]): Promise<void> {
    const idle = pairs.filter((p) => !p.udp.busy() && !p.tcp.busy());
    const busy = pairs.filter((p) => !idle.includes(p));
    if (busy.length > 0) {
      this.log.info({ listen: busy.map((p) => formatEndpoint(p.endpoint)) }, 'not listed any more: answering the queries in flight, then closing');
    }
    for (const p of busy) {
      void this.retire(p).then(([udpClosed]) => {
        if (udpClosed) this.log.info({ listen: formatEndpoint(p.endpoint) }, 'answered its last queries: closed');
      });
    }
    await Promise.all(idle.map((p) => this.retire(p)));
  }

  /** One pair: see retireAll. Resolves when both of its listeners are closed or taken back: whether each was closed. */
  private retire(p: Pair): Promise<[boolean, boolean]> {
    return Promise.all([this.retireOne(p.udp), this.retireOne(p.tcp)]);
  }

  private async retireOne(l: Listener): Promise<boolean> {
    l.stopAccepting();
    let wake = () => {};
    const waited = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.retireMs);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.retiring.set(l, wake);
    await Promise.race([l.idle(), waited]);
    wake();
    if (this.retiring.get(l) !== wake) return false; // taken back, or closed by close()
    this.retiring.delete(l);
    await l.close();
    return true;
  }

  /**
   * The endpoint listed again while its UDP socket is still answering its last queries: that socket
   * takes queries again (binding a second one would fail), with a new TCP listener beside it (the
   * old one's server is closed; its connections finish on their own).
   */
  private async reclaim(e: Endpoint, tcpOpts: TcpOptions): Promise<Pair | null> {
    const udp = [...this.retiring.keys()].find((l): l is UdpListener => l instanceof UdpListener && sameEndpoint(l.endpoint, e));
    if (!udp) return null;
    const tcp = new TcpListener(e, this.responder, tcpOpts, this.log.child({ listen: formatEndpoint(e) }));
    try {
      await tcp.listen();
    } catch (err) {
      await tcp.close();
      throw err;
    }
    this.retiring.get(udp)?.();
    this.retiring.delete(udp);
    udp.resumeAccepting();
    udp.setBuffers(this.udpBufs);
    return { endpoint: e, udp, tcp };
  }

  /** Logs the UDP buffer sizes the kernel granted against those asked, when they are new. */
  private logBuffers(): void {
    const key = `${this.udpBufs.recv}/${this.udpBufs.send}`;
    const udp = [...this.pairs, ...this.watchedPairs.values()][0]?.udp;
    if (!udp || this.loggedBufs === key) return;
    this.loggedBufs = key;
    const granted = udp.bufferSizes();
    const asked = this.udpBufs;
    if (asked.recv === 0 && asked.send === 0) {
      this.log.info({ recv: granted.recv, send: granted.send }, 'UDP socket buffers: the kernel defaults');
      return;
    }
    // Linux grants twice the size asked for (room for its bookkeeping), capped at twice the sysctl:
    // less than twice means the cap cut it down.
    const short = (asked.recv > 0 && granted.recv < 2 * asked.recv) || (asked.send > 0 && granted.send < 2 * asked.send);
    const fields = { askedRecv: asked.recv, grantedRecv: granted.recv, askedSend: asked.send, grantedSend: granted.send };
    if (short) {
      this.log.warn(
        { ...fields, advice: `raise the kernel's caps: sysctl -w net.core.rmem_max=${asked.recv} net.core.wmem_max=${asked.send}` },
        'UDP socket buffers smaller than asked: bursts may be dropped by the kernel',
      );
    } else {
      this.log.info(fields, 'UDP socket buffers');
    }
  }

  /** Reads the host's addresses now, and binds and closes the watched endpoints to match; resolves when done. */
  refresh(): Promise<void> {
    this.hosts.poll();
    return this.sync();
  }

  /** Makes `watched` the entries followed, reading the host's addresses while there is one. */
  private watch(watched: readonly WatchedListen[]): void {
    const changed = watched.length !== this.watched.length || watched.some((w, i) => describeListenEntry(w) !== describeListenEntry(this.watched[i]!));
    this.watched = watched;
    if (changed && watched.length > 0) {
      this.log.info({ watch: watched.map(describeListenEntry) }, 'listening on these while the host has their addresses');
    }
    if (watched.length > 0 && this.unsubscribe === null && this.accepting) {
      this.unsubscribe = this.hosts.onPoll(() => void this.sync());
    } else if (watched.length === 0) {
      this.stopWatching();
    }
  }

  private stopWatching(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** Runs `fn` after everything queued before it. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Queues a reconciliation; a request while one is queued is folded into it. */
  private sync(): Promise<void> {
    if (!this.syncQueued) {
      this.syncQueued = true;
      this.syncDone = this.exclusive(() => {
        this.syncQueued = false;
        return this.reconcile();
      }).catch((err: unknown) => this.log.error({ err }, 'following the watched listen addresses failed'));
    }
    return this.syncDone;
  }

  /** Closes the watched endpoints the host no longer has (or the config no longer names), binds the new ones. */
  private async reconcile(): Promise<void> {
    const addresses = this.watched.length > 0 ? this.hosts.current() : [];
    const wanted = watchedEndpoints(this.watched, addresses).filter((w) => !this.coveredByPlain(w.endpoint));
    const keys = new Set(wanted.map((w) => formatEndpoint(w.endpoint)));
    for (const [key, p] of [...this.watchedPairs]) {
      if (keys.has(key)) continue;
      this.watchedPairs.delete(key);
      const stillThere = addresses.some((a) => a.address === p.endpoint.host);
      const msg = stillThere ? 'listen entry removed: stopped listening' : 'address gone: stopped listening';
      this.log.info({ listen: key, interface: p.interface }, msg);
      await this.retireAll([p]);
    }
    for (const key of [...this.failed.keys()]) if (!keys.has(key)) this.failed.delete(key);
    for (const w of wanted) {
      if (!this.accepting) return;
      if (!this.watchedPairs.has(formatEndpoint(w.endpoint))) await this.openWatched(w);
    }
  }

  /** Binds a watched endpoint; a failure is logged once per reason, and tried again on the next read. */
  private async openWatched(w: WatchedEndpoint): Promise<void> {
    const key = formatEndpoint(w.endpoint);
    const log = this.log.child({ listen: key });
    let udp: UdpListener;
    let tcp: TcpListener;
    try {
      const reclaimed = await this.reclaim(w.endpoint, this.tcpOpts);
      udp = reclaimed?.udp ?? new UdpListener(w.endpoint, this.responder, log, this.udpBufs);
      tcp = reclaimed?.tcp ?? new TcpListener(w.endpoint, this.responder, this.tcpOpts, log);
      if (!reclaimed) await listenPair(udp, tcp);
    } catch (err) {
      const code = isDnsfwdError(err) ? err.code : 'BIND_FAILED';
      if (this.failed.get(key) !== code) {
        const advice = RETRY_ADVICE[code];
        this.log.warn(
          { listen: key, interface: w.interface, reason: (err as Error).message, ...(advice ? { advice } : {}) },
          'address appeared but cannot be listened on: retrying every second',
        );
      }
      this.failed.set(key, code);
      return;
    }
    this.failed.delete(key);
    this.watchedPairs.set(key, { endpoint: w.endpoint, udp, tcp, interface: w.interface });
    this.log.info({ listen: key, interface: w.interface }, 'address appeared: listening');
  }

  /** A plain listen address is this endpoint, or a wildcard of its family on its port. */
  private coveredByPlain(e: Endpoint): boolean {
    const wildcard = e.family === 6 ? '::' : '0.0.0.0';
    return this.required.some((r) => r.port === e.port && (r.host === e.host || r.host === wildcard));
  }

  private async open(e: Endpoint, tcpOpts: TcpOptions, bufs: UdpBuffers, othersExist: boolean): Promise<Pair | null> {
    const log = this.log.child({ listen: formatEndpoint(e) });
    const udp = new UdpListener(e, this.responder, log, bufs);
    const tcp = new TcpListener(e, this.responder, tcpOpts, log);
    try {
      await listenPair(udp, tcp);
      return { endpoint: e, udp, tcp };
    } catch (err) {
      if (e.host === '::1' && othersExist && isDnsfwdError(err, 'BIND_UNAVAILABLE')) {
        this.log.warn({ listen: formatEndpoint(e) }, 'no IPv6 on this host: not listening on ::1');
        return null;
      }
      throw err;
    }
  }

  /** Stops taking new queries everywhere, and stops following the host's addresses; answers in flight still go out. */
  stopAccepting(): void {
    this.accepting = false;
    this.stopWatching();
    for (const p of [...this.pairs, ...this.watchedPairs.values()]) {
      p.udp.stopAccepting();
      p.tcp.stopAccepting();
    }
  }

  /** Resolves when no query is in flight any more, or after `ms`. */
  drain(ms: number): Promise<void> {
    return this.responder.drain(ms);
  }

  async close(): Promise<void> {
    this.accepting = false;
    this.stopWatching();
    await this.lock; // a bind under way finishes, and is closed below
    const pairs = [...this.pairs, ...this.watchedPairs.values()];
    const retiring = [...this.retiring.keys()];
    const waits = [...this.retiring.values()];
    this.pairs = [];
    this.watchedPairs.clear();
    this.retiring.clear();
    for (const wake of waits) wake(); // no timer left behind
    this.failed.clear();
    await Promise.all([...pairs.map(closePair), ...retiring.map((l) => l.close())]);
  }
}

/** Binds UDP, then TCP; on a failure closes both and rethrows. */
async function listenPair(udp: UdpListener, tcp: TcpListener): Promise<void> {
  try {
    await udp.listen();
    await tcp.listen();
  } catch (err) {
    await Promise.all([udp.close(), tcp.close()]);
    throw err;
  }
}

function closePair(p: Pair): Promise<unknown> {
  return Promise.all([p.udp.close(), p.tcp.close()]);
}

function responderOptions(c: ListenerConfig): ResponderOptions {
  return { deadlineMs: c.upstream.deadlineMs, udpMaxSize: c.server.udpMaxSize, logQueries: c.logQueries ?? false };
}

function udpBuffers(c: ListenerConfig): UdpBuffers {
  return { recv: c.server.udpRecvBuffer, send: c.server.udpSendBuffer };
}

/** How long a retiring listener may take: every query is answered by its deadline; then a little to write it. */
function retireMs(c: ListenerConfig): number {
  return c.upstream.deadlineMs + 500;
}

function tcpOptions(c: ListenerConfig): TcpOptions {
  const s = c.server;
  return {
    idleTimeoutMs: s.tcpIdleTimeoutMs,
    messageTimeoutMs: s.tcpMessageTimeoutMs,
    maxConnections: s.tcpMaxConnections,
    maxConnectionsPerClient: s.tcpMaxConnectionsPerClient,
  };
}

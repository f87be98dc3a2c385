// The host's interface addresses (host-interfaces.ts: os.networkInterfaces(), and the addresses of
// links without carrier it leaves out), read once a second while someone listens: a snapshot with each address's
// interface and CIDR, and a callback on every change (a bridge such as docker0 made after dnsfwd
// started, an address added or removed). And which endpoints the watched listen entries
// (`listen:` interfaces and optional addresses) stand for, given a snapshot.
import type { NetworkInterfaceInfo } from 'node:os';
import { canonicalIPv6, formatEndpoint, type Endpoint, type WatchedListen } from '../address.js';
import { readInterfaces } from '../host-interfaces.js';
import type { Logger } from '../log.js';

/** One address of one interface. */
export interface HostAddress {
  /** The interface's name, e.g. `docker0`. */
  readonly interface: string;
  /** The address, spelled as parseEndpoint spells it (`172.17.0.1`, `fd00::1`). */
  readonly address: string;
  readonly family: 4 | 6;
  /** The address with its prefix length, e.g. `172.17.0.1/16`: its directly connected subnet. */
  readonly cidr: string;
  /** Loopback. */
  readonly internal: boolean;
}

/** What os.networkInterfaces() returns; tests give their own. */
export type InterfaceReader = () => NodeJS.Dict<NetworkInterfaceInfo[]>;

export interface HostAddressesOptions {
  /** How often to read while someone listens (default 1000 ms). */
  readonly intervalMs?: number;
  readonly read?: InterfaceReader;
}

type ChangeListener = (now: readonly HostAddress[], before: readonly HostAddress[]) => void;
type PollListener = (now: readonly HostAddress[]) => void;

const DEFAULT_INTERVAL_MS = 1000;

/**
 * The host's addresses. current() is a snapshot; onChange() and onPoll() subscribe, and the timer
 * (unref'd: it never keeps the process alive) runs only while there is a subscriber. A read that
 * fails keeps the last snapshot, with one warning until a read succeeds again.
 */
export class HostAddresses {
  private snapshot: readonly HostAddress[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readFailed = false;
  private readonly changeListeners = new Set<ChangeListener>();
  private readonly pollListeners = new Set<PollListener>();
  private readonly intervalMs: number;
  private readonly read: InterfaceReader;

  constructor(
    private readonly log: Logger,
    options: HostAddressesOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.read = options.read ?? readInterfaces;
  }

  /** The addresses now: the last read while polling, else a fresh one. */
  current(): readonly HostAddress[] {
    if (this.timer === null) this.snapshot = this.readNow() ?? this.snapshot ?? [];
    return this.snapshot;
  }

  /** Calls `cb` after each read that differs from the one before; returns the function that unsubscribes. */
  onChange(cb: ChangeListener): () => void {
    return this.subscribe(this.changeListeners, cb);
  }

  /** Calls `cb` after every read, changed or not (to retry what failed); returns the function that unsubscribes. */
  onPoll(cb: PollListener): () => void {
    return this.subscribe(this.pollListeners, cb);
  }

  /** Reads now and tells the subscribers (what the timer does every interval). */
  poll(): void {
    const now = this.readNow();
    const before = this.snapshot;
    if (now !== null) this.snapshot = now;
    if (now !== null && !sameAddresses(now, before)) for (const cb of [...this.changeListeners]) cb(now, before);
    for (const cb of [...this.pollListeners]) cb(this.snapshot);
  }

  /** True while the timer runs. */
  get polling(): boolean {
    return this.timer !== null;
  }

  private subscribe<T>(set: Set<T>, cb: T): () => void {
    set.add(cb);
    if (this.timer === null) {
      this.snapshot = this.readNow() ?? this.snapshot; // what the first change is measured from
      this.timer = setInterval(() => this.poll(), this.intervalMs).unref();
    }
    return () => {
      set.delete(cb);
      if (this.changeListeners.size + this.pollListeners.size === 0) {
        clearInterval(this.timer ?? undefined);
        this.timer = null;
      }
    };
  }

  private readNow(): HostAddress[] | null {
    let raw: NodeJS.Dict<NetworkInterfaceInfo[]>;
    try {
      raw = this.read();
    } catch (err) {
      if (!this.readFailed) this.log.warn({ err: (err as Error).message }, "cannot read the host's interface addresses: keeping the last ones, retrying");
      this.readFailed = true;
      return null;
    }
    if (this.readFailed) this.log.info("the host's interface addresses can be read again");
    this.readFailed = false;
    return hostAddressesOf(raw);
  }
}

/** networkInterfaces()'s answer as HostAddresses, sorted (interface, then address). */
export function hostAddressesOf(raw: NodeJS.Dict<NetworkInterfaceInfo[]>): HostAddress[] {
  const out: HostAddress[] = [];
  for (const [name, infos] of Object.entries(raw)) {
    for (const i of infos ?? []) {
      // Node before 18.4 gave the family as a number.
      const family = i.family === 'IPv6' || (i.family as unknown) === 6 ? 6 : 4;
      const address = family === 6 ? canonicalIPv6(i.address) : i.address;
      const prefix = i.cidr === null ? (family === 6 ? 128 : 32) : i.cidr.slice(i.cidr.lastIndexOf('/') + 1);
      out.push({ interface: name, address, family, cidr: `${address}/${prefix}`, internal: i.internal });
    }
  }
  return out.sort((a, b) => compare(a.interface, b.interface) || compare(a.address, b.address) || compare(a.cidr, b.cidr));
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const addressKey = (a: HostAddress) => `${a.interface} ${a.cidr}`;

function sameAddresses(a: readonly HostAddress[], b: readonly HostAddress[]): boolean {
  return a.length === b.length && a.every((x, i) => addressKey(x) === addressKey(b[i]!));
}

/** A link-local IPv6 address (fe80::/10, as canonicalIPv6 spells it): it cannot be bound without its interface, and is never listened on. */
export function isLinkLocalIPv6(address: string): boolean {
  return /^fe[89ab]/.test(address); // an IPv4 address never starts with "fe"
}

/** An endpoint a watched listen entry stands for now, and the interface that has its address. */
export interface WatchedEndpoint {
  readonly endpoint: Endpoint;
  readonly interface: string;
}

/**
 * The endpoints `watched` stands for given the host's `addresses`: every IPv4 and non-link-local
 * IPv6 address of each named interface on its port, and each optional address the host has. An
 * endpoint named twice (an optional address that is also an interface's) counts once.
 */
export function watchedEndpoints(watched: readonly WatchedListen[], addresses: readonly HostAddress[]): WatchedEndpoint[] {
  const out = new Map<string, WatchedEndpoint>();
  const add = (a: HostAddress, port: number) => {
    const endpoint: Endpoint = { host: a.address, port, family: a.family };
    const key = formatEndpoint(endpoint);
    if (!out.has(key)) out.set(key, { endpoint, interface: a.interface });
  };
  for (const w of watched) {
    if (w.kind === 'interface') {
      for (const a of addresses) if (a.interface === w.name && !isLinkLocalIPv6(a.address)) add(a, w.port);
    } else {
      const a = addresses.find((x) => x.address === w.endpoint.host);
      if (a) add(a, w.endpoint.port);
    }
  }
  return [...out.values()];
}

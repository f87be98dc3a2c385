// What a source of upstream servers looks like to the rest of dnsfwd: it knows nothing about DNS
// packets, it only says "the servers (and the links' domains) are now [...]" through a 'change' event.
import type { EventEmitter } from 'node:events';
import type { Endpoint } from '../address.js';
import type { LeaseServers } from './lease-choice.js';

export interface ServerSource extends EventEmitter {
  /** Short description for logs, e.g. `dhclient:/var/lib/dhcp/dhclient*.leases`. */
  readonly name: string;
  /** Reads the current state and starts watching; resolves once the first read is done. */
  start(): Promise<void>;
  /** The last good list of servers (empty until something was read). */
  servers(): readonly Endpoint[];
  /** The current leases behind them, one per link, with the domains each link names. */
  leases(): readonly LeaseServers[];
  /** What the source gives now and since when, for `dnsfwd status`. */
  view(): SourceView;
  /** Idempotent; stops watching. */
  close(): Promise<void>;
}

/** A source as the operator sees it: where it reads, what it gives now, since when. */
export interface SourceView {
  /** As in logs: `KIND:PATH`. */
  readonly name: string;
  readonly kind: string;
  /** The configured path (a pattern with `*`, or a file). */
  readonly path: string;
  /** The files whose last good read it holds, in name order. */
  readonly files: readonly string[];
  /** When a read last changed what it gives (ms since the epoch); null until one gave anything. */
  readonly changedAt: number | null;
  readonly servers: readonly Endpoint[];
  /** The current leases, one per link, each with its file. */
  readonly leases: readonly LeaseServers[];
}

/** Event emitted with the new list whenever the servers change. */
export const SOURCE_CHANGE = 'change';

/** What the sources say now, together: the default route's servers, and each link's lease. */
export interface SourceState {
  readonly servers: readonly Endpoint[];
  /** Current leases; those naming domains route them to their own servers. */
  readonly links: readonly LeaseServers[];
}

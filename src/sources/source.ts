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
  /** Idempotent; stops watching. */
  close(): Promise<void>;
}

/** Event emitted with the new list whenever the servers change. */
export const SOURCE_CHANGE = 'change';

/** What the sources say now, together: the default route's servers, and each link's lease. */
export interface SourceState {
  readonly servers: readonly Endpoint[];
  /** Current leases; those naming domains route them to their own servers. */
  readonly links: readonly LeaseServers[];
}

// What a pure source parser (dhclient, dhcpcd, networkd, resolv.conf) hands to LeaseFileSource:
// the servers the file names, or why it names none. A value, never an exception.
import type { Endpoint } from '../address.js';

export type ParseOutcome =
  | {
      readonly ok: true;
      readonly servers: readonly Endpoint[];
      /** Values the parser skipped (bad address, bad date); logged once per distinct set. */
      readonly warnings?: readonly string[];
    }
  | { readonly ok: false; readonly reason: string };

/** Parses one file's contents; `now` decides which leases have expired. */
export type ParseFunction = (text: string, now: Date) => ParseOutcome;

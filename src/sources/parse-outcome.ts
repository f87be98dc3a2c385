// What a pure source parser (dhclient, dhcpcd, networkd, resolv.conf) hands to LeaseFileSource:
// the leases the file holds (servers per link, with their expiry), or why it holds none. A value,
// never an exception. The source chooses which leases are current (lease-choice.ts).
import type { LeaseServers } from './lease-choice.js';

export type ParseOutcome =
  | {
      readonly ok: true;
      /** In file order; the source picks the current one per link (lease-choice.ts). */
      readonly leases: readonly LeaseServers[];
      /** Values the parser skipped (bad address, bad date); logged once per distinct set. */
      readonly warnings?: readonly string[];
    }
  | { readonly ok: false; readonly reason: string };

/** Parses one file's contents. */
export type ParseFunction = (text: string) => ParseOutcome;

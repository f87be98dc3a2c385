// Creates the watcher for a configured source (only main.ts calls this): each kind of DHCP client
// file with its parser and the way its client writes it (DESIGN.md §4).
import type { SourceConfig, SourceKind } from '../config/types.js';
import type { Logger } from '../log.js';
import { LeaseFileSource, type LeaseFileOptions } from './lease-file.js';
import { dhclientOutcome } from './parsers/dhclient.js';
import { dhcpcdOutcome } from './parsers/dhcpcd.js';
import { networkdOutcome } from './parsers/networkd.js';
import { resolvConfOutcome } from './parsers/resolvconf.js';
import type { ServerSource } from './source.js';

type KindOptions = Pick<LeaseFileOptions, 'parse' | 'encoding' | 'forgetDeleted'>;

const KINDS: Readonly<Record<SourceKind, KindOptions>> = {
  // Appended to while open, rewritten in place: a vanished file keeps its last servers.
  dhclient: { parse: dhclientOutcome },
  // The raw DHCPACK: binary, one character per byte.
  dhcpcd: { parse: dhcpcdOutcome, encoding: 'latin1' },
  // Deleted when the link goes down: its servers go with it.
  networkd: { parse: networkdOutcome, forgetDeleted: true },
  resolvconf: { parse: resolvConfOutcome },
};

export function createSource(config: SourceConfig, log: Logger): ServerSource {
  return new LeaseFileSource({ ...KINDS[config.kind], path: config.path, kind: config.kind, optional: config.optional, logger: log });
}

export function sameSources(a: readonly SourceConfig[], b: readonly SourceConfig[]): boolean {
  return a.length === b.length && a.every((s, i) => s.kind === b[i]!.kind && s.path === b[i]!.path && s.optional === b[i]!.optional);
}

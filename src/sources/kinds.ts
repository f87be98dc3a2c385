// The table of source kinds: for each kind of DHCP client file, its parser and how its client
// writes it. Only the daemon's wiring creates sources, through createSource.
import type { Logger } from '../log.js';
import type { SourceConfig, SourceKind } from './config.js';
import { LeaseFileSource, type LeaseFileOptions } from './lease-file.js';
import { parseDhclient } from './parsers/dhclient.js';
import { parseDhcpcd } from './parsers/dhcpcd.js';
import { parseNetworkd } from './parsers/networkd.js';
import { parseResolvConf } from './parsers/resolvconf.js';
import type { ServerSource } from './source.js';

type KindOptions = Pick<LeaseFileOptions, 'parse' | 'encoding' | 'forgetDeleted'>;

const KINDS: Readonly<Record<SourceKind, KindOptions>> = {
  // Appended to while open, rewritten in place: a vanished file keeps its last servers.
  dhclient: { parse: parseDhclient },
  // The raw DHCPACK: binary, one character per byte.
  dhcpcd: { parse: parseDhcpcd, encoding: 'latin1' },
  // Deleted when the link goes down: its servers go with it.
  networkd: { parse: parseNetworkd, forgetDeleted: true },
  resolvconf: { parse: parseResolvConf },
};

export function createSource(config: SourceConfig, log: Logger): ServerSource {
  return new LeaseFileSource({ ...KINDS[config.kind], path: config.path, kind: config.kind, optional: config.optional, logger: log });
}

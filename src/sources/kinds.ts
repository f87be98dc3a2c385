// The table of source kinds: for each kind of DHCP client file, its parser and how its client
// writes it. Only the daemon's wiring creates sources, through createSource.
import type { Logger } from '../log.js';
import type { SourceConfig, SourceKind } from './config.js';
import { LeaseFileSource, type LeaseFileOptions } from './lease-file.js';
import { parseSource } from './parse-worker.js';
import { PARSERS } from './parsers/by-kind.js';
import type { ServerSource } from './source.js';

type KindOptions = Pick<LeaseFileOptions, 'encoding' | 'forgetDeleted'>;

const KINDS: Readonly<Record<SourceKind, KindOptions>> = {
  // Appended to while open, rewritten in place: a vanished file keeps its last servers.
  dhclient: {},
  // The raw DHCPACK: binary, one character per byte.
  dhcpcd: { encoding: 'latin1' },
  // Deleted when the link goes down: its servers go with it.
  networkd: { forgetDeleted: true },
  resolvconf: {},
};

export function createSource(config: SourceConfig, log: Logger): ServerSource {
  const max = config.maxBytes === undefined ? {} : { maxBytes: config.maxBytes };
  const parse = PARSERS[config.kind];
  const source = { ...KINDS[config.kind], ...max, parse, parseAsync: (text: string) => parseSource(config.kind, text) };
  return new LeaseFileSource({ ...source, path: config.path, kind: config.kind, optional: config.optional, logger: log });
}

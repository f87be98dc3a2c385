// The parser of each kind of source file, by the kind's name: what the source and the parse
// worker (parse-worker.ts) both look a kind up in.
import type { SourceKind } from '../config.js';
import type { ParseFunction } from '../parse-outcome.js';
import { parseDhclient } from './dhclient.js';
import { parseDhcpcd } from './dhcpcd.js';
import { parseNetworkd } from './networkd.js';
import { parseResolvConf } from './resolvconf.js';

export const PARSERS: Readonly<Record<SourceKind, ParseFunction>> = {
  dhclient: parseDhclient,
  dhcpcd: parseDhcpcd,
  networkd: parseNetworkd,
  resolvconf: parseResolvConf,
};

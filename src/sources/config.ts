// The `default.sources` entries of the config file: which kind of DHCP client file, where, and
// whether it may be missing; the paths each client uses by default; their validation.
import type { ParseResult } from '../address.js';
import { type Check, type Checker, flag, integer, mapping, ok, oneOf, parsed, pick, type PathSegment } from '../checker.js';

const SOURCE_KINDS = ['dhclient', 'dhcpcd', 'networkd', 'resolvconf'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** The files of a kind in a directory given as a source path (`/var/lib/dhcpcd/`). */
const SOURCE_DIRECTORY_FILES: Readonly<Record<SourceKind, string>> = {
  dhclient: 'dhclient*.leases',
  dhcpcd: '*.lease',
  networkd: '*',
  resolvconf: '*.conf',
};

export interface SourceConfig {
  readonly kind: SourceKind;
  /**
   * A file path; the last path component may contain `*` wildcards (e.g. dhclient*.leases). A
   * directory given as `DIR/` is stored as `DIR/` + the kind's SOURCE_DIRECTORY_FILES.
   */
  readonly path: string;
  /** A source that may well not exist (the embedded default watches every client's places). */
  readonly optional: boolean;
  /** The largest file read (bytes); a bigger one is unusable and its last good servers are kept. Default SOURCE_MAX_BYTES. */
  readonly maxBytes?: number;
}

/** A real lease file is a few KiB (dhclient compacts its file as it grows): 2 MiB is far past any. */
export const SOURCE_MAX_BYTES = 2 * 1024 * 1024;

/**
 * Where each DHCP client leaves its nameservers, as the YAML file spells it: dhclient (Debian,
 * Ubuntu, Alpine's ifupdown-ng; some distributions use /var/lib/dhclient), dhcpcd's raw
 * DHCPACKs, systemd-networkd's per-link leases, and udhcpc's resolv.conf-format file.
 */
export const SOURCES_DEFAULTS = [
  { kind: 'dhclient', path: '/var/lib/dhcp/dhclient*.leases', optional: true },
  { kind: 'dhclient', path: '/var/lib/dhclient/dhclient*.leases', optional: true },
  { kind: 'dhcpcd', path: '/var/lib/dhcpcd/', optional: true },
  { kind: 'networkd', path: '/run/systemd/netif/leases/', optional: true },
  { kind: 'resolvconf', path: '/etc/dnsfwd/resolv.dhcp', optional: true },
];

/**
 * A source path: absolute, naming a file (no `.` or `..` components), with `*` wildcards allowed
 * only in the last component; or a directory written with a trailing `/`, which stands for the
 * files `inDirectory` names in it. Repeated slashes are folded.
 */
function parseSourcePath(raw: string, inDirectory = '*'): ParseResult<string> {
  if (!raw.startsWith('/')) return { ok: false, reason: `"${raw}": must be an absolute path` };
  if (raw === '/') return { ok: false, reason: `"${raw}": the root directory is not a source` };
  const text = (raw.endsWith('/') ? raw + inDirectory : raw).replace(/\/{2,}/g, '/');
  if (text.split('/').some((part) => part === '.' || part === '..')) {
    return { ok: false, reason: `"${raw}": "." and ".." are not allowed in a source path; write it out in full` };
  }
  if (text.slice(0, text.lastIndexOf('/')).includes('*')) {
    return { ok: false, reason: `"${text}": "*" is allowed only in the file name, not in directories` };
  }
  return { ok: true, value: text };
}

/** One `default.sources` entry: `{kind, path, optional}`. */
export function sourceEntry(c: Checker, raw: unknown, path: PathSegment[]): Check<SourceConfig> {
  const m = mapping(c, raw, path, ['kind', 'path', 'optional', 'max_bytes'], ['kind', 'path']);
  if (!m.ok) return m;
  const kind = oneOf(c, m.value.kind, [...path, 'kind'], SOURCE_KINDS);
  if (!kind.ok) return kind;
  const file = parsed(c, m.value.path, [...path, 'path'], (p) => parseSourcePath(p, SOURCE_DIRECTORY_FILES[kind.value]));
  if (!file.ok) return file;
  const optional = flag(c, pick(m.value, 'optional', false), [...path, 'optional']);
  if (!optional.ok) return optional;
  const entry = { kind: kind.value, path: file.value, optional: optional.value };
  if (!Object.hasOwn(m.value, 'max_bytes')) return ok(entry);
  const max = integer(c, m.value.max_bytes, [...path, 'max_bytes'], 1024, 1024 * 1024 * 1024);
  return max.ok ? ok({ ...entry, maxBytes: max.value }) : max;
}

export function sameSources(a: readonly SourceConfig[], b: readonly SourceConfig[]): boolean {
  const max = (s: SourceConfig) => s.maxBytes ?? SOURCE_MAX_BYTES;
  return (
    a.length === b.length &&
    a.every((s, i) => s.kind === b[i]!.kind && s.path === b[i]!.path && s.optional === b[i]!.optional && max(s) === max(b[i]!))
  );
}

/** `--lease-file [KIND:]PATH`: a source of that kind (dhclient when none is named). */
export function parseSourceFlag(text: string): ParseResult<SourceConfig> {
  const m = /^([a-z]+):(.*)$/s.exec(text); // a plain path starts with '/': a word before ':' is a kind
  const kind = m ? SOURCE_KINDS.find((k) => k === m[1]) : 'dhclient';
  if (!kind) return { ok: false, reason: `"${m![1]}" is not one of ${SOURCE_KINDS.join(', ')}` };
  const path = parseSourcePath(m ? m[2]! : text, SOURCE_DIRECTORY_FILES[kind]);
  if (!path.ok) return path;
  return { ok: true, value: { kind, path: path.value, optional: false } };
}

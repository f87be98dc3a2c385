// The `listen:` list and the `server:` section of the config file: where dnsfwd answers (addresses
// bound from the start, and interfaces and optional addresses bound while the host has them), and
// the limits of its UDP answers (RFC 1035 §4.2.1, RFC 6891 §6.2.5) and client TCP connections (RFC 7766).
import { formatEndpoint, parseEndpoint, type Endpoint, type ParseResult, type WatchedListen } from '../address.js';
import { type Check, type Checker, describe, each, type Field, flag, mapping, numbers, ok, parsed, pick, type PathSegment } from '../checker.js';
import type { UpstreamConfig } from '../upstream/config.js';
import { isLinkLocalIPv6 } from './host-addresses.js';

export interface ServerConfig {
  /** Largest UDP answer sent to a client, whatever its EDNS size says (RFC 6891 §6.2.5). */
  readonly udpMaxSize: number;
  readonly tcpIdleTimeoutMs: number;
  readonly tcpMaxConnections: number;
  /** From the first byte of a client's TCP message to its last (RFC 7766 §6.2.2). */
  readonly tcpMessageTimeoutMs: number;
  /** Open TCP connections from one client address, loopback ones included. */
  readonly tcpMaxConnectionsPerClient: number;
  /** Processes answering queries (Node's cluster module shares the sockets); 1: no cluster. */
  readonly workers: number;
  /** Receive buffer asked for each UDP listening socket, bytes; 0 leaves the kernel's default. */
  readonly udpRecvBuffer: number;
  /** Send buffer asked for each UDP listening socket, bytes; 0 leaves the kernel's default. */
  readonly udpSendBuffer: number;
  /** V8 heap growth (MiB) after which the daemon collects garbage itself (src/heap-pacer.ts); 0: V8 alone decides. */
  readonly heapPacingMib: number;
}

/** What the listeners are set up from: where to listen, the limits, and each query's deadline. */
export interface ListenerConfig {
  readonly listen: readonly Endpoint[];
  readonly listenWatched: readonly WatchedListen[];
  readonly server: ServerConfig;
  readonly upstream: Pick<UpstreamConfig, 'deadlineMs'>;
  /** One info line per answered query. */
  readonly logQueries?: boolean;
}

/** The defaults, spelled as the YAML file spells them. */
export const LISTEN_DEFAULTS = ['127.0.0.1:53', '[::1]:53'];
/** 4 MiB: room for thousands of queued queries in a burst (Unbound's advice for so-rcvbuf). */
const MIB4 = 4 * 1024 * 1024;
export const SERVER_DEFAULTS = {
  udp_max_size: 4096,
  tcp_idle_timeout_ms: 10000,
  tcp_max_connections: 256,
  tcp_message_timeout_ms: 2000,
  tcp_max_connections_per_client: 16,
  workers: 1,
  udp_recv_buffer: MIB4,
  udp_send_buffer: MIB4,
  heap_pacing_mib: 2,
};

const FIELDS = {
  udpMaxSize: ['udp_max_size', 512, 65535], // RFC 1035 §4.2.1: 512 is what every client accepts
  tcpIdleTimeoutMs: ['tcp_idle_timeout_ms', 100, 600000],
  tcpMaxConnections: ['tcp_max_connections', 1, 65535],
  tcpMessageTimeoutMs: ['tcp_message_timeout_ms', 100, 600000],
  tcpMaxConnectionsPerClient: ['tcp_max_connections_per_client', 1, 65535],
  workers: ['workers', 1, 64],
  udpRecvBuffer: ['udp_recv_buffer', 0, 512 * 1024 * 1024],
  udpSendBuffer: ['udp_send_buffer', 0, 512 * 1024 * 1024],
  heapPacingMib: ['heap_pacing_mib', 0, 1024],
} as const satisfies Record<keyof ServerConfig, Field>;

/** The `listen:` list split by kind: addresses bound from the start, and the watched entries. */
export interface ListenEntries {
  readonly listen: Endpoint[];
  readonly watched: WatchedListen[];
}

/** One entry of `listen:` or `--listen`. */
export type ListenEntry = { readonly kind: 'required'; readonly endpoint: Endpoint } | WatchedListen;

const IFACE_PREFIX = 'iface:';
const OPTIONAL_PREFIX = 'optional:';
/** Linux's IFNAMSIZ, 16, with the terminating NUL. */
const IFNAME_MAX_BYTES = 15;

/** Linux's rule for an interface name (dev_valid_name): 1–15 bytes, not `.` or `..`, no `/`, `:` or whitespace. */
export function checkInterfaceName(name: string): string | null {
  if (name === '') return 'an interface name cannot be empty';
  if (Buffer.byteLength(name) > IFNAME_MAX_BYTES) return `"${name}": an interface name has at most ${IFNAME_MAX_BYTES} bytes`;
  if (name === '.' || name === '..') return `"${name}" is not an interface name`;
  if (/[/:\s]/.test(name)) return `"${name}": an interface name has no "/", ":" or whitespace`;
  return null;
}

/** An address that can be watched for: a unicast address a host can have, not a wildcard or a link-local IPv6 one. */
function watchable(e: Endpoint, text: string): ParseResult<WatchedListen> {
  if (e.host === '0.0.0.0' || e.host === '::') {
    return { ok: false, reason: `"${text}": a wildcard address is always there: list it as a plain address` };
  }
  if (isLinkLocalIPv6(e.host)) {
    return { ok: false, reason: `"${text}": a link-local IPv6 address cannot be listened on (it needs its interface)` };
  }
  return { ok: true, value: { kind: 'address', endpoint: e } };
}

function interfaceEntry(name: string, port: number): ParseResult<WatchedListen> {
  const bad = checkInterfaceName(name);
  return bad === null ? { ok: true, value: { kind: 'interface', name, port } } : { ok: false, reason: bad };
}

/**
 * A listen entry written as a string: `ADDR[:PORT]` (bound from the start), `iface:NAME[:PORT]`
 * (every address of interface NAME, while it has them) or `optional:ADDR[:PORT]` (bound while the
 * host has the address). The port is 53 unless given.
 */
export function parseListenText(text: string): ParseResult<ListenEntry> {
  if (text.startsWith(IFACE_PREFIX)) {
    const [name = '', portText, ...more] = text.slice(IFACE_PREFIX.length).split(':');
    if (more.length > 0) return { ok: false, reason: `"${text}": expected iface:NAME or iface:NAME:PORT` };
    if (portText !== undefined && !validPortText(portText)) return { ok: false, reason: `"${text}": port must be a number from 1 to 65535` };
    return interfaceEntry(name, portText === undefined ? 53 : Number(portText));
  }
  if (text.startsWith(OPTIONAL_PREFIX)) {
    const e = parseEndpoint(text.slice(OPTIONAL_PREFIX.length));
    return e.ok ? watchable(e.value, text) : e;
  }
  const e = parseEndpoint(text);
  return e.ok ? { ok: true, value: { kind: 'required', endpoint: e.value } } : e;
}

function validPortText(s: string): boolean {
  return /^\d{1,5}$/.test(s) && Number(s) >= 1 && Number(s) <= 65535;
}

/** An entry written as a mapping: `{address: ADDR[:PORT], optional: BOOL}` or `{interface: NAME, port: PORT}`. */
function listenMapping(c: Checker, raw: object, path: PathSegment[]): Check<ListenEntry> {
  if (Object.hasOwn(raw, 'interface')) {
    const m = mapping(c, raw, path, ['interface', 'port'], ['interface']);
    if (!m.ok) return m;
    const port = pick(m.value, 'port', 53);
    const isPort = typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535;
    if (!isPort) return c.fail([...path, 'port'], `port must be a number from 1 to 65535, got ${describe(port)}`);
    return parsed(c, m.value.interface, [...path, 'interface'], (name) => interfaceEntry(name, port));
  }
  if (Object.hasOwn(raw, 'address')) {
    const m = mapping(c, raw, path, ['address', 'optional'], ['address']);
    if (!m.ok) return m;
    const optional = flag(c, pick(m.value, 'optional', false), [...path, 'optional']);
    if (!optional.ok) return optional;
    return parsed(c, m.value.address, [...path, 'address'], (text): ParseResult<ListenEntry> => {
      const e = parseEndpoint(text);
      if (!e.ok) return e;
      return optional.value ? watchable(e.value, text) : { ok: true, value: { kind: 'required', endpoint: e.value } };
    });
  }
  return c.fail(path, 'expected a mapping with "address" (and "optional") or "interface" (and "port")');
}

/** What makes two entries the same, whatever way each is written. */
export function listenEntryKey(e: ListenEntry): string {
  return e.kind === 'interface' ? `interface ${e.name} port ${e.port}` : formatEndpoint(e.endpoint);
}

/** How `dnsfwd check` and the logs show an entry. */
export function describeListenEntry(e: ListenEntry): string {
  if (e.kind === 'interface') return `interface ${e.name} port ${e.port} (when present)`;
  return e.kind === 'address' ? `${formatEndpoint(e.endpoint)} (optional, when present)` : formatEndpoint(e.endpoint);
}

/** The first entry that repeats an earlier one, as the error says it, or null. */
export function repeatedEntry(done: readonly ListenEntry[], e: ListenEntry): string | null {
  const key = listenEntryKey(e);
  if (!done.some((d) => listenEntryKey(d) === key)) return null;
  return e.kind === 'interface' ? `interface "${e.name}" port ${e.port}` : `"${key}"`;
}

/** Splits entries into the addresses bound from the start and the watched ones. */
export function splitListen(entries: readonly ListenEntry[]): ListenEntries {
  const listen: Endpoint[] = [];
  const watched: WatchedListen[] = [];
  for (const e of entries) {
    if (e.kind === 'required') listen.push(e.endpoint);
    else watched.push(e);
  }
  return { listen, watched };
}

export function listenList(c: Checker, raw: unknown): Check<ListenEntries> {
  const entries = each<ListenEntry>(c, raw, ['listen'], (item, path, done) => {
    let entry: Check<ListenEntry>;
    if (typeof item === 'string') entry = parsed(c, item, path, parseListenText);
    else if (typeof item === 'object' && item !== null && !Array.isArray(item)) entry = listenMapping(c, item, path);
    else return c.fail(path, `expected a string or a mapping, got ${describe(item)}`);
    if (!entry.ok) return entry;
    const twice = repeatedEntry(done, entry.value);
    return twice === null ? entry : c.fail(path, `${twice} is listed twice`);
  });
  if (!entries.ok) return entries;
  if (entries.value.length === 0) return c.fail(['listen'], 'needs at least one address');
  return ok(splitListen(entries.value));
}

/** The `listen:` line of `dnsfwd check`. */
export function describeListen(listen: readonly Endpoint[], watched: readonly WatchedListen[]): string {
  const all: ListenEntry[] = [...listen.map((endpoint) => ({ kind: 'required' as const, endpoint })), ...watched];
  return `listen:    ${all.length ? all.map(describeListenEntry).join(', ') : '(none)'}`;
}

export function serverSection(c: Checker, raw: unknown): Check<ServerConfig> {
  return numbers(c, raw, 'server', FIELDS, SERVER_DEFAULTS);
}

export function describeServer(s: ServerConfig): string {
  return (
    `server:    UDP max size ${s.udpMaxSize}, TCP idle timeout ${s.tcpIdleTimeoutMs} ms, ` +
    `TCP message timeout ${s.tcpMessageTimeoutMs} ms, TCP max connections ${s.tcpMaxConnections} ` +
    `(${s.tcpMaxConnectionsPerClient} per client), workers ${s.workers}, ` +
    `UDP buffers ${bufferText(s.udpRecvBuffer)} receive / ${bufferText(s.udpSendBuffer)} send, ` +
    `heap pacing ${s.heapPacingMib === 0 ? 'off' : `every ${s.heapPacingMib} MiB`}`
  );
}

function bufferText(bytes: number): string {
  if (bytes === 0) return 'kernel default';
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}

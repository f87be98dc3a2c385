// The validated, frozen configuration every component receives. Built only by config/schema.ts.
import type { Endpoint } from '../address.js';
import type { LogLevel } from '../log.js';

export const SOURCE_KINDS = ['dhclient', 'dhcpcd', 'networkd', 'resolvconf'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** The files of a kind in a directory given as a source path (`/var/lib/dhcpcd/`). */
export const SOURCE_DIRECTORY_FILES: Readonly<Record<SourceKind, string>> = {
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
}

export interface RouteConfig {
  /** Lower-case zone name without the trailing dot, e.g. `consul`, `121.168.192.in-addr.arpa`. */
  readonly zone: string;
  readonly servers: readonly Endpoint[];
  /** Whether answers learned through this route are cached (e.g. false for a Consul with TTLs). */
  readonly cache: boolean;
}

export interface DefaultRouteConfig {
  /** Files that name the default route's servers (DHCP leases), watched for changes. */
  readonly sources: readonly SourceConfig[];
  /** Static servers, used when the sources give none. */
  readonly servers: readonly Endpoint[];
  readonly cache: boolean;
}

export interface UpstreamConfig {
  /** Per-attempt timeout before trying the next server. */
  readonly timeoutMs: number;
  /** Whole-query deadline: after it the client gets SERVFAIL. */
  readonly deadlineMs: number;
  /** How long a failed server stays at the back of the order. */
  readonly downMs: number;
  /** EDNS UDP payload size advertised to upstreams (RFC 6891; 1232 per DNS flag day 2020). */
  readonly ednsSize: number;
}

export interface ServerConfig {
  /** Largest UDP answer sent to a client, whatever its EDNS size says (RFC 6891 §6.2.5). */
  readonly udpMaxSize: number;
  readonly tcpIdleTimeoutMs: number;
  readonly tcpMaxConnections: number;
  /** Processes answering queries (Node's cluster module shares the sockets); 1: no cluster. */
  readonly workers: number;
}

export interface CacheConfig {
  /** Most entries kept (LRU); 0 turns the cache off. */
  readonly size: number;
  /** Upper bound on the bytes the entries hold. */
  readonly maxBytes: number;
  /** Clamp on positive TTLs, in seconds (TTL 0 answers are never cached). */
  readonly minTtl: number;
  readonly maxTtl: number;
  /** Cap on the negative-caching TTL derived from the SOA (RFC 2308 §5). */
  readonly negativeMaxTtl: number;
  /** Seconds a SERVFAIL from upstream is cached; 0: never. */
  readonly servfailTtl: number;
  /** Serve expired entries when every server fails (RFC 8767). */
  readonly serveStale: boolean;
  /** Seconds past expiry an entry may still be served stale. */
  readonly staleMaxAge: number;
  /** With a stale entry at hand, how long to wait for upstream before answering from it (RFC 8767 §5). */
  readonly staleAnswerTimeoutMs: number;
  /** Refresh entries still in demand when 10% of their TTL is left. */
  readonly prefetch: boolean;
}

export interface Config {
  /** The file this came from, if any. */
  readonly file?: string;
  readonly listen: readonly Endpoint[];
  readonly logLevel: LogLevel;
  /** The user to run as once the sockets are bound, when started as root; '' to stay as started. */
  readonly user: string;
  readonly routes: readonly RouteConfig[];
  readonly default: DefaultRouteConfig;
  readonly upstream: UpstreamConfig;
  readonly server: ServerConfig;
  readonly cache: CacheConfig;
}

/** A configuration error, located in its file: rendered as `FILE:LINE:COL: reason`. */
export interface ConfigError {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** Dotted path of the offending key, e.g. `routes[1].servers[0]`. */
  readonly key: string;
  readonly reason: string;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; error: ConfigError };

/** Command-line flags that add to or override the file (see cli.ts). */
export interface ConfigOverrides {
  readonly listen?: readonly string[];
  readonly route?: readonly string[];
  readonly leaseFile?: readonly string[];
  readonly upstream?: readonly string[];
  readonly logLevel?: string;
  readonly workers?: number;
  readonly user?: string;
}

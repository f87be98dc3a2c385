// The validated, frozen configuration every component receives, built only by config/schema.ts
// from the sections each stage defines (server/ with its client-config.ts, route/, upstream/, cache/, sources/ config.ts).
import type { Endpoint, WatchedListen } from '../address.js';
import type { CacheConfig } from '../cache/config.js';
import type { DnssecConfig } from '../dnssec/config.js';
import type { MetricsConfig } from '../metrics/config.js';
import type { LogFormat, LogLevel } from '../log.js';
import type { DefaultRouteConfig, RouteConfig } from '../route/config.js';
import type { AccessRule, RateLimitConfig } from '../server/client-config.js';
import type { ServerConfig } from '../server/config.js';
import type { UpstreamConfig } from '../upstream/config.js';
import type { ConfigError, Locator } from '../checker.js';

export type { ConfigError } from '../checker.js';

export interface Config {
  /** The file this came from, if any. */
  readonly file?: string;
  /** Addresses listened on from the start (a bind error stops the start). */
  readonly listen: readonly Endpoint[];
  /** Interfaces and optional addresses, listened on while they are on the host. */
  readonly listenWatched: readonly WatchedListen[];
  readonly logLevel: LogLevel;
  /** One info line per answered query (the query log). */
  readonly logQueries: boolean;
  /** json: one JSON object per line; text: one readable line per record. */
  readonly logFormat: LogFormat;
  /** The file the log lines are appended to (SIGUSR2 reopens it); '' for stdout. */
  readonly logFile: string;
  /** The user to run as once the sockets are bound, when started as root; '' to stay as started. */
  readonly user: string;
  /** The Unix socket the `dnsfwd status|explain|flush|reload` commands talk to; '' for none. */
  readonly controlSocket: string;
  readonly routes: readonly RouteConfig[];
  readonly default: DefaultRouteConfig;
  readonly upstream: UpstreamConfig;
  readonly server: ServerConfig;
  readonly cache: CacheConfig;
  /** Which clients are answered; sources no entry covers get the default (loopback and connected subnets). */
  readonly access: readonly AccessRule[];
  /** Response rate limiting of UDP answers per client prefix. */
  readonly rateLimit: RateLimitConfig;
  /** The Prometheus endpoint. */
  readonly metrics: MetricsConfig;
  /** DNSSEC validation. */
  readonly dnssec: DnssecConfig;
}

/** A config, and for one read from a file, where each of its settings is written there. */
export type ConfigResult = { ok: true; config: Config; locate?: Locator } | { ok: false; error: ConfigError };

/** Command-line flags that add to or override the file (cli/argv.ts lists them). */
export interface ConfigOverrides {
  readonly listen?: readonly string[];
  readonly route?: readonly string[];
  readonly leaseFile?: readonly string[];
  readonly upstream?: readonly string[];
  readonly logLevel?: string;
  readonly logQueries?: boolean;
  readonly logFormat?: string;
  readonly logFile?: string;
  readonly workers?: number;
  readonly user?: string;
  readonly controlSocket?: string;
}

// The embedded default configuration and the validator that turns a parsed YAML object into a
// deep-frozen Config, or the first ConfigError, located in the source through a Locator the loader
// supplies. Each section is checked by the stage that owns it (its config.ts).
import { CACHE_DEFAULTS, cacheSection } from '../cache/config.js';
import { DNSSEC_DEFAULTS, dnssecSection } from '../dnssec/config.js';
import { METRICS_DEFAULTS, metricsSection } from '../metrics/config.js';
import { LOG_FORMATS, LOG_LEVELS } from '../log.js';
import { DEFAULT_ROUTE_DEFAULTS, defaultSection, ROUTES_DEFAULTS, routesList } from '../route/config.js';
import { ACCESS_DEFAULTS, accessList, RATE_LIMIT_DEFAULTS, rateLimitSection } from '../server/client-config.js';
import { LISTEN_DEFAULTS, listenList, SERVER_DEFAULTS, serverSection } from '../server/config.js';
import { UPSTREAM_DEFAULTS, upstreamSection } from '../upstream/config.js';
import { Checker, type Locator, mapping, oneOf, parsed, pick, flag } from '../checker.js';
import type { Config, ConfigResult } from './types.js';
import { deepFreeze, parseControlSocket, parseLogFile, parseUser } from './values.js';

export interface ValidateOptions {
  /** Recorded as Config.file and ConfigError.file. */
  readonly file?: string;
  readonly locate?: Locator;
}

/** The embedded default configuration, spelled as the YAML file spells it. */
const DEFAULTS = deepFreeze({
  listen: LISTEN_DEFAULTS,
  log_level: 'info',
  log_queries: false,
  log_format: 'json',
  log_file: '',
  user: '',
  control_socket: '/run/dnsfwd/control.sock',
  routes: ROUTES_DEFAULTS,
  default: DEFAULT_ROUTE_DEFAULTS,
  upstream: UPSTREAM_DEFAULTS,
  server: SERVER_DEFAULTS,
  cache: CACHE_DEFAULTS,
  access: ACCESS_DEFAULTS,
  rate_limit: RATE_LIMIT_DEFAULTS,
  metrics: METRICS_DEFAULTS,
  dnssec: DNSSEC_DEFAULTS,
});

export function validateConfig(raw: unknown, options: ValidateOptions = {}): ConfigResult {
  const c = new Checker(options.file ?? '<config>', options.locate ?? (() => ({ line: 0, col: 0 })));
  const top = mapping(c, raw, [], Object.keys(DEFAULTS));
  if (!top.ok) return top;
  const listen = listenList(c, pick(top.value, 'listen', DEFAULTS.listen));
  if (!listen.ok) return listen;
  const logLevel = oneOf(c, pick(top.value, 'log_level', DEFAULTS.log_level), ['log_level'], LOG_LEVELS);
  if (!logLevel.ok) return logLevel;
  const logQueries = flag(c, pick(top.value, 'log_queries', DEFAULTS.log_queries), ['log_queries']);
  if (!logQueries.ok) return logQueries;
  const logFormat = oneOf(c, pick(top.value, 'log_format', DEFAULTS.log_format), ['log_format'], LOG_FORMATS);
  if (!logFormat.ok) return logFormat;
  const logFile = parsed(c, pick(top.value, 'log_file', DEFAULTS.log_file), ['log_file'], parseLogFile);
  if (!logFile.ok) return logFile;
  const user = parsed(c, pick(top.value, 'user', DEFAULTS.user), ['user'], parseUser);
  if (!user.ok) return user;
  const controlSocket = parsed(c, pick(top.value, 'control_socket', DEFAULTS.control_socket), ['control_socket'], parseControlSocket);
  if (!controlSocket.ok) return controlSocket;
  const routes = routesList(c, pick(top.value, 'routes', DEFAULTS.routes));
  if (!routes.ok) return routes;
  const dflt = defaultSection(c, pick(top.value, 'default', DEFAULTS.default));
  if (!dflt.ok) return dflt;
  const upstream = upstreamSection(c, pick(top.value, 'upstream', DEFAULTS.upstream));
  if (!upstream.ok) return upstream;
  const server = serverSection(c, pick(top.value, 'server', DEFAULTS.server));
  if (!server.ok) return server;
  const cache = cacheSection(c, pick(top.value, 'cache', DEFAULTS.cache));
  if (!cache.ok) return cache;
  const access = accessList(c, pick(top.value, 'access', DEFAULTS.access));
  if (!access.ok) return access;
  const rateLimit = rateLimitSection(c, pick(top.value, 'rate_limit', DEFAULTS.rate_limit));
  if (!rateLimit.ok) return rateLimit;
  const metrics = metricsSection(c, pick(top.value, 'metrics', DEFAULTS.metrics));
  if (!metrics.ok) return metrics;
  const dnssec = dnssecSection(c, pick(top.value, 'dnssec', DEFAULTS.dnssec));
  if (!dnssec.ok) return dnssec;
  const config: Config = {
    ...(options.file === undefined ? {} : { file: options.file }),
    listen: listen.value.listen,
    listenWatched: listen.value.watched,
    logLevel: logLevel.value,
    logQueries: logQueries.value,
    logFormat: logFormat.value,
    logFile: logFile.value,
    user: user.value,
    controlSocket: controlSocket.value,
    routes: routes.value,
    default: dflt.value,
    upstream: upstream.value,
    server: server.value,
    cache: cache.value,
    access: access.value,
    rateLimit: rateLimit.value,
    metrics: metrics.value,
    dnssec: dnssec.value,
  };
  return { ok: true, config: deepFreeze(config) };
}

let cachedDefault: Config | undefined;

/** The configuration used when there is no file: DEFAULTS, validated. */
export function defaultConfig(): Config {
  if (!cachedDefault) {
    const r = validateConfig(DEFAULTS);
    if (!r.ok) throw new Error(`bug: built-in defaults are invalid: ${r.error.reason}`);
    cachedDefault = r.config;
  }
  return cachedDefault;
}

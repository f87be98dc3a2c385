// The built-in defaults and the validator that turns a parsed YAML object into a deep-frozen
// Config, or the first ConfigError, located in the source through a Locator the loader supplies.
import { formatEndpoint, parseEndpoint, sameEndpoint, type Endpoint, type ParseResult } from '../address.js';
import { deepFreeze, parseSourcePath, parseUser, parseZone } from './values.js';
import { LOG_LEVELS } from '../log.js';
import { SOURCE_DIRECTORY_FILES, SOURCE_KINDS, type Config, type ConfigError, type ConfigResult } from './types.js';
import type { CacheConfig, DefaultRouteConfig, RouteConfig, ServerConfig, SourceConfig, UpstreamConfig } from './types.js';

export type PathSegment = string | number;
/** Where the key or the value at `path` sits in the source text (1-based; 0:0 when unknown). */
export type Locator = (path: readonly PathSegment[], part: 'key' | 'value') => { line: number; col: number };

export interface ValidateOptions {
  /** Recorded as Config.file and ConfigError.file. */
  readonly file?: string;
  readonly locate?: Locator;
}

/** The embedded default configuration, spelled as the YAML file spells it. */
export const DEFAULTS = deepFreeze({
  listen: ['127.0.0.1:53', '[::1]:53'],
  log_level: 'info',
  user: '',
  routes: [{ zone: 'consul', servers: ['127.0.0.1:8600'] }],
  default: {
    // Where each DHCP client leaves its nameservers (DESIGN.md §4); whichever exist or appear.
    sources: [
      { kind: 'dhclient', path: '/var/lib/dhcp/dhclient*.leases', optional: true },
      { kind: 'dhclient', path: '/var/lib/dhclient/dhclient*.leases', optional: true },
      { kind: 'dhcpcd', path: '/var/lib/dhcpcd/', optional: true },
      { kind: 'networkd', path: '/run/systemd/netif/leases/', optional: true },
      { kind: 'resolvconf', path: '/etc/dnsfwd/resolv.dhcp', optional: true },
    ],
    servers: [] as string[],
    cache: true,
  },
  upstream: { timeout_ms: 1500, deadline_ms: 4000, down_ms: 30000, edns_size: 1232 },
  server: { udp_max_size: 4096, tcp_idle_timeout_ms: 10000, tcp_max_connections: 256, workers: 1 },
  cache: {
    size: 10000,
    max_bytes: 33554432,
    min_ttl: 0,
    max_ttl: 86400,
    negative_max_ttl: 300,
    servfail_ttl: 0,
    serve_stale: true,
    stale_max_age: 86400,
    stale_answer_timeout_ms: 1800,
    prefetch: true,
  },
});

/** A numeric setting: its YAML key and its inclusive range. */
type Field = readonly [key: string, min: number, max: number];
const UPSTREAM_FIELDS = {
  timeoutMs: ['timeout_ms', 50, 30000],
  deadlineMs: ['deadline_ms', 100, 30000],
  downMs: ['down_ms', 0, 3600000],
  ednsSize: ['edns_size', 512, 4096], // RFC 6891 §6.2.5: values below 512 are treated as 512
} as const satisfies Record<keyof UpstreamConfig, Field>;
const SERVER_FIELDS = {
  udpMaxSize: ['udp_max_size', 512, 65535], // RFC 1035 §4.2.1: 512 is what every client accepts
  tcpIdleTimeoutMs: ['tcp_idle_timeout_ms', 100, 600000],
  tcpMaxConnections: ['tcp_max_connections', 1, 65535],
  workers: ['workers', 1, 64],
} as const satisfies Record<keyof ServerConfig, Field>;
const CACHE_FIELDS = {
  size: ['size', 0, 1_000_000],
  maxBytes: ['max_bytes', 65536, 1 << 30],
  minTtl: ['min_ttl', 0, 86400],
  maxTtl: ['max_ttl', 1, 604800],
  negativeMaxTtl: ['negative_max_ttl', 0, 86400], // RFC 2308 §5: 1-3 hours is reasonable, 1 day the most
  servfailTtl: ['servfail_ttl', 0, 300], // RFC 2308 §7.1: at most five minutes
  staleMaxAge: ['stale_max_age', 0, 604800], // RFC 8767 §4: 1 to 3 days suggested
  staleAnswerTimeoutMs: ['stale_answer_timeout_ms', 0, 30000], // RFC 8767 §5: 1.8 s suggested
} as const satisfies Record<Exclude<keyof CacheConfig, 'serveStale' | 'prefetch'>, Field>;
const CACHE_FLAGS = { serveStale: 'serve_stale', prefetch: 'prefetch' } as const;

type Check<T> = { ok: true; value: T } | { ok: false; error: ConfigError };
type Failure = { ok: false; error: ConfigError };
type Raw = Readonly<Record<string, unknown>>;

const ok = <T>(value: T): Check<T> => ({ ok: true, value });

/** Dotted path of a key, e.g. `routes[1].servers[0]`. */
export function keyPath(path: readonly PathSegment[]): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

class Checker {
  constructor(
    readonly file: string,
    readonly locate: Locator,
  ) {}

  fail(path: readonly PathSegment[], reason: string, part: 'key' | 'value' = 'value'): Failure {
    const { line, col } = this.locate(path, part);
    const key = keyPath(path);
    return { ok: false, error: { file: this.file, line, col, key, reason: key ? `${key}: ${reason}` : reason } };
  }
}

export function validateConfig(raw: unknown, options: ValidateOptions = {}): ConfigResult {
  const c = new Checker(options.file ?? '<config>', options.locate ?? (() => ({ line: 0, col: 0 })));
  const top = mapping(c, raw, [], Object.keys(DEFAULTS));
  if (!top.ok) return top;
  const listen = endpoints(c, pick(top.value, 'listen', DEFAULTS.listen), ['listen'], 'needs at least one address');
  if (!listen.ok) return listen;
  const twice = duplicateAt(listen.value);
  if (twice >= 0) return c.fail(['listen', twice], `"${formatEndpoint(listen.value[twice]!)}" is listed twice`);
  const logLevel = oneOf(c, pick(top.value, 'log_level', DEFAULTS.log_level), ['log_level'], LOG_LEVELS);
  if (!logLevel.ok) return logLevel;
  const user = parsed(c, pick(top.value, 'user', DEFAULTS.user), ['user'], parseUser);
  if (!user.ok) return user;
  const routes = each<RouteConfig>(c, pick(top.value, 'routes', DEFAULTS.routes), ['routes'], (item, p, done) =>
    route(c, item, p, done),
  );
  if (!routes.ok) return routes;
  const dflt = defaultRoute(c, pick(top.value, 'default', DEFAULTS.default));
  if (!dflt.ok) return dflt;
  const upstream = upstreamSection(c, pick(top.value, 'upstream', DEFAULTS.upstream));
  if (!upstream.ok) return upstream;
  const server = numbers(c, pick(top.value, 'server', DEFAULTS.server), 'server', SERVER_FIELDS);
  if (!server.ok) return server;
  const cache = cacheSection(c, pick(top.value, 'cache', DEFAULTS.cache));
  if (!cache.ok) return cache;
  const config: Config = {
    ...(options.file === undefined ? {} : { file: options.file }),
    listen: listen.value,
    logLevel: logLevel.value,
    user: user.value,
    routes: routes.value,
    default: dflt.value,
    upstream: upstream.value,
    server: server.value,
    cache: cache.value,
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


function pick(raw: Raw, key: string, fallback: unknown): unknown {
  return Object.hasOwn(raw, key) ? raw[key] : fallback;
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return typeof v === 'string' ? `the string "${v}"` : `${typeof v} ${String(v)}`;
}

/** A mapping with only `allowed` keys and all `needed` ones; `key:` alone is an empty mapping. */
function mapping(c: Checker, raw: unknown, path: PathSegment[], allowed: readonly string[], needed: string[] = []) {
  const m = raw ?? {};
  const isMapping = typeof m === 'object' && m !== null && !Array.isArray(m);
  if (!isMapping) return c.fail(path, `expected a mapping, got ${describe(raw)}`);
  const unknown = Object.keys(m).find((k) => !allowed.includes(k));
  const others = allowed.join(', ');
  if (unknown !== undefined) return c.fail([...path, unknown], `unknown key (allowed here: ${others})`, 'key');
  const missing = needed.find((k) => !Object.hasOwn(m, k));
  return missing === undefined ? ok(m as Raw) : c.fail(path, `missing key "${missing}"`);
}

/** Each item of a list checked by `one`, which also sees the items accepted so far; `key:` alone is []. */
function each<T>(
  c: Checker,
  raw: unknown,
  path: PathSegment[],
  one: (item: unknown, path: PathSegment[], done: readonly T[]) => Check<T>,
): Check<T[]> {
  const isList = raw === null || raw === undefined || Array.isArray(raw);
  if (!isList) return c.fail(path, `expected a list, got ${describe(raw)}`);
  const out: T[] = [];
  for (const [i, item] of (raw ?? []).entries()) {
    const r = one(item, [...path, i], out);
    if (!r.ok) return r;
    out.push(r.value);
  }
  return ok(out);
}

/** A string turned into a T by `parse`, whose reason becomes the error. */
function parsed<T>(c: Checker, raw: unknown, path: PathSegment[], parse: (s: string) => ParseResult<T>): Check<T> {
  if (typeof raw !== 'string') return c.fail(path, `expected a string, got ${describe(raw)}`);
  const r = parse(raw);
  return r.ok ? ok(r.value) : c.fail(path, r.reason);
}

function oneOf<T extends string>(c: Checker, raw: unknown, path: PathSegment[], choices: readonly T[]): Check<T> {
  return parsed(c, raw, path, (s): ParseResult<T> => {
    const found = choices.find((x) => x === s);
    if (found !== undefined) return { ok: true, value: found };
    return { ok: false, reason: `"${s}" is not one of ${choices.join(', ')}` };
  });
}

/** Index of the first endpoint that repeats an earlier one, or -1. */
export function duplicateAt(list: readonly Endpoint[]): number {
  return list.findIndex((e, i) => list.slice(0, i).some((o) => sameEndpoint(o, e)));
}

function endpoints(c: Checker, raw: unknown, path: PathSegment[], ifEmpty: string | null): Check<Endpoint[]> {
  const r = each(c, raw, path, (item, p) => parsed(c, item, p, (s) => parseEndpoint(s)));
  return r.ok && r.value.length === 0 && ifEmpty !== null ? c.fail(path, ifEmpty) : r;
}

function route(c: Checker, raw: unknown, path: PathSegment[], done: readonly RouteConfig[]): Check<RouteConfig> {
  const m = mapping(c, raw, path, ['zone', 'servers', 'cache'], ['zone', 'servers']);
  if (!m.ok) return m;
  const zone = parsed(c, m.value.zone, [...path, 'zone'], parseZone);
  if (!zone.ok) return zone;
  const first = done.findIndex((r) => r.zone === zone.value);
  if (first >= 0) {
    const { line } = c.locate(['routes', first, 'zone'], 'value');
    const where = line > 0 ? `line ${line}` : keyPath(['routes', first]);
    return c.fail([...path, 'zone'], `duplicate zone "${zone.value}" (first defined at ${where})`);
  }
  const servers = endpoints(c, m.value.servers, [...path, 'servers'], 'a route needs at least one server');
  if (!servers.ok) return servers;
  const cache = flag(c, pick(m.value, 'cache', true), [...path, 'cache']);
  return cache.ok ? ok({ zone: zone.value, servers: servers.value, cache: cache.value }) : cache;
}

function source(c: Checker, raw: unknown, path: PathSegment[]): Check<SourceConfig> {
  const m = mapping(c, raw, path, ['kind', 'path', 'optional'], ['kind', 'path']);
  if (!m.ok) return m;
  const kind = oneOf(c, m.value.kind, [...path, 'kind'], SOURCE_KINDS);
  if (!kind.ok) return kind;
  const file = parsed(c, m.value.path, [...path, 'path'], (p) => parseSourcePath(p, SOURCE_DIRECTORY_FILES[kind.value]));
  if (!file.ok) return file;
  const optional = flag(c, pick(m.value, 'optional', false), [...path, 'optional']);
  return optional.ok ? ok({ kind: kind.value, path: file.value, optional: optional.value }) : optional;
}

function defaultRoute(c: Checker, raw: unknown): Check<DefaultRouteConfig> {
  const m = mapping(c, raw, ['default'], Object.keys(DEFAULTS.default));
  if (!m.ok) return m;
  const rawSources = pick(m.value, 'sources', DEFAULTS.default.sources);
  const sources = each(c, rawSources, ['default', 'sources'], (item, p) => source(c, item, p));
  if (!sources.ok) return sources;
  const servers = endpoints(c, pick(m.value, 'servers', DEFAULTS.default.servers), ['default', 'servers'], null);
  if (!servers.ok) return servers;
  const cache = flag(c, pick(m.value, 'cache', DEFAULTS.default.cache), ['default', 'cache']);
  return cache.ok ? ok({ sources: sources.value, servers: servers.value, cache: cache.value }) : cache;
}

function flag(c: Checker, raw: unknown, path: PathSegment[]): Check<boolean> {
  return typeof raw === 'boolean' ? ok(raw) : c.fail(path, `expected true or false, got ${describe(raw)}`);
}

function cacheSection(c: Checker, raw: unknown): Check<CacheConfig> {
  const n = numbers(c, raw, 'cache', CACHE_FIELDS, Object.values(CACHE_FLAGS));
  if (!n.ok) return n;
  const m = (raw ?? {}) as Raw;
  const serveStale = flag(c, pick(m, CACHE_FLAGS.serveStale, DEFAULTS.cache.serve_stale), ['cache', CACHE_FLAGS.serveStale]);
  if (!serveStale.ok) return serveStale;
  const prefetch = flag(c, pick(m, CACHE_FLAGS.prefetch, DEFAULTS.cache.prefetch), ['cache', CACHE_FLAGS.prefetch]);
  if (!prefetch.ok) return prefetch;
  if (n.value.minTtl > n.value.maxTtl) return c.fail(['cache', 'min_ttl'], `must not exceed max_ttl (${n.value.maxTtl})`);
  return ok({ ...n.value, serveStale: serveStale.value, prefetch: prefetch.value });
}

function upstreamSection(c: Checker, raw: unknown): Check<UpstreamConfig> {
  const n = numbers(c, raw, 'upstream', UPSTREAM_FIELDS);
  if (!n.ok) return n;
  const { timeoutMs, deadlineMs } = n.value;
  if (deadlineMs < timeoutMs) {
    const given = raw !== null && typeof raw === 'object' && Object.hasOwn(raw, 'deadline_ms');
    const path = ['upstream', given ? 'deadline_ms' : 'timeout_ms'];
    return c.fail(path, `deadline_ms (${deadlineMs}) must be at least timeout_ms (${timeoutMs})`);
  }
  return n;
}

/** A section of integer settings, each within its range; missing keys take their defaults. */
function numbers<K extends string>(
  c: Checker,
  raw: unknown,
  section: 'upstream' | 'server' | 'cache',
  fields: Readonly<Record<K, Field>>,
  otherKeys: readonly string[] = [],
): Check<Record<K, number>> {
  const names = Object.keys(fields) as K[];
  const m = mapping(c, raw, [section], [...names.map((k) => fields[k][0]), ...otherKeys]);
  if (!m.ok) return m;
  const defaults: Readonly<Record<string, unknown>> = DEFAULTS[section];
  const out = {} as Record<K, number>;
  for (const name of names) {
    const [key, min, max] = fields[name];
    const v = pick(m.value, key, defaults[key]);
    const isInt = typeof v === 'number' && Number.isInteger(v);
    if (!isInt) return c.fail([section, key], `expected an integer, got ${describe(v)}`);
    if (v < min || v > max) return c.fail([section, key], `must be from ${min} to ${max}, got ${v}`);
    out[name] = v;
  }
  return ok(out);
}

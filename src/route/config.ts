// The `routes:` list and the `default:` section of the config file: zones and their servers, the
// default route's sources and static servers, whether each route's answers are cached; zone
// names as routes hold them; `--route ZONE=SERVER,...` from the command line; how `dnsfwd check`
// prints them.
import { formatEndpoint, parseEndpoints, type Endpoint, type ParseResult } from '../address.js';
import { type Check, type Checker, each, endpoints, flag, mapping, ok, oneOf, parsed, pick, type PathSegment } from '../checker.js';
import { sourceEntry, SOURCES_DEFAULTS, type SourceConfig } from '../sources/config.js';
import type { UpstreamConfig } from '../upstream/config.js';
import type { ListenSet } from './self.js';
import { builtInZones } from './special.js';

export interface RouteConfig {
  /** Lower-case zone name without the trailing dot, e.g. `consul`, `121.168.192.in-addr.arpa`. */
  readonly zone: string;
  readonly servers: readonly Endpoint[];
  /** Whether answers learned through this route are cached (e.g. false for a Consul with TTLs). */
  readonly cache: boolean;
  /**
   * How this route's servers are asked: 'udp' (TCP after a truncated answer, RFC 7766 §5) or
   * 'tcp' only, for a server that trims UDP answers without setting TC (Consul's DNS interface
   * with `dns_config.udp_answer_limit` and no `enable_truncate`).
   */
  readonly transport: 'udp' | 'tcp';
  /**
   * Whether its answers are validated when `dnssec:` is on. A zone with servers of its own (Consul,
   * libvirt's dnsmasq) is usually unsigned and not in the public tree: false unless it opts in.
   */
  readonly dnssec: boolean;
}

export interface DefaultRouteConfig {
  /** Files that name the default route's servers (DHCP leases), watched for changes. */
  readonly sources: readonly SourceConfig[];
  /** Static servers, used when the sources give none. */
  readonly servers: readonly Endpoint[];
  readonly cache: boolean;
}

/** What the routes are built from: the config's routing sections, and where dnsfwd listens (it never forwards to itself). */
export interface RoutingConfig extends ListenSet {
  readonly routes: readonly RouteConfig[];
  readonly default: DefaultRouteConfig;
  readonly upstream: UpstreamConfig;
}

/** The defaults, spelled as the YAML file spells them: `.consul` goes to the local Consul agent. */
export const ROUTES_DEFAULTS = [{ zone: 'consul', servers: ['127.0.0.1:8600'] }];
export const DEFAULT_ROUTE_DEFAULTS = { sources: SOURCES_DEFAULTS, servers: [] as string[], cache: true };

/** A zone as routes hold it: lower case, no trailing dot, labels of [a-z0-9_-] (RFC 1035 §2.3.4 lengths). */
export function parseZone(text: string): ParseResult<string> {
  let zone = text.trim().toLowerCase();
  if (zone.endsWith('.')) zone = zone.slice(0, -1);
  const fail = (why: string): ParseResult<string> => ({ ok: false, reason: `"${text}": ${why}` });
  if (zone === '') return fail('the root zone is not a route: configure it under "default:"');
  if (zone.length > 253) return fail('a zone name has at most 253 characters');
  for (const label of zone.split('.')) {
    if (label === '') return fail('empty label (two dots in a row?)');
    if (label.length > 63) return fail(`label "${label}" is longer than 63 characters`);
    if (!/^[a-z0-9_-]+$/.test(label)) return fail(`label "${label}" may contain only letters, digits, "_" and "-"`);
  }
  return { ok: true, value: zone };
}

export function routesList(c: Checker, raw: unknown): Check<RouteConfig[]> {
  return each<RouteConfig>(c, raw, ['routes'], (item, p, done) => route(c, item, p, done));
}

function route(c: Checker, raw: unknown, path: PathSegment[], done: readonly RouteConfig[]): Check<RouteConfig> {
  const m = mapping(c, raw, path, ['zone', 'servers', 'cache', 'transport', 'dnssec'], ['zone', 'servers']);
  if (!m.ok) return m;
  const zone = parsed(c, m.value.zone, [...path, 'zone'], parseZone);
  if (!zone.ok) return zone;
  const first = done.findIndex((r) => r.zone === zone.value);
  if (first >= 0) {
    const { line } = c.locate(['routes', first, 'zone'], 'value');
    const where = line > 0 ? `line ${line}` : `routes[${first}]`;
    return c.fail([...path, 'zone'], `duplicate zone "${zone.value}" (first defined at ${where})`);
  }
  const servers = endpoints(c, m.value.servers, [...path, 'servers'], 'a route needs at least one server');
  if (!servers.ok) return servers;
  const cache = flag(c, pick(m.value, 'cache', true), [...path, 'cache']);
  if (!cache.ok) return cache;
  const transport = oneOf(c, pick(m.value, 'transport', 'udp'), [...path, 'transport'], ['udp', 'tcp'] as const);
  if (!transport.ok) return transport;
  const dnssec = flag(c, pick(m.value, 'dnssec', false), [...path, 'dnssec']);
  if (!dnssec.ok) return dnssec;
  return ok({ zone: zone.value, servers: servers.value, cache: cache.value, transport: transport.value, dnssec: dnssec.value });
}

export function defaultSection(c: Checker, raw: unknown): Check<DefaultRouteConfig> {
  const m = mapping(c, raw, ['default'], Object.keys(DEFAULT_ROUTE_DEFAULTS));
  if (!m.ok) return m;
  const rawSources = pick(m.value, 'sources', DEFAULT_ROUTE_DEFAULTS.sources);
  const sources = each(c, rawSources, ['default', 'sources'], (item, p) => sourceEntry(c, item, p));
  if (!sources.ok) return sources;
  const servers = endpoints(c, pick(m.value, 'servers', DEFAULT_ROUTE_DEFAULTS.servers), ['default', 'servers'], null);
  if (!servers.ok) return servers;
  const cache = flag(c, pick(m.value, 'cache', DEFAULT_ROUTE_DEFAULTS.cache), ['default', 'cache']);
  return cache.ok ? ok({ sources: sources.value, servers: servers.value, cache: cache.value }) : cache;
}

/** `--route ZONE=SERVER[,SERVER...]`. */
export function parseRouteFlag(text: string): ParseResult<RouteConfig> {
  const eq = text.indexOf('=');
  if (eq < 0) return { ok: false, reason: `"${text}": expected ZONE=SERVER[,SERVER...]` };
  const zoneText = text.slice(0, eq);
  if (/^\s*\.?\s*$/.test(zoneText)) {
    return { ok: false, reason: `"${text}": the root zone is the default route: use --upstream or --lease-file` };
  }
  const zone = parseZone(zoneText);
  if (!zone.ok) return zone;
  const serverText = text.slice(eq + 1);
  if (serverText.trim() === '') return { ok: false, reason: `"${text}": a route needs at least one server` };
  const servers = parseEndpoints([serverText]);
  if (!servers.ok) return servers;
  return { ok: true, value: { zone: zone.value, servers: servers.value, cache: true, transport: 'udp', dnssec: false } };
}

/**
 * The routes as `dnsfwd check` prints them, then the default route and its sources, then the
 * special-use zones the routes leave to dnsfwd (special.ts), marked as built in.
 */
export function describeRoutes(routes: readonly RouteConfig[], dflt: DefaultRouteConfig): string[] {
  const list = (es: readonly Endpoint[]) => (es.length ? es.map(formatEndpoint).join(', ') : '(none)');
  const builtIn = builtInZones(routes);
  const width = Math.max(1, ...routes.map((r) => r.zone.length), ...builtIn.map((s) => s.zone.length));
  return [
    'routes:',
    ...routes.map((r) => `  ${r.zone.padEnd(width)}  -> ${list(r.servers)}${r.transport === 'tcp' ? '  (over TCP)' : ''}${r.cache ? '' : '  (not cached)'}${r.dnssec ? '  (DNSSEC validated)' : ''}`),
    `  ${'.'.padEnd(width)}  -> default route:${dflt.cache ? '' : '  (not cached)'}`,
    ...dflt.sources.map((src) => `       source: ${src.kind} ${src.path}${src.optional ? ' (optional)' : ''}${src.maxBytes === undefined ? '' : ` (at most ${src.maxBytes} bytes)`}`),
    ...(dflt.sources.length ? [] : ['       sources: (none)']),
    `       static servers (used when the sources give none): ${list(dflt.servers)}`,
    ...builtIn.map((s) => `  ${s.zone.padEnd(width)}  -> built in, never forwarded: ${s.description}`),
  ];
}

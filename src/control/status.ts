// `dnsfwd status`: what the daemon reports about itself (collectStatus, from its live objects:
// listeners, the route table in force, the sources, the cache), and how the command prints it
// (formatStatus): aligned tables; `--json` prints the report itself. In a cluster the primary
// relays the request to every worker and the result is `{"workers":[{"pid":N, ...report}]}`.
import { formatEndpoint, type Endpoint } from '../address.js';
import type { CacheStats } from '../cache/setup.js';
import type { RouteOrigin, RouteTable } from '../route/build.js';
import { SpecialZone } from '../route/special.js';
import type { SourceView } from '../sources/source.js';
import {
  bytes,
  duration,
  originReport,
  originText,
  serverReport,
  serverRows,
  table,
  when,
  zoneText,
  type OriginReport,
  type ServerReport,
} from './report-format.js';

/** What the report is made from: the daemon's objects, read as they are now. */
export interface StatusParts {
  readonly now: number;
  readonly startedAt: number;
  readonly version: string;
  readonly listeners: readonly Endpoint[];
  readonly table: RouteTable;
  readonly origins: ReadonlyMap<string, RouteOrigin>;
  readonly sources: readonly SourceView[];
  readonly cache: CacheStats;
  readonly coalesced: number;
  readonly memory: NodeJS.MemoryUsage;
}

export interface RouteReport {
  /** '.' for the default route. */
  readonly zone: string;
  readonly origin: OriginReport;
  /** Whether its answers are cached. */
  readonly cache: boolean;
  /** In the order they are tried now. */
  readonly servers: readonly ServerReport[];
}

export interface LeaseReport {
  readonly link: string;
  readonly file: string | null;
  readonly servers: readonly string[];
  readonly domains: readonly string[];
  /** ISO 8601; null when the file names none (or the parser does not read it). */
  readonly expires: string | null;
}

export interface SourceReport {
  readonly name: string;
  readonly kind: string;
  readonly path: string;
  readonly files: readonly string[];
  readonly changedAt: string | null;
  readonly servers: readonly string[];
  readonly domains: readonly string[];
  readonly leases: readonly LeaseReport[];
}

export interface StatusReport {
  readonly now: string;
  readonly version: string;
  readonly node: string;
  readonly pid: number;
  readonly startedAt: string;
  readonly uptimeS: number;
  readonly memory: { readonly rss: number; readonly heapUsed: number; readonly heapTotal: number };
  readonly listeners: readonly { readonly address: string; readonly transports: readonly string[] }[];
  /** The forwarding routes, in the table's order: configured, link domains, the default route. */
  readonly routes: readonly RouteReport[];
  /** The special-use zones answered here. */
  readonly special: readonly { readonly zone: string; readonly answers: string }[];
  readonly sources: readonly SourceReport[];
  readonly cache: CacheStats & { readonly hitRatio: number | null; readonly coalesced: number };
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The report, from the daemon's objects as they are now. */
export function collectStatus(p: StatusParts): StatusReport {
  const routes: RouteReport[] = [];
  const special: { zone: string; answers: string }[] = [];
  for (const route of p.table.routes()) {
    const g = route.group;
    if (g instanceof SpecialZone) special.push({ zone: g.zone, answers: g.description });
    else routes.push({ zone: zoneText(route.zone), origin: originReport(p.origins.get(route.zone), p.sources), cache: route.cache, servers: g.servers().map(serverReport) });
  }
  const { hits, misses } = p.cache;
  return {
    now: iso(p.now),
    version: p.version,
    node: process.version,
    pid: process.pid,
    startedAt: iso(p.startedAt),
    uptimeS: Math.floor((p.now - p.startedAt) / 1000),
    memory: { rss: p.memory.rss, heapUsed: p.memory.heapUsed, heapTotal: p.memory.heapTotal },
    listeners: p.listeners.map((e) => ({ address: formatEndpoint(e), transports: ['udp', 'tcp'] })),
    routes,
    special,
    sources: p.sources.map(sourceReport),
    cache: { ...p.cache, hitRatio: hits + misses > 0 ? Math.round((hits / (hits + misses)) * 1000) / 1000 : null, coalesced: p.coalesced },
  };
}

function sourceReport(s: SourceView): SourceReport {
  const leases = s.leases.map((l) => ({
    link: l.link,
    file: l.file ?? null,
    servers: l.servers.map(formatEndpoint),
    domains: [...(l.domains ?? [])],
    expires: l.expires === undefined ? null : iso(l.expires),
  }));
  return {
    name: s.name,
    kind: s.kind,
    path: s.path,
    files: [...s.files],
    changedAt: s.changedAt === null ? null : iso(s.changedAt),
    servers: s.servers.map(formatEndpoint),
    domains: [...new Set(leases.flatMap((l) => l.domains))],
    leases,
  };
}

/**
 * The report as a person reads it (without a final newline): one report, or in a cluster each worker's under a heading (a
 * worker that did not answer is `{pid, error}`).
 */
export function formatStatus(result: unknown): string {
  const workers = (result as { workers?: unknown } | null)?.workers;
  if (Array.isArray(workers)) {
    const one = (w: StatusReport | { pid: number; error: string }) => ('error' in w ? `error: ${w.error}` : formatOne(w));
    return workers.map((w: StatusReport | { pid: number; error: string }) => `== worker ${w.pid} ==\n${one(w)}`).join('\n\n');
  }
  return formatOne(result as StatusReport);
}

function formatOne(r: StatusReport): string {
  const now = Date.parse(r.now);
  const mib = (n: number) => bytes(n);
  const lines = [
    `dnsfwd ${r.version} (node ${r.node}), pid ${r.pid}, up ${duration(r.uptimeS * 1000)} since ${r.startedAt}`,
    `memory: rss ${mib(r.memory.rss)}, heap ${mib(r.memory.heapUsed)} used of ${mib(r.memory.heapTotal)}`,
    `listening: ${r.listeners.map((l) => `${l.address} (${l.transports.join(', ')})`).join(', ') || 'nowhere'}`,
    '',
    'Routes (servers in the order they are tried):',
  ];
  for (const route of r.routes) {
    lines.push(`  ${route.zone}  ${originText(route.origin)}${route.cache ? '' : ', not cached'}`);
    lines.push(...(route.servers.length > 0 ? serverRows(route.servers, now, '    ') : ['    no servers: answered SERVFAIL']));
  }
  if (r.special.length > 0) lines.push(`  answered here: ${r.special.map((s) => `${s.zone}: ${s.answers}`).join('; ')}`);
  lines.push('', 'Sources:');
  for (const s of r.sources) lines.push(...sourceLines(s, now));
  if (r.sources.length === 0) lines.push('  none');
  const c = r.cache;
  const ratio = c.hitRatio === null ? '-' : `${(c.hitRatio * 100).toFixed(1)}%`;
  lines.push(
    '',
    `Cache: ${c.entries} entries, ${bytes(c.bytes)}; hit ratio ${ratio} (${c.hits} hits, ${c.misses} misses); ` +
      `${c.stale} stale answers served, ${c.prefetches} prefetches, ${c.coalesced} coalesced`,
  );
  return lines.join('\n');
}

function sourceLines(s: SourceReport, now: number): string[] {
  if (s.files.length === 0) return [`  ${s.name}  (no file read)`];
  const rows: string[][] = [
    ['files', s.files.join(', ')],
    ['changed', s.changedAt ? when(s.changedAt, now) : '-'],
    ['servers', s.servers.join(', ') || '-'],
    ['domains', s.domains.join(', ') || '-'],
  ];
  for (const l of s.leases) {
    const expires = l.expires ? `expires ${when(l.expires, now)}` : 'expiry unknown';
    rows.push(['lease', `${l.link}: ${l.servers.join(', ') || 'no servers'}; ${expires}`]);
  }
  return [`  ${s.name}`, ...table(rows).map((l) => `    ${l}`)];
}

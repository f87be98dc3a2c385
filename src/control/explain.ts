// `dnsfwd explain NAME [TYPE]`: how the daemon would answer a name now, and how the command prints
// it. The query a client would send (RD, no DO) is built and run through what the pipeline itself
// uses: the same parse (what dnsfwd refuses), the same route lookup on the zone table in force
// (Query.route), the route's servers in the order they would be tried, and the cache entry found
// by the same key, looked at without counting a hit or moving it in the LRU. With `live`
// (`--query`), the query then goes through the real pipeline: the answer, who gave it, how long it took.
import type { Lookup } from '../cache/packet-cache.js';
import type { DnssecReport } from '../dnssec/setup.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import { Query, type AnswerNote } from '../pipeline/query.js';
import type { RouteOrigin, RouteTable } from '../route/build.js';
import { SpecialZone } from '../route/special.js';
import { beforeDeadline } from '../settle.js';
import type { SourceView } from '../sources/source.js';
import { rcode } from '../wire/header.js';
import { isProbeQuery, recursiveQuery } from '../wire/loop-probe.js';
import { rcodeName, typeName, typeNumber } from '../wire/mnemonics.js';
import { presentationToWire } from '../wire/name.js';
import { answerRecords } from '../wire/presentation.js';
import { parseQuery } from '../wire/question.js';
import {
  originReport,
  originText,
  serverReport,
  serverRows,
  when,
  zoneText,
  type OriginReport,
  type ServerReport,
} from './report-format.js';

/** What an explanation is made from: the daemon's objects, as they are now. */
export interface ExplainParts {
  readonly now: () => number;
  readonly table: RouteTable;
  readonly origins: ReadonlyMap<string, RouteOrigin>;
  readonly sources: readonly SourceView[];
  /** The cache entry for a key, without effects (AnswerCache.peek); null when the cache is off. */
  readonly peek: (key: string, now: number) => Lookup | null;
  /** For a live query. */
  readonly pipeline: Pipeline;
  /** How long a live query may take (upstream.deadline_ms, as a client's). */
  readonly deadlineMs: number;
  /** What DNSSEC validation knows of a name (wire) on a route that validates or not; null when it is off. */
  readonly dnssec?: (name: Uint8Array, routeValidates: boolean) => DnssecReport | null;
}

/** An answer: its RCODE and records in presentation form. */
export interface AnswerReport {
  readonly rcode: string;
  readonly records: readonly string[];
}

export type CacheReport =
  | { readonly state: 'off' }
  | { readonly state: 'miss' }
  | {
      readonly state: 'fresh' | 'stale';
      /** positive, negative (NXDOMAIN or no records), servfail. */
      readonly kind: string;
      readonly rcode: string;
      /** The TTL a client would be given now (the lowest of its records'); 0 once expired. */
      readonly ttl: number;
      readonly storedAt: string;
      readonly expiresAt: string;
      readonly prefetching: boolean;
      /** The AD bit the answer is stored with: DNSSEC secure. */
      readonly ad: boolean;
    };

export interface LiveReport extends AnswerReport {
  /** The server that answered, or cache, stale, coalesced, local; null when nothing did (SERVFAIL). */
  readonly from: string | null;
  readonly route: string | null;
  readonly ms: number;
  /** AD in the reply (the query asks for it, RFC 6840 §5.7): DNSSEC secure. */
  readonly ad: boolean;
}

export interface ExplainReport {
  /** The process that answered: in a cluster, the worker whose cache and server states these are. */
  readonly pid: number;
  readonly name: string;
  readonly type: string;
  /** forward: to the route's servers; local: answered by dnsfwd itself; refused: never forwarded. */
  readonly decision: 'forward' | 'local' | 'refused';
  /** Why it is refused, for `refused`. */
  readonly why: string | null;
  readonly route: { readonly zone: string; readonly origin: OriginReport; readonly cache: boolean } | null;
  /** In the order they would be tried now. */
  readonly servers: readonly ServerReport[];
  /** What dnsfwd answers itself, for `local` and `refused`. */
  readonly answer: AnswerReport | null;
  readonly cached: CacheReport;
  readonly live: LiveReport | null;
  readonly dnssec: DnssecReport | null;
}

/**
 * The query a client would send for `name` (lower case, no trailing dot, '' the root) and `type`:
 * RD set, no EDNS; and AD, which asks for the AD bit in the answer (RFC 6840 §5.7) without
 * changing the cache key.
 */
export function clientQuery(name: string, type: number): Buffer {
  const qname = presentationToWire(name);
  if (qname.length > 255) throw new Error(`explain: "${name}" is longer than 255 bytes in wire format`);
  const q = recursiveQuery(qname, type);
  q[3] = q[3]! | 0x20;
  return q;
}

/**
 * How `name` `typeText` is answered now; with `live`, also the answer the pipeline gives (not for
 * a refused query: nothing would be asked). Throws on a bad TYPE or name, with one line.
 */
export async function explainQuery(name: string, typeText: string, live: boolean, p: ExplainParts): Promise<ExplainReport> {
  const type = typeNumber(typeText);
  if (type === null) throw new Error(`explain: "${typeText}" is not a record type: use a name such as A, AAAA, MX, SRV, PTR or TYPE65`);
  const bytes = clientQuery(name, type);
  const parsed = parseQuery(bytes);
  const base = { pid: process.pid, name: zoneText(name), type: typeName(type) };
  if (parsed.kind !== 'query') {
    // What dnsfwd refuses before any route (a zone transfer, class CH): nothing is asked, with --query either.
    const rcodeText = parsed.kind === 'error' ? rcodeName(parsed.rcode) : 'none (dropped)';
    return { ...base, decision: 'refused', why: parsed.why, route: null, servers: [], answer: { rcode: rcodeText, records: [] }, cached: { state: 'miss' }, live: null, dnssec: null };
  }
  const q = new Query(bytes, parsed.question, 'udp', p.now() + p.deadlineMs, p.table);
  const cached = cacheReport(p.peek(q.key, p.now()), p.now());
  let report: Omit<ExplainReport, 'live' | 'dnssec'>;
  if (isProbeQuery(bytes)) {
    const why = 'a loop probe of dnsfwd: one that reaches it has come back round a loop';
    report = { ...base, decision: 'refused', why, route: null, servers: [], answer: { rcode: 'REFUSED', records: [] }, cached };
  } else {
    const route = q.route;
    const g = route.group;
    const where = { zone: zoneText(route.zone), origin: originReport(p.origins.get(route.zone), p.sources), cache: route.cache };
    report =
      g instanceof SpecialZone
        ? { ...base, decision: 'local', why: null, route: where, servers: [], answer: answerReport(g.answer(bytes, parsed.question)), cached }
        : { ...base, decision: 'forward', why: null, route: where, servers: g.servers().map(serverReport), answer: null, cached };
  }
  const liveReport = live ? await liveQuery(bytes, parsed.question, p) : null;
  const forwarded = report.decision === 'forward';
  const dnssec = p.dnssec?.(presentationToWire(name), forwarded && (q.route.dnssec ?? false)) ?? null;
  return { ...report, live: liveReport, dnssec: forwarded ? dnssec : null };
}

function answerReport(reply: Buffer): AnswerReport {
  return { rcode: rcodeName(rcode(reply)), records: answerRecords(reply) ?? ['(the reply does not decode)'] };
}

function cacheReport(found: Lookup | null, now: number): CacheReport {
  if (found === null) return { state: 'off' };
  if (found.state === 'miss') return { state: 'miss' };
  const e = found.entry;
  const age = Math.floor((now - e.storedAt) / 1000);
  let ttl = e.ttlFields.length === 0 ? Math.ceil((e.expiresAt - now) / 1000) : Infinity;
  for (let i = 1; i < e.ttlFields.length; i += 2) ttl = Math.min(ttl, e.ttlFields[i]! - age);
  return {
    state: found.state,
    kind: e.kind,
    rcode: rcodeName(rcode(e.bytes)),
    ttl: Math.max(0, ttl),
    storedAt: new Date(e.storedAt).toISOString(),
    expiresAt: new Date(e.expiresAt).toISOString(),
    prefetching: e.prefetching,
    ad: (e.bytes[3]! & 0x20) !== 0,
  };
}

/** The query through the real pipeline, as a client's over UDP: the answer, who gave it, the time it took. */
async function liveQuery(bytes: Buffer, question: Query['question'], p: ExplainParts): Promise<LiveReport> {
  const note: AnswerNote = {};
  const started = performance.now();
  const pending = Promise.resolve(p.pipeline.answer(bytes, question, 'udp', p.now() + p.deadlineMs, undefined, note));
  const reply = await beforeDeadline<Buffer | null>(pending, p.deadlineMs, () => ({ value: null })).catch(() => null);
  const ms = Math.round((performance.now() - started) * 10) / 10;
  const answer = reply === null ? { rcode: 'SERVFAIL', records: [] } : answerReport(reply);
  return { ...answer, from: reply === null ? null : (note.from ?? null), route: note.route ?? null, ms, ad: reply !== null && (reply[3]! & 0x20) !== 0 };
}

/**
 * The explanation as a person reads it (without a final newline). In a cluster the primary asks
 * the first worker only (the routes are the same in every worker; the cache and server states
 * are that worker's: `pid`).
 */
export function formatExplain(result: unknown): string {
  const r = result as ExplainReport;
  const now = Date.now();
  const lines = [`${r.name} ${r.type}`];
  if (r.decision === 'refused') lines.push(`  refused: ${r.why ?? ''}`);
  const uncached = r.decision === 'forward' && r.route?.cache === false ? ', not cached' : '';
  if (r.route) lines.push(`  route: ${r.route.zone} — ${originText(r.route.origin)}${uncached}`);
  if (r.decision === 'forward') {
    if (r.servers.length === 0) lines.push('  no servers: answered SERVFAIL');
    else lines.push('  servers, in the order they would be tried now:', ...serverRows(r.servers, now, '    '));
  }
  if (r.answer) lines.push(`  answered here: ${r.answer.rcode}`, ...r.answer.records.map((x) => `    ${x}`));
  lines.push(`  cache: ${cacheText(r.cached, now)}`);
  if (r.live) {
    const l = r.live;
    lines.push(`  live query: ${l.rcode}${l.ad ? ' (AD: DNSSEC secure)' : ''} in ${l.ms} ms from ${l.from ?? 'nobody'}${l.route ? ` (route ${l.route})` : ''}`);
    lines.push(...(l.records.length > 0 ? l.records.map((x) => `    ${x}`) : ['    (no answer records)']));
  }
  if (r.dnssec) lines.push(...dnssecLines(r.dnssec, now));
  return lines.join('\n');
}

function dnssecLines(d: DnssecReport, now: number): string[] {
  if (!d.validated) return [`  dnssec: ${d.mode}, not validated: ${d.why ?? ''}`];
  const steps = d.chain.map((c) => `    ${c.name}: ${c.state}${c.zone !== c.name ? ` (in zone ${c.zone})` : ''}${c.why ? `: ${c.why}` : ''}, kept ${when(new Date(c.until * 1000).toISOString(), now)}`);
  return [`  dnssec: ${d.mode}, validated; the chain of trust known now:`, ...(steps.length ? steps : ['    (nothing yet: ask with --query)'])];
}

function cacheText(c: CacheReport, now: number): string {
  if (c.state === 'off' || c.state === 'miss') return c.state === 'off' ? 'off (cache size 0)' : 'not cached';
  const what = c.kind === 'positive' ? c.rcode : `${c.kind} ${c.rcode}`;
  if (c.state === 'stale') return `stale ${what}: expired ${when(c.expiresAt, now)}, served only if the servers fail`;
  return `${what}${c.ad ? ' (AD: DNSSEC secure)' : ''}, TTL ${c.ttl} s left (stored ${when(c.storedAt, now)})${c.prefetching ? ', being refreshed' : ''}`;
}

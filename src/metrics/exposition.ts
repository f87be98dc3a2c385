// A MetricsSnapshot in Prometheus's text exposition format 0.0.4: one HELP and one TYPE line per
// family, label values escaped, histograms as cumulative `_bucket` lines up to le="+Inf" with
// `_sum` and `_count`. Names follow CoreDNS's where it has one (coredns_dns_requests_total →
// dnsfwd_requests_total, ...); the process families are those every Prometheus client exports.
import { FAILURE_KINDS, RTT_BUCKETS_S } from '../upstream/server-stats.js';
import { dnsfwdVersion } from '../version.js';
import { DURATION_BUCKETS_S, RCODE_LABELS, TRANSPORTS, TYPE_LABELS } from './requests.js';
import type { ForwardSnapshot, MetricsSnapshot } from './snapshot.js';

/** The Content-Type of the text format. */
export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  readonly labels?: Labels;
  readonly value: number;
}

export interface HistogramSeries {
  readonly labels?: Labels;
  /** Observations per bucket of `bounds`, not cumulative, with one more slot for those above the last bound. */
  readonly counts: readonly number[];
  readonly sum: number;
}

/** What dnsfwd's build is, for dnsfwd_build_info. */
export interface BuildInfo {
  readonly version: string;
  readonly node: string;
}

let build: BuildInfo | undefined;

/** This process's dnsfwd and Node versions (read once). */
export function buildInfo(): BuildInfo {
  return (build ??= { version: dnsfwdVersion(), node: process.version });
}

/** A label value as the format writes it between double quotes: `\`, `"` and newlines escaped. */
export function escapeLabelValue(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** HELP text: `\` and newlines escaped. */
function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'));
}

/** A sample value: Go's spelling of the infinities, else JavaScript's shortest round trip (NaN is NaN in both). */
export function formatValue(v: number): string {
  if (v === Infinity) return '+Inf';
  return v === -Infinity ? '-Inf' : String(v);
}

function labelText(labels: Labels | undefined): string {
  if (!labels) return '';
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function header(name: string, type: string, help: string): string {
  return `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`;
}

/** A counter or gauge family. */
export function family(name: string, type: 'counter' | 'gauge', help: string, samples: readonly Sample[]): string {
  return header(name, type, help) + samples.map((s) => `${name}${labelText(s.labels)} ${formatValue(s.value)}\n`).join('');
}

/** A histogram family: per series, cumulative buckets for `bounds` and +Inf, then _sum and _count. */
export function histogram(name: string, help: string, bounds: readonly number[], series: readonly HistogramSeries[]): string {
  let out = header(name, 'histogram', help);
  for (const s of series) {
    let total = 0;
    const le = (bound: string) => labelText({ ...s.labels, le: bound });
    for (const [i, bound] of bounds.entries()) {
      total += s.counts[i] ?? 0;
      out += `${name}_bucket${le(formatValue(bound))} ${total}\n`;
    }
    total += s.counts[bounds.length] ?? 0;
    out += `${name}_bucket${le('+Inf')} ${total}\n`;
    out += `${name}_sum${labelText(s.labels)} ${formatValue(s.sum)}\n`;
    out += `${name}_count${labelText(s.labels)} ${total}\n`;
  }
  return out;
}

/** The whole exposition of `m`. */
export function render(m: MetricsSnapshot, build: BuildInfo): string {
  return [
    family('dnsfwd_build_info', 'gauge', 'dnsfwd version and the Node.js version it runs on.', [{ labels: { ...build }, value: 1 }]),
    ...requestFamilies(m),
    ...cacheFamilies(m),
    ...clientFamilies(m),
    ...forwardFamilies(m.forward),
    family('dnsfwd_source_servers', 'gauge', 'Servers each source of the default route gives now.', m.sources.map((s) => ({ labels: { source: s.source }, value: s.servers }))),
    ...processFamilies(m),
  ].join('');
}

function requestFamilies(m: MetricsSnapshot): string[] {
  const r = m.requests;
  const requests: Sample[] = [];
  for (const [t, transport] of TRANSPORTS.entries()) {
    for (const [i, type] of TYPE_LABELS.entries()) {
      const value = r.requests[t * TYPE_LABELS.length + i] ?? 0;
      if (value > 0) requests.push({ labels: { transport, type }, value });
    }
  }
  const responses = RCODE_LABELS.flatMap((rcode, i) => (r.responses[i] ? [{ labels: { rcode }, value: r.responses[i] }] : []));
  return [
    family('dnsfwd_requests_total', 'counter', 'Queries read from clients, by transport and query type.', requests),
    family('dnsfwd_responses_total', 'counter', 'Replies sent to clients, by RCODE.', responses),
    histogram('dnsfwd_request_duration_seconds', 'Time a reply waited for (0 for one made at once, such as a cache hit).', DURATION_BUCKETS_S, [
      { counts: r.durationCounts, sum: r.durationSumS },
    ]),
  ];
}

function cacheFamilies(m: MetricsSnapshot): string[] {
  const c = m.cache;
  return [
    family('dnsfwd_cache_entries', 'gauge', 'Answers in the cache.', [{ value: c.entries }]),
    family('dnsfwd_cache_bytes', 'gauge', 'Bytes the cached answers hold.', [{ value: c.bytes }]),
    family('dnsfwd_cache_hits_total', 'counter', 'Queries answered from the cache.', [{ value: c.hits }]),
    family('dnsfwd_cache_misses_total', 'counter', 'Queries the cache could not answer.', [{ value: c.misses }]),
    family('dnsfwd_cache_served_stale_total', 'counter', 'Expired answers served because every server failed (RFC 8767).', [{ value: c.stale }]),
    family('dnsfwd_cache_prefetch_total', 'counter', 'Cached answers refreshed before they expired.', [{ value: c.prefetches }]),
    family('dnsfwd_coalesced_total', 'counter', "Queries answered by another identical query's upstream trip.", [{ value: m.coalesced }]),
  ];
}

function clientFamilies(m: MetricsSnapshot): string[] {
  const c = m.clients;
  return [
    family('dnsfwd_access_refused_total', 'counter', 'Queries answered REFUSED by access control.', [{ value: c.refused }]),
    family('dnsfwd_access_dropped_total', 'counter', 'Queries (UDP) and connections (TCP) dropped by access control.', [{ value: c.dropped }]),
    family('dnsfwd_rate_limited_total', 'counter', 'UDP responses over the rate limit: sent empty with TC=1 (truncate) or not sent (drop).', [
      { labels: { action: 'truncate' }, value: c.rateLimitedTruncated },
      { labels: { action: 'drop' }, value: c.rateLimitedDropped },
    ]),
    family('dnsfwd_loop_queries_total', 'counter', "Queries that came from dnsfwd's own upstream sockets (a forwarding loop), answered SERVFAIL.", [{ value: c.fromOurselves }]),
  ];
}

function forwardFamilies(forward: readonly ForwardSnapshot[]): string[] {
  const pair = (f: ForwardSnapshot): Labels => ({ route: f.route, server: f.server });
  return [
    family('dnsfwd_forward_requests_total', 'counter', 'Queries sent to each server of each route.', forward.map((f) => ({ labels: pair(f), value: f.requests }))),
    family('dnsfwd_forward_answers_total', 'counter', 'Replies used from each server of each route (any RCODE but SERVFAIL and REFUSED).', forward.map((f) => ({ labels: pair(f), value: f.answers }))),
    family(
      'dnsfwd_forward_failures_total',
      'counter',
      'Failed exchanges with each server of each route, by kind.',
      forward.flatMap((f) => FAILURE_KINDS.map((kind) => ({ labels: { ...pair(f), kind }, value: f.failures[kind] }))),
    ),
    histogram('dnsfwd_forward_rtt_seconds', 'Time each server of each route took to reply.', RTT_BUCKETS_S, forward.map((f) => ({ labels: pair(f), counts: f.rttCounts, sum: f.rttSumS }))),
    family('dnsfwd_forward_server_up', 'gauge', 'Whether the server is tried in its place (1), or is down or loops back to dnsfwd (0).', forward.map((f) => ({ labels: pair(f), value: f.up ? 1 : 0 }))),
  ];
}

function processFamilies(m: MetricsSnapshot): string[] {
  const p = m.process;
  return [
    family('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', [{ value: p.residentBytes }]),
    family('process_heap_bytes', 'gauge', 'V8 heap size in bytes.', [{ value: p.heapBytes }]),
    family('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.', [{ value: p.cpuSeconds }]),
    family('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.', [{ value: p.startTimeSeconds }]),
    ...(p.openFds === null ? [] : [family('process_open_fds', 'gauge', 'Number of open file descriptors.', [{ value: p.openFds }])]),
  ];
}

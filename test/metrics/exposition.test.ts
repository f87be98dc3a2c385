// The text format: label values and HELP escaped, values spelled as Go spells them, histograms as
// cumulative buckets up to +Inf with _sum and _count, and the whole exposition of a snapshot.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { buildInfo, escapeLabelValue, family, formatValue, histogram, render } from '../../src/metrics/exposition.js';
import { RequestCounters, TYPE_LABELS } from '../../src/metrics/requests.js';
import type { ForwardSnapshot, MetricsSnapshot } from '../../src/metrics/snapshot.js';
import { RTT_BUCKETS_S } from '../../src/upstream/server-stats.js';
import { ROOT } from '../helpers/tools.js';

t.test('label values: backslash, double quote and newline escaped, nothing else', async (t) => {
  t.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  t.equal(escapeLabelValue("dhclient:/var/lib/dhcp/*.leases 'x' é\t"), "dhclient:/var/lib/dhcp/*.leases 'x' é\t");
  t.equal(family('x_total', 'counter', 'h', [{ labels: { source: 'a"b\\c\nd' }, value: 1 }]).split('\n')[2], 'x_total{source="a\\"b\\\\c\\nd"} 1');
});

t.test('HELP and TYPE lines; HELP escapes backslash and newline', async (t) => {
  t.equal(family('x', 'gauge', 'one\\two\nthree', [{ value: 2 }]), '# HELP x one\\\\two\\nthree\n# TYPE x gauge\nx 2\n');
  t.equal(family('y_total', 'counter', 'none yet', []), '# HELP y_total none yet\n# TYPE y_total counter\n', 'a family without samples keeps its HELP and TYPE');
});

t.test('values: integers and floats as JavaScript spells them, the infinities and NaN as Go does', async (t) => {
  t.equal(formatValue(42), '42');
  t.equal(formatValue(0.00025), '0.00025');
  t.equal(formatValue(1e21), '1e+21');
  t.equal(formatValue(Infinity), '+Inf');
  t.equal(formatValue(-Infinity), '-Inf');
  t.equal(formatValue(NaN), 'NaN');
});

t.test('a histogram: cumulative buckets, +Inf holding them all, _sum and _count, labels kept', async (t) => {
  const text = histogram('h_seconds', 'help', [0.1, 1], [{ labels: { route: '.' }, counts: [2, 3, 4], sum: 7.5 }]);
  t.equal(
    text,
    [
      '# HELP h_seconds help',
      '# TYPE h_seconds histogram',
      'h_seconds_bucket{route=".",le="0.1"} 2',
      'h_seconds_bucket{route=".",le="1"} 5',
      'h_seconds_bucket{route=".",le="+Inf"} 9',
      'h_seconds_sum{route="."} 7.5',
      'h_seconds_count{route="."} 9',
      '',
    ].join('\n'),
  );
  t.match(histogram('h', 'x', [1], [{ counts: [0, 0], sum: 0 }]), /^h_bucket\{le="1"\} 0\nh_bucket\{le="\+Inf"\} 0\nh_sum 0\nh_count 0\n$/m, 'no labels: le alone');
});

const forward = (over: Partial<ForwardSnapshot> = {}): ForwardSnapshot => ({
  route: '.',
  server: '192.0.2.1:53',
  up: true,
  requests: 5,
  answers: 4,
  failures: { timeout: 1, refused: 0, servfail: 0, unreachable: 0, other: 0 },
  rttCounts: Array.from({ length: RTT_BUCKETS_S.length + 1 }, (_, i) => (i === 3 ? 4 : 0)),
  rttSumS: 0.012,
  ...over,
});

function snapshot(): MetricsSnapshot {
  const r = new RequestCounters();
  r.request('udp', 1);
  r.request('udp', 1);
  r.request('tcp', 28);
  r.request('udp', 99);
  r.response(0, 0.1);
  r.response(3, 2);
  return {
    requests: r.snapshot(),
    cache: { entries: 7, bytes: 900, hits: 3, misses: 2, stale: 1, prefetches: 0 },
    coalesced: 4,
    clients: { refused: 1, dropped: 2, rateLimitedTruncated: 3, rateLimitedDropped: 4, fromOurselves: 5 },
    forward: [forward(), forward({ route: 'consul', server: '127.0.0.1:8600', up: false })],
    sources: [{ source: 'dhclient:/var/lib/dhcp/dhclient*.leases', servers: 2 }],
    process: { residentBytes: 1000, heapBytes: 500, cpuSeconds: 1.5, startTimeSeconds: 1700000000.5, openFds: null },
  };
}

t.test('render: every family once with HELP and TYPE, the samples of the snapshot', async (t) => {
  const text = render(snapshot(), { version: '1.2.3', node: 'v20.0.0' });
  const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => m[1]);
  const helps = [...text.matchAll(/^# HELP (\S+) /gm)].map((m) => m[1]);
  t.same(helps, types, 'a HELP line before each TYPE line');
  t.equal(new Set(types).size, types.length, 'each family once');
  for (const line of [
    'dnsfwd_build_info{version="1.2.3",node="v20.0.0"} 1',
    'dnsfwd_requests_total{transport="udp",type="A"} 2',
    'dnsfwd_requests_total{transport="tcp",type="AAAA"} 1',
    'dnsfwd_requests_total{transport="udp",type="other"} 1',
    'dnsfwd_responses_total{rcode="NOERROR"} 1',
    'dnsfwd_responses_total{rcode="NXDOMAIN"} 1',
    'dnsfwd_request_duration_seconds_bucket{le="0.00025"} 1',
    'dnsfwd_request_duration_seconds_bucket{le="0.002"} 2',
    'dnsfwd_request_duration_seconds_count 2',
    'dnsfwd_request_duration_seconds_sum 0.0021',
    'dnsfwd_cache_entries 7',
    'dnsfwd_cache_bytes 900',
    'dnsfwd_cache_hits_total 3',
    'dnsfwd_cache_misses_total 2',
    'dnsfwd_cache_served_stale_total 1',
    'dnsfwd_cache_prefetch_total 0',
    'dnsfwd_coalesced_total 4',
    'dnsfwd_access_refused_total 1',
    'dnsfwd_access_dropped_total 2',
    'dnsfwd_rate_limited_total{action="truncate"} 3',
    'dnsfwd_rate_limited_total{action="drop"} 4',
    'dnsfwd_loop_queries_total 5',
    'dnsfwd_forward_requests_total{route=".",server="192.0.2.1:53"} 5',
    'dnsfwd_forward_answers_total{route=".",server="192.0.2.1:53"} 4',
    'dnsfwd_forward_failures_total{route=".",server="192.0.2.1:53",kind="timeout"} 1',
    'dnsfwd_forward_failures_total{route="consul",server="127.0.0.1:8600",kind="unreachable"} 0',
    'dnsfwd_forward_rtt_seconds_bucket{route=".",server="192.0.2.1:53",le="0.001"} 0',
    'dnsfwd_forward_rtt_seconds_bucket{route=".",server="192.0.2.1:53",le="0.002"} 4',
    'dnsfwd_forward_rtt_seconds_bucket{route=".",server="192.0.2.1:53",le="+Inf"} 4',
    'dnsfwd_forward_rtt_seconds_sum{route=".",server="192.0.2.1:53"} 0.012',
    'dnsfwd_forward_server_up{route=".",server="192.0.2.1:53"} 1',
    'dnsfwd_forward_server_up{route="consul",server="127.0.0.1:8600"} 0',
    'dnsfwd_source_servers{source="dhclient:/var/lib/dhcp/dhclient*.leases"} 2',
    'process_resident_memory_bytes 1000',
    'process_heap_bytes 500',
    'process_cpu_seconds_total 1.5',
    'process_start_time_seconds 1700000000.5',
  ]) {
    t.ok(text.split('\n').includes(line), line);
  }
  t.notMatch(text, /dnsfwd_requests_total\{transport="tcp",type="A"\}/, 'a (transport, type) never seen is left out');
  t.notMatch(text, /rcode="SERVFAIL"/, 'an RCODE never sent is left out');
  t.notMatch(text, /process_open_fds/, 'open descriptors left out when /proc/self/fd cannot be read');
  t.match(render({ ...snapshot(), process: { ...snapshot().process, openFds: 12 } }, { version: '1', node: 'v' }), /^process_open_fds 12$/m);
  t.equal(TYPE_LABELS.at(-1), 'other');
});

t.test("buildInfo: this dnsfwd's version (package.json's in the tsc build) and Node's", async (t) => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  t.same(buildInfo(), { version: pkg.version, node: process.version });
});

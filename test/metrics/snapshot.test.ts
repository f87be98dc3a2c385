// Snapshots: this process's figures, and a cluster's workers summed into one.
import t from 'tap';
import { RequestCounters } from '../../src/metrics/requests.js';
import { processSnapshot, sumSnapshots, type ForwardSnapshot, type MetricsSnapshot, type ProcessSnapshot } from '../../src/metrics/snapshot.js';

const proc = (over: Partial<ProcessSnapshot> = {}): ProcessSnapshot => ({
  residentBytes: 100,
  heapBytes: 10,
  cpuSeconds: 1,
  startTimeSeconds: 2000,
  openFds: 5,
  ...over,
});

const pair = (route: string, requests: number, up = true): ForwardSnapshot => ({
  route,
  server: '192.0.2.1:53',
  up,
  requests,
  answers: requests - 1,
  failures: { timeout: 1, refused: 0, servfail: 2, unreachable: 0, other: 0 },
  rttCounts: [requests, 0, 1],
  rttSumS: requests / 10,
});

function part(queries: number, forward: ForwardSnapshot[], sources = [{ source: 's', servers: 2 }]): MetricsSnapshot {
  const r = new RequestCounters();
  for (let i = 0; i < queries; i++) {
    r.request('udp', 1);
    r.response(0, 1);
  }
  return {
    requests: r.snapshot(),
    cache: { entries: queries, bytes: 10 * queries, hits: 1, misses: queries - 1, stale: 0, prefetches: 1 },
    coalesced: 2,
    clients: { refused: 1, dropped: 0, rateLimitedTruncated: 0, rateLimitedDropped: 0, fromOurselves: 0 },
    forward,
    sources,
    process: proc(),
  };
}

t.test("workers' counters summed; a pair up only while every worker has it up", async (t) => {
  const a = part(3, [pair('.', 3), pair('consul', 1)]);
  const b = part(4, [pair('consul', 2, false), pair('.', 5), pair('lan', 7)], [{ source: 's', servers: 9 }]);
  const s = sumSnapshots([a, b], [proc({ startTimeSeconds: 1000, openFds: 3 }), a.process, b.process]);
  t.equal(s.requests.requests[0], 7);
  t.equal(s.requests.responses[0], 7);
  t.equal(s.requests.durationSumS, 0.007);
  t.equal(s.requests.durationCounts.reduce((x, y) => x + y, 0), 7);
  t.same(s.cache, { entries: 7, bytes: 70, hits: 2, misses: 5, stale: 0, prefetches: 2 });
  t.equal(s.coalesced, 4);
  t.equal(s.clients.refused, 2);
  t.same(
    s.forward.map((f) => [f.route, f.requests, f.answers, f.failures.servfail, f.rttCounts, f.rttSumS, f.up]),
    [
      ['.', 8, 6, 4, [8, 0, 2], 0.8, true],
      ['consul', 3, 1, 4, [3, 0, 2], 0.30000000000000004, false],
      ['lan', 7, 6, 2, [7, 0, 1], 0.7, true],
    ],
  );
  t.same(s.sources, [{ source: 's', servers: 2 }], "the sources as the first worker has them, not summed");
  t.same(s.process, { residentBytes: 300, heapBytes: 30, cpuSeconds: 3, startTimeSeconds: 1000, openFds: 13 });
  t.equal(sumSnapshots([a], [a.process, proc({ openFds: null })]).process.openFds, null, 'descriptors unknown in one process: left out');
  t.throws(() => sumSnapshots([], []), /no snapshot/);
});

t.test('this process: memory, CPU, start time and descriptors now', async (t) => {
  const p = processSnapshot();
  t.ok(p.residentBytes > 1e6 && p.heapBytes > 1e5, 'memory');
  t.ok(p.cpuSeconds > 0, 'CPU time');
  const started = Date.now() / 1000 - process.uptime();
  t.ok(Math.abs(p.startTimeSeconds - started) < 1, `start time ${p.startTimeSeconds} ~ ${started}`);
  t.ok(p.openFds !== null && p.openFds >= 3, `open descriptors: ${p.openFds}`);
});

// A cluster's metrics over the IPC channel: a worker answers the primary's request with its
// snapshot, ignoring other messages; the primary collects one snapshot per worker, in order, and
// fails when a worker does not reply in time or exits first.
import { EventEmitter } from 'node:events';
import type { Worker } from 'node:cluster';
import t from 'tap';
import { answerMetricsRequests, clusterMetricsText, workerSnapshots } from '../../src/metrics/cluster.js';
import { RequestCounters } from '../../src/metrics/requests.js';
import type { MetricsSnapshot } from '../../src/metrics/snapshot.js';

function snapshot(queries: number): MetricsSnapshot {
  const r = new RequestCounters();
  for (let i = 0; i < queries; i++) r.request('udp', 1);
  return {
    requests: r.snapshot(),
    cache: { entries: 0, bytes: 0, hits: 0, misses: queries, stale: 0, prefetches: 0 },
    coalesced: 0,
    clients: { refused: 0, dropped: 0, rateLimitedTruncated: 0, rateLimitedDropped: 0, fromOurselves: 0 },
    forward: [],
    sources: [],
    process: { residentBytes: 1, heapBytes: 1, cpuSeconds: 1, startTimeSeconds: 1, openFds: 1 },
  };
}

type Asked = { type: string; id: number };

/** A stand-in for a cluster Worker: `reply` decides what it sends back for each request. */
function fakeWorker(pid: number, reply: (ask: Asked, w: EventEmitter) => void): Worker {
  const w = new EventEmitter() as EventEmitter & { process: { pid: number }; send: (m: Asked) => boolean };
  w.process = { pid };
  w.send = (m) => (setImmediate(() => reply(m, w)), true);
  return w as unknown as Worker;
}

t.test('the primary: one snapshot per worker, in order; other messages and other requests ignored', async (t) => {
  const answering = (queries: number) =>
    fakeWorker(100 + queries, (ask, w) => {
      w.emit('message', 'dnsfwd:started');
      w.emit('message', { type: 'dnsfwd:metrics', id: ask.id + 1000, snapshot: snapshot(99) });
      w.emit('message', { type: 'other', id: ask.id, snapshot: snapshot(98) });
      w.emit('message', { type: 'dnsfwd:metrics', id: ask.id, snapshot: snapshot(queries) });
    });
  const got = await workerSnapshots([answering(2), answering(5)]);
  t.same(got.map((s) => s.cache.misses), [2, 5]);
  const text = await clusterMetricsText([answering(3), answering(4)]);
  t.match(text, /^dnsfwd_requests_total\{transport="udp",type="A"\} 7$/m, 'the sum');
  t.match(text, /^dnsfwd_cache_misses_total 7$/m);
  await t.rejects(clusterMetricsText([]), /no worker has started yet/);
});

t.test('the primary: a worker that does not reply in time, or exits, fails the scrape', async (t) => {
  const silent = fakeWorker(7, () => {});
  await t.rejects(workerSnapshots([silent], 30), /worker 7 sent no metrics within 30 ms/);
  const dying = fakeWorker(8, (_ask, w) => w.emit('exit', 1));
  await t.rejects(workerSnapshots([dying], 10_000), /worker 8 exited before sending its metrics/);
  t.equal(silent.listenerCount('message') + dying.listenerCount('message') + dying.listenerCount('exit'), 0, 'listeners removed');
});

t.test('a worker: answers the primary with its snapshot, and nothing else', async (t) => {
  const sent: unknown[] = [];
  const realSend = process.send;
  process.send = ((m: unknown) => (sent.push(m), true)) as typeof process.send;
  const before = process.listeners('message');
  t.teardown(() => {
    process.send = realSend;
    for (const l of process.listeners('message')) if (!before.includes(l)) process.off('message', l);
  });
  answerMetricsRequests(() => snapshot(6));
  process.emit('message', 'dnsfwd:started', undefined);
  process.emit('message', { type: 'dnsfwd:metrics', id: 3 }, undefined);
  t.same(sent, [], 'not a request: no reply');
  process.emit('message', { type: 'dnsfwd:metrics?', id: 42 }, undefined);
  t.match(sent, [{ type: 'dnsfwd:metrics', id: 42, snapshot: { cache: { misses: 6 } } }]);
});

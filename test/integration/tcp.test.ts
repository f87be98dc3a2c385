// TCP serving (RFC 7766): several queries on one connection, answers as they complete (out of
// order), the idle timeout, and the cap on open connections (busy ones: an idle one would make room).
import { writeFileSync } from 'node:fs';
import t from 'tap';
import { startDnsfwd } from '../helpers/daemon.js';
import { aRecord, startFake } from '../helpers/fake-upstream.js';
import { query } from '../helpers/packets.js';
import { freePort } from '../helpers/ports.js';
import { TcpClient } from '../helpers/tcp-client.js';
import { readId } from '../../src/wire/header.js';

const LISTEN = '127.0.3.1';
const UP = '127.0.3.2';
const upPort = await freePort(UP);
/** The answer to `slow.example` waits until the test releases it. */
let releaseSlow = () => {};
const slowHeld = new Promise<void>((resolve) => (releaseSlow = resolve));
/** The answers to `held*` names wait until the cap test is done. */
let releaseHeld = () => {};
const held = new Promise<void>((resolve) => (releaseHeld = resolve));
const up = await startFake({
  address: UP,
  port: upPort,
  answer: (name) => ({ answers: [aRecord(name, '10.3.0.1')], ...(name.startsWith('slow') ? { heldUntil: slowHeld } : name.startsWith('held') ? { heldUntil: held } : {}) }),
});
/** Generous slack for what the configured 500 ms idle timeout bounds. */
const SLACK_MS = 10_000;
const port = await freePort(LISTEN);
const dir = t.testdir({
  'dnsfwd.yaml': [
    `listen: ["${LISTEN}:${port}"]`,
    'routes: []',
    `default: { sources: [], servers: ["${UP}:${upPort}"] }`,
    'server: { tcp_idle_timeout_ms: 500, tcp_max_connections: 3 }',
    // The held queries of the cap test stay in progress: no attempt timeout or deadline ends them first.
    'upstream: { timeout_ms: 30000, deadline_ms: 30000 }',
    '',
  ].join('\n'),
});
const daemon = await startDnsfwd(['--config', `${dir}/dnsfwd.yaml`]);
t.teardown(async () => {
  await daemon.stop();
  await up.close();
});

t.test('pipelined queries on one connection; the fast answer overtakes the slow one', async (t) => {
  const c = await TcpClient.connect(LISTEN, port);
  t.teardown(() => c.destroy());
  c.send(query('slow.example', 'A', { id: 1 }), query('fast.example', 'A', { id: 2 }), query('fast2.example', 'A', { id: 3 }));
  t.same((await c.waitReplies(2, SLACK_MS)).map(readId), [2, 3], 'the fast answers, while the slow one is held upstream');
  releaseSlow();
  t.same((await c.waitReplies(3, SLACK_MS)).map(readId), [2, 3, 1], 'answers leave in completion order');
  c.send(query('again.example', 'A', { id: 4 }));
  t.equal(readId((await c.waitReplies(4))[3]!), 4, 'the connection stays open for more queries');
});

t.test('a query split across writes byte by byte is still answered', async (t) => {
  const c = await TcpClient.connect(LISTEN, port);
  t.teardown(() => c.destroy());
  const q = query('split.example', 'A', { id: 77 });
  const framed = Buffer.concat([Buffer.from([q.length >> 8, q.length & 255]), q]);
  for (const byte of framed) {
    c.sendRaw(Buffer.from([byte]));
    await new Promise((r) => setTimeout(r, 2));
  }
  t.equal(readId((await c.waitReplies(1))[0]!), 77);
});

t.test('an idle connection is closed after the idle timeout', async (t) => {
  const c = await TcpClient.connect(LISTEN, port);
  t.teardown(() => c.destroy());
  t.ok(await c.closedWithin(SLACK_MS), 'server closed the idle connection (timeout 500 ms)');
});

// Each of the three has a query in progress: none is idle, so none can be closed to make room.
t.test('connections beyond the cap are refused; those within it work', async (t) => {
  t.teardown(releaseHeld);
  const clients = await Promise.all([0, 1, 2].map(() => TcpClient.connect(LISTEN, port)));
  clients.forEach((c, i) => c.send(query(`held${i}.example`, 'A', { id: 20 + i })));
  await Promise.all([0, 1, 2].map((i) => up.queried(`held${i}.example`)));
  const extra = await TcpClient.connect(LISTEN, port);
  t.teardown(() => [...clients, extra].forEach((c) => c.destroy()));
  t.ok(await extra.closedWithin(SLACK_MS), 'the 4th connection was closed');
  clients[0]!.send(query('capped.example', 'A', { id: 9 }));
  t.equal(readId((await clients[0]!.waitReplies(1))[0]!), 9);
});

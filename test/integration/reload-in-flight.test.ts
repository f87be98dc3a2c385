// A reload that moves the listen address loses no query: 500 queries held in flight at a slow
// upstream, SIGHUP with a config that listens elsewhere, then every one is answered from the old
// address; the old address is closed after its last answer. And SIGUSR1's statistics line carries
// the kernel's drops on the UDP listening sockets.
import dgram from 'node:dgram';
import { writeFileSync } from 'node:fs';
import t from 'tap';
import { startDnsfwd } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { aRecord, startFake } from '../helpers/fake-upstream.js';
import { decode, query } from '../helpers/packets.js';
import { freePort } from '../helpers/ports.js';

const OLD = '127.0.63.1';
const NEW = '127.0.63.3';
const UPSTREAM = '127.0.63.2';
const QUERIES = 500;
/** Answers go out in groups, each released once the one before is received (no client buffer overflows). */
const GROUPS = 10;
const PER_GROUP = QUERIES / GROUPS;

const holds = Array.from({ length: GROUPS }, () => {
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  return { held, release };
});
const upPort = await freePort(UPSTREAM);
const up = await startFake({
  address: UPSTREAM,
  port: upPort,
  answer: (n) => {
    const m = /^held-(\d+)\./.exec(n);
    return { answers: [aRecord(n, '10.63.0.1')], ...(m ? { heldUntil: holds[Number(m[1]) % GROUPS]!.held } : {}) };
  },
});
t.teardown(() => up.close());
const oldPort = await freePort(OLD);
const newPort = await freePort(NEW);

// Upstream timeouts far beyond the test: the held answers are the ones that count.
const config = (listen: string) =>
  [
    `listen: ["${listen}"]`,
    'routes:',
    '  - zone: svc.test',
    `    servers: ["${UPSTREAM}:${upPort}"]`,
    'default: { sources: [] }',
    'upstream: { timeout_ms: 30000, deadline_ms: 30000 }',
    '',
  ].join('\n');

t.test('500 queries in flight across a reload that moves the listen address: all answered', async (t) => {
  const dir = t.testdir({ 'dnsfwd.yaml': config(`${OLD}:${oldPort}`) });
  const file = `${dir}/dnsfwd.yaml`;
  const d = await startDnsfwd(['--config', file]);
  t.teardown(() => d.stop());

  const client = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
  t.teardown(() => client.close());
  const answered = new Set<number>();
  const from = new Set<string>();
  let waiter: { n: number; resolve: () => void } | null = null;
  client.on('message', (msg, rinfo) => {
    const p = decode(msg);
    if (p.rcode === 'NOERROR' && p.answers?.length === 1) answered.add(p.id!);
    from.add(`${rinfo.address}:${rinfo.port}`);
    if (waiter && answered.size >= waiter.n) waiter.resolve();
  });
  const received = (n: number) => (answered.size >= n ? Promise.resolve() : new Promise<void>((resolve) => (waiter = { n, resolve })));

  // Sent a group at a time, each group forwarded before the next is sent (the fake's socket keeps its default buffer).
  for (let g = 0; g < GROUPS; g++) {
    const ids = Array.from({ length: PER_GROUP }, (_, i) => g * PER_GROUP + i);
    for (const id of ids) client.send(query(`held-${id}.svc.test`, 'A', { id }), oldPort, OLD);
    await Promise.all(ids.map((id) => up.queried(`held-${id}.svc.test`)));
  }
  t.equal(up.seen.length, QUERIES, 'all 500 forwarded and held at the upstream');

  writeFileSync(file, config(`${NEW}:${newPort}`));
  const since = d.logs.length;
  d.child.kill('SIGHUP');
  await d.waitForMsg('configuration reloaded', 10_000, since);
  t.match(await d.waitForMsg('not listed any more: answering the queries in flight, then closing', 10_000, since), {
    listen: [`${OLD}:${oldPort}`],
  });
  t.same((await dig(NEW, newPort, 'x.svc.test')).answers.map((r) => r.data), ['10.63.0.1'], 'the new address answers');

  const closed = d.waitForMsg('answered its last queries: closed', 30_000, since);
  for (let g = 0; g < GROUPS; g++) {
    holds[g]!.release();
    await received((g + 1) * PER_GROUP);
  }
  t.equal(answered.size, QUERIES, 'every query held across the reload was answered');
  t.same([...from], [`${OLD}:${oldPort}`], 'from the address each was sent to');
  t.match(await closed, { listen: `${OLD}:${oldPort}` });
  const after = await dig(OLD, oldPort, 'x.svc.test', { timeout: 1 });
  t.equal(after.status, 'TIMEOUT', 'then the old address listens no more');

  const statsSince = d.logs.length;
  d.child.kill('SIGUSR1');
  const stats = await d.waitForMsg('cache statistics', 10_000, statsSince);
  t.equal(stats.udpDrops, 0, 'the stats line counts the kernel drops of the UDP listening sockets: none here');
  t.ok(d.alive);
});

// `dnsfwd status` and `dnsfwd explain` against a running daemon, through the real commands and its
// control socket: a route's servers in the order they are tried, a silent server shown down after
// it timed out, answers and failures counted, a source's servers and domains once its lease file is
// written, the cache counters moving (and explain not moving them); explain names the configured
// route, a link domain's lease, the default route, a special-use name answered here, the cached
// TTL, and with --query the server that answered. JSON fields mostly; the human form's key facts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { ExplainReport } from '../../src/control/explain.js';
import type { StatusReport } from '../../src/control/status.js';
import { runDnsfwd, startDnsfwd } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { aRecord, startFake } from '../helpers/fake-upstream.js';
import { leaseBlock } from '../helpers/lease.js';
import { freePort } from '../helpers/ports.js';

// About thirty runs of the dnsfwd command, each a Node start: more than the default allows on a busy machine.
t.setTimeout(300_000);

const LISTEN = '127.0.78.1';
const SILENT = '127.0.78.2';
const CONSUL = '127.0.78.3';
/** The lease's nameserver: port 53, as lease files name servers. */
const LAN = '127.0.78.4';

const silentPort = await freePort(SILENT);
const silent = await startFake({ address: SILENT, port: silentPort, answer: () => 'silent' });
t.teardown(() => silent.close());
const consulPort = await freePort(CONSUL);
const consul = await startFake({ address: CONSUL, port: consulPort, answer: (n) => ({ answers: [aRecord(n, '10.0.0.5', 60)] }) });
t.teardown(() => consul.close());
const lan = await startFake({ address: LAN, port: 53, answer: (n) => ({ answers: [aRecord(n, '10.4.0.1', 60)] }) });
t.teardown(() => lan.close());

const dir = mkdtempSync(join(tmpdir(), 'dnsfwd-views-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
// A long down time: the silent server stays down for the whole test, however slow the machine.
writeFileSync(join(dir, 'dnsfwd.yaml'), 'upstream:\n  timeout_ms: 500\n  down_ms: 600000\n');
const leaseFile = join(dir, 'dhclient.eth0.leases');
const port = await freePort(LISTEN);
const daemon = await startDnsfwd([
  '--config', join(dir, 'dnsfwd.yaml'),
  '--listen', `${LISTEN}:${port}`,
  '--route', `consul=${SILENT}:${silentPort},${CONSUL}:${consulPort}`,
  '--lease-file', join(dir, 'dhclient*.leases'),
]);
t.teardown(() => daemon.stop());
const SOURCE = `dhclient:${join(dir, 'dhclient*.leases')}`;
const silentLabel = `${SILENT}:${silentPort}`;
const consulLabel = `${CONSUL}:${consulPort}`;

/** `dnsfwd ARGS` against this daemon's control socket. */
function ctl(args: string[]) {
  return runDnsfwd([...args, '--control-socket', daemon.controlSocket!]);
}

async function json<T>(args: string[]): Promise<T> {
  const r = await ctl([...args, '--json']);
  if (r.code !== 0) throw new Error(`dnsfwd ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

const status = () => json<StatusReport>(['status']);
const explain = (...args: string[]) => json<ExplainReport>(['explain', ...args]);
const consulRoute = (s: StatusReport) => s.routes.find((r) => r.zone === 'consul')!;

t.test('status: listeners, the route in its configured order, the process', async (t) => {
  const s = await status();
  t.same(s.listeners, [{ address: `${LISTEN}:${port}`, transports: ['udp', 'tcp'] }]);
  t.same(consulRoute(s).servers.map((x) => `${x.server} ${x.state}`), [`${silentLabel} up`, `${consulLabel} up`]);
  t.same(consulRoute(s).origin, { kind: 'config' });
  t.match(s, { version: /^\d+\.\d+\.\d+/, node: process.version });
  t.equal(s.pid, daemon.child.pid, 'the daemon itself (setpriv and env exec it)');
  t.ok(s.memory.rss > 0 && s.memory.heapUsed > 0);
  t.same(s.routes.find((r) => r.zone === '.')?.origin, { kind: 'default', from: 'none' }, 'no lease yet: the default route has no servers');
  t.same(s.sources.map((x) => [x.name, x.servers, x.changedAt]), [[SOURCE, [], null]]);
});

t.test('a silent server: after it timed out, status shows it down and last; answers and failures counted', async (t) => {
  const r = await dig(LISTEN, port, 'web.service.consul');
  t.equal(r.status, 'NOERROR');
  t.equal(r.answers[0]?.data, '10.0.0.5');
  const s = await status();
  const [first, second] = consulRoute(s).servers;
  t.match(first, { server: consulLabel, state: 'up', requests: 1, answers: 1, downUntil: null });
  t.type(first!.srttMs, 'number');
  t.match(second, { server: silentLabel, state: 'down', requests: 1, answers: 0, srttMs: null, failures: { timeout: 1, refused: 0, servfail: 0, unreachable: 0, other: 0 } });
  t.ok(Date.parse(second!.downUntil!) > Date.parse(s.now), 'down until a time to come');
  const text = (await ctl(['status'])).stdout;
  t.match(text, new RegExp(`${consulLabel.replace(/\./g, '\\.')} +up +[\\d.]+ ms +1 +1 +-\\n`));
  t.match(text, new RegExp(`${silentLabel.replace(/\./g, '\\.')} +down until \\d\\d:\\d\\d:\\d\\d \\(in \\d+ min[^)]*\\) +- +1 +0 +timeout 1`));
});

t.test('cache counters move with queries; explain looks without counting', async (t) => {
  const before = (await status()).cache;
  t.ok(before.entries >= 1, 'the first answer is cached');
  await dig(LISTEN, port, 'web.service.consul');
  const after = (await status()).cache;
  t.equal(after.hits, before.hits + 1, 'a hit');
  t.equal(after.misses, before.misses);
  t.ok(after.bytes > 0);
  t.equal(after.hitRatio, Math.round((after.hits / (after.hits + after.misses)) * 1000) / 1000);
  const e = await explain('web.service.consul');
  t.match(e.cached, { state: 'fresh', kind: 'positive', rcode: 'NOERROR' });
  t.ok(e.cached.state === 'fresh' && e.cached.ttl > 0 && e.cached.ttl <= 60, 'TTL left');
  t.same((await status()).cache, { ...after }, 'explain counted nothing');
});

t.test('explain: the configured route, its servers in the order they would be tried, the cached TTL', async (t) => {
  const e = await explain('web.service.consul');
  t.match(e, { name: 'web.service.consul', type: 'A', decision: 'forward', route: { zone: 'consul', origin: { kind: 'config' }, cache: true } });
  t.same(e.servers.map((s) => `${s.server} ${s.state}`), [`${consulLabel} up`, `${silentLabel} down`]);
  const text = (await ctl(['explain', 'web.service.consul'])).stdout;
  t.match(text, /^web\.service\.consul A\n +route: consul — config \(routes\)\n/);
  t.match(text, /cache: NOERROR, TTL \d+ s left/);
  t.match(text, new RegExp(`servers, in the order they would be tried now:\\n.*\\n +${consulLabel.replace(/\./g, '\\.')} +up`));
});

t.test('explain --query: the live answer, the server that gave it, the time it took', async (t) => {
  const e = await explain('api.service.consul', 'A', '--query');
  t.match(e.live, { rcode: 'NOERROR', records: ['api.service.consul. 60 IN A 10.0.0.5'], from: consulLabel, route: 'consul' });
  t.type(e.live?.ms, 'number');
  t.same(e.cached, { state: 'miss' }, 'not cached before the live query');
  t.equal(consul.count('api.service.consul'), 1, 'asked upstream once');
  const again = await explain('api.service.consul', '--query');
  t.match(again.live, { rcode: 'NOERROR', from: 'cache' }, 'the live query went through the cache');
  t.equal(again.cached.state, 'fresh');
  const text = (await ctl(['explain', 'api.service.consul', '--query'])).stdout;
  t.match(text, /live query: NOERROR in [\d.]+ ms from cache\n +api\.service\.consul\. \d+ IN A 10\.0\.0\.5/, 'a cache hit takes no route');
});

t.test('a lease file written: status shows its servers, domains and expiry; explain names it', async (t) => {
  const since = daemon.logs.length;
  writeFileSync(leaseFile, leaseBlock([LAN], 'eth0', 'lab.test'));
  await daemon.waitForLog((l) => l.msg === 'link domain routes changed', 10_000, since);
  const s = await status();
  const src = s.sources[0]!;
  t.equal(src.name, SOURCE);
  t.same(src.files, [leaseFile]);
  t.same(src.servers, [`${LAN}:53`]);
  t.same(src.domains, ['lab.test']);
  t.ok(src.changedAt !== null && Date.parse(src.changedAt) <= Date.parse(s.now));
  t.match(src.leases, [{ link: 'dhclient.eth0.leases/4/eth0', file: leaseFile, servers: [`${LAN}:53`] }]);
  t.ok(Math.abs(Date.parse(src.leases[0]!.expires!) - (Date.now() + 86_400_000)) < 600_000, 'the lease expires in a day');
  t.same(s.routes.find((r) => r.zone === '.')?.origin, { kind: 'default', from: 'sources', sources: [SOURCE] });
  const text = (await ctl(['status'])).stdout;
  t.match(text, new RegExp(`lab\\.test +link domain, lease ${leaseFile.replace(/\./g, '\\.')}`));
  t.match(text, /lease +dhclient\.eth0\.leases\/4\/eth0: 127\.0\.78\.4:53; expires .*\(in (23 h|1 d)/);

  const link = await explain('db.lab.test');
  t.match(link.route, { zone: 'lab.test', origin: { kind: 'link', file: leaseFile, source: SOURCE } });
  t.same(link.servers.map((x) => x.server), [`${LAN}:53`]);
  t.match((await ctl(['explain', 'db.lab.test'])).stdout, new RegExp(`route: lab\\.test — link domain, lease ${leaseFile.replace(/\./g, '\\.')}`));

  const other = await explain('example.org', 'MX');
  t.match(other, { type: 'MX', route: { zone: '.', origin: { kind: 'default', from: 'sources', sources: [SOURCE] } } });
  t.same(other.servers.map((x) => x.server), [`${LAN}:53`]);
  t.match((await ctl(['explain', 'example.org'])).stdout, /route: \. — default route, servers from dhclient:/);
});

t.test('explain: a special-use name is answered here', async (t) => {
  const e = await explain('foo.localhost', 'AAAA');
  t.match(e, { decision: 'local', route: { zone: 'localhost', origin: { kind: 'special' } }, servers: [] });
  t.same(e.answer, { rcode: 'NOERROR', records: ['foo.localhost. 10800 IN AAAA ::1'] });
  t.match((await ctl(['explain', 'foo.localhost'])).stdout, /answered here: NOERROR\n +foo\.localhost\. 10800 IN A 127\.0\.0\.1/);
});

t.test('bad input: a clear line, a non-zero exit', async (t) => {
  const bad = await ctl(['explain', 'web.service.consul', 'BOGUS']);
  t.not(bad.code, 0);
  t.match(bad.stderr, /"BOGUS" is not a record type/);
  t.equal(bad.stderr.trim().split('\n').length, 1, 'one line');
  t.equal((await ctl(['explain', 'x', 'TYPE65'])).code, 0, 'TYPEnnn is a type');
  t.ok(daemon.alive, 'the daemon is still running');
});

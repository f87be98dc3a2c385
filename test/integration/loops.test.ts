// Local resolvers on loopback and forwarding loops, in a network namespace of the test's own
// (so dnsfwd, dnsmasq and dig all use port 53, as on a guest): a dnsmasq on 127.0.0.2:53 or a
// resolved-like stub on 127.0.0.53:53 is a server like any other; 127.0.0.1:53, where dnsfwd
// listens, is dropped by `check` and `run`; a dnsmasq whose upstream is dnsfwd is found by the
// loop probe and routed around.
import { writeFileSync } from 'node:fs';
import t from 'tap';
import { runDnsfwd } from '../helpers/daemon.js';
import { Netns } from '../helpers/netns.js';
import { requireTool } from '../helpers/tools.js';
import { until } from '../helpers/wait.js';

const LOOP_WARNING = 'forwarding loop: this server sends our queries back to us; taken out of the route';

/** dig's ";; Query time: N msec". */
const queryTime = (raw: string): number => Number(/Query time: (\d+) msec/.exec(raw)?.[1] ?? NaN);

t.test('a dnsmasq on 127.0.0.2:53 as a route server, a resolved-like stub on 127.0.0.53:53 as the default route', async (t) => {
  const ns = await Netns.create();
  t.teardown(() => ns.close());
  const libvirt = await ns.startDnsmasq({ address: '127.0.0.2', records: ['--address=/web.vagrant.test/192.168.121.10'] });
  t.teardown(() => libvirt.stop());
  const stub = await ns.startDnsmasq({ address: '127.0.0.53', records: ['--address=/example.com/203.0.113.53'] });
  t.teardown(() => stub.stop());
  const dir = t.testdir({});
  const d = await ns.startDnsfwd(['--listen', '127.0.0.1:53', '--route', 'vagrant.test=127.0.0.2', '--upstream', '127.0.0.53', '--lease-file', `${dir}/none.leases`]);
  t.teardown(() => d.stop());
  const r1 = await ns.dig('127.0.0.1', 53, 'web.vagrant.test');
  t.same(r1.answers.map((a) => a.data), ['192.168.121.10'], 'the route to 127.0.0.2:53 answers');
  const r2 = await ns.dig('127.0.0.1', 53, 'www.example.com');
  t.same(r2.answers.map((a) => a.data), ['203.0.113.53'], 'the default route to 127.0.0.53:53 answers');
  t.equal(libvirt.queries('web.vagrant.test'), 1, 'asked once');
  t.equal(stub.queries('www.example.com'), 1, 'asked once');
  t.notOk(d.logs.some((l) => l.msg === 'not forwarding to this server: it is dnsfwd itself'), 'nothing dropped');
  t.notOk(d.logs.some((l) => l.msg === LOOP_WARNING), 'no loop seen');
});

t.test('a route to 127.0.0.1:53 while dnsfwd listens there: check exits 2 naming the line, run drops it', async (t) => {
  const ns = await Netns.create();
  t.teardown(() => ns.close());
  const dir = t.testdir({});
  const config = `${dir}/dnsfwd.yaml`;
  writeFileSync(config, ['listen: ["127.0.0.1:53"]', 'routes:', '  - zone: vagrant.test', '    servers: ["127.0.0.1"]', 'default: { sources: [] }', ''].join('\n'));
  const check = await runDnsfwd(['check', '--config', config]);
  t.equal(check.code, 2);
  t.equal(check.stderr, `${config}:4:15: routes[0].servers[0]: 127.0.0.1:53 is dnsfwd itself (it is one of our listen addresses): run would not forward to it\n`);
  const d = await ns.startDnsfwd(['--config', config]);
  t.teardown(() => d.stop());
  t.match(d.logs.find((l) => l.msg === 'not forwarding to this server: it is dnsfwd itself'), { zone: 'vagrant.test', server: '127.0.0.1:53' });
  const r = await ns.dig('127.0.0.1', 53, 'web.vagrant.test');
  t.equal(r.status, 'SERVFAIL', 'a route with no servers');
  await d.waitForMsg('route has no servers: answering SERVFAIL');
});

/** A dnsmasq on 127.0.0.2:53 that forwards everything to dnsfwd (127.0.0.1:53): a loop. */
async function loopingDnsmasq(ns: Netns) {
  return ns.startDnsmasq({ address: '127.0.0.2', records: [], servers: ['127.0.0.1'] });
}

t.test('a dnsmasq whose upstream is dnsfwd: found by the probe, taken out of the route, the other server answers', async (t) => {
  const ns = await Netns.create();
  t.teardown(() => ns.close());
  const loop = await loopingDnsmasq(ns);
  t.teardown(() => loop.stop());
  const good = await ns.startDnsmasq({ address: '127.0.0.3', records: ['--address=/web.test/10.3.0.1'] });
  t.teardown(() => good.stop());
  const dir = t.testdir({});
  const d = await ns.startDnsfwd(['--listen', '127.0.0.1:53', '--route', 'test=127.0.0.2,127.0.0.3', '--lease-file', `${dir}/none.leases`]);
  t.teardown(() => d.stop());
  // The default probe interval is 5 minutes: only the probe sent when dnsfwd started can find it.
  const warning = await d.waitForMsg(LOOP_WARNING);
  t.match(warning, { zone: 'test', server: '127.0.0.2:53', probe: /^dnsfwd-loop-probe-[0-9a-f]{12}\.test$/, seen: /our probe came back to us as a query from 127\.0\.0\.\d+:\d+$/ });
  const started = d.logs.find((l) => l.msg === 'dnsfwd started')!;
  t.comment(`loop found ${Date.parse(String(warning.time)) - Date.parse(String(started.time))} ms after dnsfwd started (the daemon's own clock)`);
  await until('the probe in the dnsmasq log', () => loop.queries(String(warning.probe)) > 0);
  for (const name of ['web.test', 'a.web.test', 'b.web.test']) {
    const r = await ns.dig('127.0.0.1', 53, name);
    t.same(r.answers.map((a) => a.data), ['10.3.0.1'], `${name}: the other server answers`);
    t.equal(loop.queries(name), 0, `${name}: the looping server is not asked`);
  }
  t.equal(d.logs.filter((l) => l.msg === LOOP_WARNING).length, 1, 'one warning');
  t.equal(loop.queries(String(warning.probe)), 1, 'the looping dnsmasq saw the probe once: refused by dnsfwd, not sent round again');
});

t.test('only the looping server: SERVFAIL at once, and the packets between the two stay bounded', async (t) => {
  const ns = await Netns.create();
  t.teardown(() => ns.close());
  const loop = await loopingDnsmasq(ns);
  t.teardown(() => loop.stop());
  const dir = t.testdir({});
  const d = await ns.startDnsfwd(['--listen', '127.0.0.1:53', '--route', 'test=127.0.0.2', '--lease-file', `${dir}/none.leases`]);
  t.teardown(() => d.stop());
  const warning = await d.waitForMsg(LOOP_WARNING);
  // dnsmasq's log reaches us through a pipe: count from after its line for our probe.
  await until('the probe in the dnsmasq log', () => loop.queries(String(warning.probe)) > 0);
  const before = loop.queries();
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const r = await ns.dig('127.0.0.1', 53, `n${i}.web.test`);
    t.equal(r.status, 'SERVFAIL', `n${i}.web.test`);
    times.push(queryTime(r.raw));
  }
  t.comment(`SERVFAIL in ${Math.min(...times)}-${Math.max(...times)} ms (dig's query time)`);
  t.equal(loop.queries() - before, 0, 'no client query went to the looping dnsmasq: none waited for a timeout, none went round');
  t.ok(loop.queries() <= 2, `the dnsmasq saw ${loop.queries()} queries in all (its start-up check and our probe)`);
});

t.test('a query that comes back before any probe found the loop goes round a bounded number of times', async (t) => {
  const ns = await Netns.create();
  t.teardown(() => ns.close());
  const dir = t.testdir({});
  // dnsfwd first, with the dnsmasq not there yet: the start-up probe finds no loop.
  const d = await ns.startDnsfwd(['--listen', '127.0.0.1:53', '--route', 'test=127.0.0.2', '--lease-file', `${dir}/none.leases`]);
  t.teardown(() => d.stop());
  const loop = await loopingDnsmasq(ns);
  t.teardown(() => loop.stop());
  const before = loop.queries();
  const r = await ns.dig('127.0.0.1', 53, 'round.web.test', { timeout: 8 });
  t.equal(r.status, 'SERVFAIL', 'the client gets SERVFAIL, within its timeout');
  const rounds = loop.queries('round.web.test');
  t.comment(`round.web.test reached the looping dnsmasq ${rounds} times; ${loop.queries() - before} queries in all`);
  t.ok(rounds >= 1 && rounds <= 4, `bounded: ${rounds} times`);
  t.ok(d.alive);
});

/** A DNAT rule in `ns`: what is sent to `from`:53 goes to 127.0.0.1:53 (dnsfwd), unseen by the static rule. */
async function redirectToDnsfwd(ns: Netns, from: string): Promise<void> {
  requireTool('nft');
  await ns.must(
    'nft add table ip nat && nft add chain ip nat output "{ type nat hook output priority -100; }" && ' +
      `nft add rule ip nat output ip daddr ${from} udp dport 53 dnat to 127.0.0.1:53`,
  );
}

t.test('dnsfwd forwarding to itself through a DNAT rule: the query from its own socket gets SERVFAIL at once; the probe finds it', async (t) => {
  const ns = await Netns.create();
  t.teardown(() => ns.close());
  const dir = t.testdir({});
  // The rule comes after the start-up probe (nothing answers at 127.0.0.9 then): only a client query can find it.
  const d = await ns.startDnsfwd(['--listen', '127.0.0.1:53', '--route', 'test=127.0.0.9', '--lease-file', `${dir}/none.leases`]);
  t.teardown(() => d.stop());
  await redirectToDnsfwd(ns, '127.0.0.9');
  const r = await ns.dig('127.0.0.1', 53, 'self.web.test', { timeout: 8 });
  t.equal(r.status, 'SERVFAIL');
  const warning = await d.waitForMsg('a query came from our own upstream socket: dnsfwd forwards to itself; answered SERVFAIL');
  t.match(warning, { client: /^127\.0\.0\.1:\d+$/, queries: 1 });
  t.comment(`SERVFAIL in ${queryTime(r.raw)} ms (dig's query time; the deadline is 4000 ms)`);
  t.notOk(d.logs.some((l) => l.msg === 'query deadline passed: SERVFAIL'), 'not by the deadline');
  // Restarted with the rule in place, the start-up probe comes back from our own socket: a loop.
  await d.stop();
  const again = await ns.startDnsfwd(['--listen', '127.0.0.1:53', '--route', 'test=127.0.0.9,127.0.0.3', '--lease-file', `${dir}/none.leases`]);
  t.teardown(() => again.stop());
  t.match(await again.waitForMsg(LOOP_WARNING), { zone: 'test', server: '127.0.0.9:53', seen: /from 127\.0\.0\.1:\d+$/ });
});

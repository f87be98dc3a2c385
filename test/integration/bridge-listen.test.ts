// Listening on addresses that appear after start, as a Docker or Nomad bridge's does: in a network
// namespace of the test's own, dnsfwd listens on 127.0.0.1:53 and on `iface:br-test` (or an
// optional address); the bridge is made after dnsfwd started, its address removed and added
// again, and dig asks at the bridge's address each time. After dropping root without
// CAP_NET_BIND_SERVICE, a late bind on port 53 is one warning that says what to do. `dnsfwd check`
// shows such entries, and rejects a bad one with FILE:LINE:COL.
import { chmodSync, writeFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { type DaemonProcess, type LogLine, runDnsfwd } from '../helpers/daemon.js';
import { Netns } from '../helpers/netns.js';
import { requireRoot, requireTool } from '../helpers/tools.js';

requireRoot('these tests make network namespaces and bind port 53 in them');
requireTool('ss');

const UPSTREAM = '127.0.0.2';
const UPSTREAM_PORT = 5353;
const BRIDGE = '172.31.99.1';
const BRIDGE6 = 'fd00:99::1';

/** A namespace with a dnsmasq answering web.test, and dnsfwd started there with `listen` as its config's list. */
async function setUp(t: Test, listen: string, extra = '') {
  const ns = await Netns.create();
  t.teardown(() => ns.close());
  const upstream = await ns.startDnsmasq({ address: UPSTREAM, port: UPSTREAM_PORT, records: ['--address=/web.test/10.9.9.9'] });
  t.teardown(() => upstream.stop());
  const dir = t.testdir({ 'dnsfwd.yaml': `listen: ${listen}\ndefault: {sources: []}\n${extra}` });
  chmodSync(dir, 0o755);
  const d = await ns.startDnsfwd(['--config', `${dir}/dnsfwd.yaml`, '--route', `test=${UPSTREAM}:${UPSTREAM_PORT}`]);
  t.teardown(() => d.stop());
  return { ns, d, dir };
}

/** The next line from `since` on with this message and listen address. */
function logged(d: DaemonProcess, msg: string, listen: string, since: number): Promise<LogLine> {
  return d.waitForLog((l) => l.msg === msg && l.listen === listen, 10_000, since);
}

/**
 * Makes bridge `name` with one veth port up, as a bridge is once a task's container is attached
 * (Node lists only the addresses of links that are up and have carrier; a bridge without a port
 * may have none).
 */
function bridge(ns: Netns, name: string): Promise<string> {
  return ns.must(
    `ip link add ${name} type bridge && ip link add ${name}-p type veth peer name ${name}-c && ` +
      `ip link set ${name}-p master ${name} && ip link set ${name}-p up && ip link set ${name}-c up && ip link set ${name} up`,
  );
}

/** The UDP and TCP sockets listening in the namespace, as `ss` prints their local address. */
async function sockets(ns: Netns): Promise<string> {
  return ns.must('ss -Hlnut');
}

t.test('an interface made after start is listened on while it has its addresses', async (t) => {
  const { ns, d } = await setUp(t, '["127.0.0.1:53", "iface:br-test"]');
  const started = d.logs.find((l) => l.msg === 'dnsfwd started')!;
  t.same(started.listen, ['127.0.0.1:53'], 'no br-test yet');
  t.match(d.logs.find((l) => l.msg === 'listening on these while the host has their addresses'), { watch: ['interface br-test port 53 (when present)'] });
  t.same((await ns.dig('127.0.0.1', 53, 'web.test')).answers.map((r) => r.data), ['10.9.9.9'], 'the plain address answers');

  let since = d.logs.length;
  // IPv6 with duplicate address detection: the address may be tentative when first seen (a bind
  // then fails and is retried); dnsfwd listens on it once it is usable.
  await bridge(ns, 'br-test');
  await ns.must(`ip addr add ${BRIDGE}/24 dev br-test && ip -6 addr add ${BRIDGE6}/64 dev br-test`);
  const appeared = await logged(d, 'address appeared: listening', `${BRIDGE}:53`, since);
  t.equal(appeared.interface, 'br-test');
  t.equal(appeared.level, 30, 'at info');
  t.same((await ns.dig(BRIDGE, 53, 'web.test')).answers.map((r) => r.data), ['10.9.9.9'], 'answered at the bridge address');
  t.same((await ns.dig(BRIDGE, 53, 'web.test', { tcp: true })).answers.map((r) => r.data), ['10.9.9.9'], 'over TCP too');
  await logged(d, 'address appeared: listening', `[${BRIDGE6}]:53`, since);
  t.same((await ns.dig(BRIDGE6, 53, 'web.test')).answers.map((r) => r.data), ['10.9.9.9'], 'and at its IPv6 address');
  const v6Warnings = d.logs.slice(since).filter((l) => l.level === 40 && l.listen === `[${BRIDGE6}]:53`);
  t.ok(v6Warnings.length <= 1, 'a tentative address is warned about once at most, however many retries');
  t.notOk(d.logs.slice(since).some((l) => typeof l.listen === 'string' && l.listen.startsWith('[fe80')), 'the link-local address is left alone');

  since = d.logs.length;
  await ns.must(`ip addr del ${BRIDGE}/24 dev br-test`);
  const gone = await logged(d, 'address gone: stopped listening', `${BRIDGE}:53`, since);
  t.equal(gone.interface, 'br-test');
  t.notMatch(await sockets(ns), `${BRIDGE}:53`, 'no socket is left on the address');
  t.match(await sockets(ns), `[${BRIDGE6}]:53`, 'the IPv6 address still has its sockets');
  const none = await ns.dig(BRIDGE, 53, 'web.test', { timeout: 1 });
  t.same(none.answers, [], 'no answer at the address that went');
  t.not(none.status, 'NOERROR');

  since = d.logs.length;
  await ns.must(`ip addr add ${BRIDGE}/24 dev br-test`);
  await logged(d, 'address appeared: listening', `${BRIDGE}:53`, since);
  t.same((await ns.dig(BRIDGE, 53, 'web.test')).answers.map((r) => r.data), ['10.9.9.9'], 'answered again once the address is back');

  since = d.logs.length;
  await ns.must('ip link del br-test');
  await logged(d, 'address gone: stopped listening', `${BRIDGE}:53`, since);
  await logged(d, 'address gone: stopped listening', `[${BRIDGE6}]:53`, since);
  t.same((await ns.dig('127.0.0.1', 53, 'web.test')).answers.map((r) => r.data), ['10.9.9.9'], 'the plain address answered throughout');
  t.same(d.logs.filter((l) => l.level !== undefined && l.level >= 50), [], 'no error logged');
});

// docker0 when its last container stopped: a bridge whose only port went has NO-CARRIER, and
// os.networkInterfaces() leaves it out; its address is still there, and bindable.
t.test('a bridge that loses its last port (no carrier) keeps its listener; an address added without carrier is listened on', async (t) => {
  const { ns, d } = await setUp(t, '["127.0.0.1:53", "iface:br-test"]');
  let since = d.logs.length;
  await bridge(ns, 'br-test');
  await ns.must(`ip addr add ${BRIDGE}/24 dev br-test`);
  await logged(d, 'address appeared: listening', `${BRIDGE}:53`, since);
  since = d.logs.length;
  await ns.must('ip link del br-test-p');
  t.match(await ns.must('ip link show br-test'), 'NO-CARRIER', 'the bridge has no carrier now');
  // A read after the carrier went must see this second address: by then a "gone" would have been logged.
  await ns.must('ip addr add 172.31.99.2/24 dev br-test');
  await logged(d, 'address appeared: listening', '172.31.99.2:53', since);
  t.notOk(d.logs.slice(since).some((l) => l.msg === 'address gone: stopped listening'), 'the listener stayed');
  t.same((await ns.dig(BRIDGE, 53, 'web.test')).answers.map((r) => r.data), ['10.9.9.9'], 'answered at the bridge address');
  t.same((await ns.dig('172.31.99.2', 53, 'web.test')).answers.map((r) => r.data), ['10.9.9.9'], 'and at the one added without carrier');
});

t.test('an optional address: listened on once a link has it, not before, not after', async (t) => {
  const { ns, d } = await setUp(t, '["127.0.0.1:53", {address: "172.31.98.1:53", optional: true}]');
  t.match(d.logs.find((l) => l.msg === 'listening on these while the host has their addresses'), { watch: ['172.31.98.1:53 (optional, when present)'] });
  let since = d.logs.length;
  // A veth pair stands for the task network: the addresses on one end, both ends up.
  await ns.must('ip link add v-opt type veth peer name v-opt-peer && ip addr add 172.31.98.7/24 dev v-opt && ip link set v-opt up && ip link set v-opt-peer up');
  await ns.must('ip addr add 172.31.98.1/24 dev v-opt');
  const appeared = await logged(d, 'address appeared: listening', '172.31.98.1:53', since);
  t.equal(appeared.interface, 'v-opt');
  t.same((await ns.dig('172.31.98.1', 53, 'web.test')).answers.map((r) => r.data), ['10.9.9.9']);
  t.notMatch(await sockets(ns), '172.31.98.7:53', 'only the optional address, not the rest of the link');
  since = d.logs.length;
  await ns.must('ip link del v-opt');
  await logged(d, 'address gone: stopped listening', '172.31.98.1:53', since);
  t.notMatch(await sockets(ns), '172.31.98.1:53');
});

// Started as root with user:, dnsfwd binds and then drops root: a late bind on port 53 needs
// CAP_NET_BIND_SERVICE, which only the service files keep. One warning saying so, not one a second.
t.test('after dropping root, a late bind on port 53 is one warning naming CAP_NET_BIND_SERVICE and the service files', async (t) => {
  const { ns, d } = await setUp(t, '["127.0.0.1:53", "iface:br-test", "iface:br-two"]', 'user: nobody\n');
  await d.waitForMsg('sockets bound: now running as an unprivileged user');
  const since = d.logs.length;
  await bridge(ns, 'br-test');
  await ns.must(`ip addr add ${BRIDGE}/24 dev br-test`);
  const warning = await d.waitForLog((l) => l.level === 40 && l.listen === `${BRIDGE}:53`, 10_000, since);
  t.equal(warning.msg, 'address appeared but cannot be listened on: retrying every second');
  t.match(warning.reason, /permission denied/);
  t.match(warning.advice, /CAP_NET_BIND_SERVICE/);
  t.match(warning.advice, /systemd unit and the OpenRC script keep CAP_NET_BIND_SERVICE as an ambient capability/);
  // The poll runs once a second: after the address of a second link is found, the first has been retried.
  const later = d.logs.length;
  await bridge(ns, 'br-two');
  await ns.must('ip addr add 172.31.97.1/24 dev br-two');
  await d.waitForLog((l) => l.level === 40 && l.listen === '172.31.97.1:53', 10_000, later);
  t.notOk(d.logs.some((l) => l.msg === 'address appeared: listening'), 'never listened');
  t.equal(d.logs.filter((l) => l.level === 40 && l.listen === `${BRIDGE}:53`).length, 1, 'one warning, not one per retry');
  t.same((await ns.dig('127.0.0.1', 53, 'web.test')).answers.map((r) => r.data), ['10.9.9.9'], 'the plain address still answers');
});

t.test('dnsfwd check prints the watched entries, and rejects a bad one at its line and column', async (t) => {
  const dir = t.testdir({});
  writeFileSync(`${dir}/good.yaml`, 'listen:\n  - 127.0.0.1:53\n  - iface:docker0\n  - {interface: nomad, port: 5353}\n  - {address: "172.17.0.1:53", optional: true}\n');
  const good = await runDnsfwd(['check', '--config', `${dir}/good.yaml`]);
  t.equal(good.code, 0, good.stderr);
  t.match(
    good.stdout,
    /^listen: {4}127\.0\.0\.1:53, interface docker0 port 53 \(when present\), interface nomad port 5353 \(when present\), 172\.17\.0\.1:53 \(optional, when present\)$/m,
  );
  const flags = await runDnsfwd(['check', '--listen', 'iface:br0', '--listen', 'optional:10.0.0.1:5353']);
  t.equal(flags.code, 0, flags.stderr);
  t.match(flags.stdout, /^listen: {4}interface br0 port 53 \(when present\), 10\.0\.0\.1:5353 \(optional, when present\)$/m);
  writeFileSync(`${dir}/bad.yaml`, 'log_level: info\nlisten:\n  - 127.0.0.1:53\n  - {interface: "docker/0"}\n');
  const bad = await runDnsfwd(['check', '--config', `${dir}/bad.yaml`]);
  t.equal(bad.code, 2);
  t.equal(bad.stderr, `${dir}/bad.yaml:4:17: listen[1].interface: "docker/0": an interface name has no "/", ":" or whitespace\n`);
  t.equal(bad.stdout, '');
  const badFlag = await runDnsfwd(['check', '--listen', 'iface:']);
  t.equal(badFlag.code, 2);
  t.match(badFlag.stderr, /^<command line>: --listen: an interface name cannot be empty$/m);
});

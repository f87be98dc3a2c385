// The checks an operator would run on a guest, in network namespaces of the test's own: the guest
// (A) runs dnsfwd with a libvirt-like dnsmasq on 127.0.0.2:53 as a route's server, a resolved-like
// stub on 127.0.0.53:53 as the default route's server, and a route whose first server is a local
// dnsmasq that forwards back to dnsfwd (a loop); a Nomad-like bridge appears after dnsfwd started,
// with a task (B) on it; a stranger (C, on a network A routes to but is not on) asks too. Then a
// minute of mixed traffic, with loop probes every second: every client gets what it should, and
// the log says each thing once, no flapping.
import { spawn } from 'node:child_process';
import t from 'tap';
import { Netns } from '../helpers/netns.js';
import { requireTool } from '../helpers/tools.js';

const MINUTE_S = 60;
const BRIDGE = '172.26.64.1';
const TASK = '172.26.64.5';
const STRANGER = '10.99.0.2';

for (const tool of ['dig', 'dnsmasq', 'ip', 'nsenter']) requireTool(tool);
t.setTimeout(300_000);

const guest = await Netns.create('the operator checks make network namespaces of their own');
const task = await Netns.create('the operator checks make network namespaces of their own');
const stranger = await Netns.create('the operator checks make network namespaces of their own');
t.teardown(() => [guest, task, stranger].forEach((ns) => ns.close()));

const libvirt = await guest.startDnsmasq({ address: '127.0.0.2', records: ['--address=/web.vagrant.test/192.168.121.10'] });
const stub = await guest.startDnsmasq({ address: '127.0.0.53', records: ['--address=/example.com/203.0.113.53'] });
const looping = await guest.startDnsmasq({ address: '127.0.0.4', records: [], servers: ['127.0.0.1'] });
const behind = await guest.startDnsmasq({ address: '127.0.0.3', records: ['--address=/loop.test/10.3.0.1'] });
t.teardown(() => Promise.all([libvirt, stub, looping, behind].map((m) => m.stop())));

const dir = t.testdir({
  'dnsfwd.yaml': [
    'listen: ["127.0.0.1:53", "iface:nomad"]',
    'routes:',
    '  - {zone: vagrant.test, servers: ["127.0.0.2"]}',
    '  - {zone: loop.test, servers: ["127.0.0.4", "127.0.0.3"]}',
    'default: {sources: [], servers: ["127.0.0.53"]}',
    'upstream: {loop_probe_interval_ms: 1000}',
    '',
  ].join('\n'),
});
const d = await guest.startDnsfwd(['--config', `${dir}/dnsfwd.yaml`]);
t.teardown(() => d.stop());

// Nomad makes its bridge after dnsfwd started; a task's veth is its port. The stranger is on a
// link of its own, routed by the guest.
await guest.must(`ip link add nomad type bridge && ip addr add ${BRIDGE}/20 dev nomad && ip link set nomad up`);
await guest.must(`ip link add veth-task type veth peer name eth0 netns ${task.pid} && ip link set veth-task master nomad && ip link set veth-task up`);
await task.must(`ip addr add ${TASK}/20 dev eth0 && ip link set eth0 up && ip route add default via ${BRIDGE}`);
await guest.link(stranger, 'veth-x', '10.99.0.1/24', 'eth0', `${STRANGER}/24`);
await stranger.must('ip route add default via 10.99.0.1');
await d.waitForLog((l) => l.msg === 'address appeared: listening' && l.listen === `${BRIDGE}:53`);
await d.waitForMsg('forwarding loop: this server sends our queries back to us; taken out of the route');

t.test('each check once', async (t) => {
  t.same((await guest.dig('127.0.0.1', 53, 'web.vagrant.test')).answers.map((a) => a.data), ['192.168.121.10'], 'a dnsmasq on 127.0.0.2:53');
  t.same((await guest.dig('127.0.0.1', 53, 'www.example.com')).answers.map((a) => a.data), ['203.0.113.53'], 'a stub on 127.0.0.53:53');
  t.same((await guest.dig('127.0.0.1', 53, 'a.loop.test')).answers.map((a) => a.data), ['10.3.0.1'], 'the loop routed around');
  t.same((await task.dig(BRIDGE, 53, 'web.vagrant.test')).answers.map((a) => a.data), ['192.168.121.10'], 'a task on the bridge');
  t.equal((await stranger.dig(BRIDGE, 53, 'web.vagrant.test')).status, 'REFUSED', 'a stranger');
});

/** Runs `dig` in `ns` against `server` over and over for `seconds`; resolves with each status seen and how often. */
function traffic(ns: Netns, server: string, names: string[], seconds: number): Promise<Record<string, number>> {
  const dig = requireTool('dig');
  const script = `end=$(($(date +%s) + ${seconds})); while [ "$(date +%s)" -lt "$end" ]; do for n in ${names.join(' ')}; do ${dig} @${server} "$n" +tries=1 +time=3 +nocookie | grep -o 'status: [A-Z]*' || echo 'status: TIMEOUT'; done; done`;
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', ...ns.prefix, 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  return new Promise((resolve) =>
    child.on('exit', () => {
      const counts: Record<string, number> = {};
      for (const m of out.matchAll(/status: ([A-Z]+)/g)) counts[m[1]!] = (counts[m[1]!] ?? 0) + 1;
      resolve(counts);
    }),
  );
}

t.test('a minute of mixed traffic: every client gets what it should, and nothing flaps in the log', async (t) => {
  const since = d.logs.length;
  const [local, fromTask, fromStranger] = await Promise.all([
    traffic(guest, '127.0.0.1', ['web.vagrant.test', 'www.example.com', 'a.loop.test', 'b.loop.test'], MINUTE_S),
    traffic(task, BRIDGE, ['web.vagrant.test', 'www.example.com', 'c.loop.test'], MINUTE_S),
    traffic(stranger, BRIDGE, ['web.vagrant.test'], MINUTE_S),
  ]);
  t.comment(`guest: ${JSON.stringify(local)}, task: ${JSON.stringify(fromTask)}, stranger: ${JSON.stringify(fromStranger)}`);
  t.same(Object.keys(local), ['NOERROR'], 'the guest: every answer NOERROR');
  t.same(Object.keys(fromTask), ['NOERROR'], 'the task: every answer NOERROR');
  t.same(Object.keys(fromStranger), ['REFUSED'], 'the stranger: every answer REFUSED');
  const lines = d.logs.slice(since);
  const count = (msg: string) => lines.filter((l) => l.msg === msg).length;
  t.equal(count('forwarding loop: this server sends our queries back to us; taken out of the route'), 0, 'the loop, said once before, not again on its re-probes');
  t.equal(count('forwarding loop gone: server back in the route'), 0, 'nor ever said to be gone');
  t.equal(count('address appeared: listening') + count('address gone: stopped listening'), 0, 'the bridge listener never flaps');
  t.ok(count('queries refused') <= 2, `the stranger's refusals: ${count('queries refused')} lines in a minute (at most one a minute)`);
  t.equal(count('upstream failed: moved to the back of the order'), 0, 'no server marked down');
  t.equal(count('connected subnets allowed by default'), 0, 'the subnets allowed never change');
  const warnings = lines.filter((l) => (l.level ?? 0) >= 40 && l.msg !== 'queries refused');
  t.same(warnings, [], 'no other warning');
  t.ok(d.alive, 'still running');
});

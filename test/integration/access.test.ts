// Access control and rate limiting between two network namespaces of the test's own: dnsfwd in A
// listens on 0.0.0.0:53 with a route to a dnsmasq in A; namespace B, linked to A by a veth pair
// on 10.77.0.0/24, also has 192.168.200.2/32, outside that subnet (A routes it back through B).
// A client on the connected subnet is answered; the other address is refused (UDP and TCP) with
// no access list, answered with an allow entry, ignored with a drop entry. A burst from B past a
// low rate limit is partly answered, partly truncated, partly dropped; from loopback it never is.
import { writeFileSync } from 'node:fs';
import t from 'tap';
import type { DaemonProcess, LogLine } from '../helpers/daemon.js';
import { Netns } from '../helpers/netns.js';
import { query } from '../helpers/packets.js';
import { requireTool } from '../helpers/tools.js';

for (const tool of ['dig', 'dnsmasq', 'ip', 'nsenter']) requireTool(tool);
const a = await Netns.create('the access test makes network namespaces of its own');
const b = await Netns.create('the access test makes network namespaces of its own');
t.teardown(() => {
  a.close();
  b.close();
});
await a.link(b, 'veth-a', '10.77.0.1/24', 'veth-b', '10.77.0.2/24');
await b.must('ip addr add 192.168.200.2/32 dev veth-b');
await a.must('ip route add 192.168.200.2/32 via 10.77.0.2 dev veth-a');
const dnsmasq = await a.startDnsmasq({ address: '127.0.0.2', port: 5353, records: ['--address=/web.test/10.9.9.9'] });
t.teardown(() => dnsmasq.stop());

const SERVER = '10.77.0.1';
const OUTSIDE = ['-b', '192.168.200.2'];

const config = (extra: string[] = []) =>
  ['listen: ["0.0.0.0:53"]', 'routes:', '  - {zone: test, servers: ["127.0.0.2:5353"]}', 'default: {sources: []}', ...extra, ''].join('\n');

const dir = t.testdir({ 'dnsfwd.yaml': config() });
const file = `${dir}/dnsfwd.yaml`;
const d = await a.startDnsfwd(['--config', file]);
t.teardown(() => d.stop());

/** Writes `text` as the config and reloads it (SIGHUP). */
async function reload(text: string): Promise<void> {
  writeFileSync(file, text);
  const since = d.logs.length;
  d.child.kill('SIGHUP');
  await d.waitForMsg('configuration reloaded', 10_000, since);
}

/** The client counters of the SIGUSR1 statistics line. */
async function clientStats(daemon: DaemonProcess): Promise<Record<string, number>> {
  const since = daemon.logs.length;
  daemon.child.kill('SIGUSR1');
  const line = await daemon.waitForMsg('cache statistics', 10_000, since);
  return line.clients as Record<string, number>;
}

const web = (ns: Netns, extra: string[] = [], o: { tcp?: boolean; timeout?: number } = {}) => ns.dig(SERVER, 53, 'web.test', { ...o, extra });

t.test('listening on 0.0.0.0 with no access list: the connected subnet is answered, another source refused', async (t) => {
  for (const tcp of [false, true]) {
    const ok = await web(b, [], { tcp });
    t.same(ok.answers.map((r) => r.data), ['10.9.9.9'], `connected client (${tcp ? 'TCP' : 'UDP'})`);
    const refused = await web(b, OUTSIDE, { tcp });
    t.equal(refused.status, 'REFUSED', `192.168.200.2 (${tcp ? 'TCP' : 'UDP'})`);
    t.same(refused.answers, []);
  }
  const line = await d.waitForLog((l: LogLine) => l.msg === 'queries refused' && l.subnet === '192.168.200.0/24');
  t.match(line, { level: 40, client: '192.168.200.2', entry: 'default' }, 'a warning: the default refused it');
  t.equal(d.logs.filter((l) => l.msg === 'queries refused').length, 1, 'one line for the two refused queries');
  // dnsmasq's --address answers have TTL 0: every answered query went upstream, no refused one did.
  t.equal(dnsmasq.queries('web.test'), 2, 'upstream saw the two answered queries only');
});

t.test('an allow entry lets the outside address in; a drop entry ignores it (UDP) and closes its connection (TCP)', async (t) => {
  await reload(config(['access:', '  - {from: 192.168.200.0/24, action: allow}']));
  for (const tcp of [false, true]) {
    t.same((await web(b, OUTSIDE, { tcp })).answers.map((r) => r.data), ['10.9.9.9'], `allowed (${tcp ? 'TCP' : 'UDP'})`);
  }
  const before = await clientStats(d);
  await reload(config(['access:', '  - {from: 192.168.200.0/24, action: drop}']));
  // Waiting for an absence: dig gives up after its 1 s; only the outcome is asserted.
  const udp = await web(b, OUTSIDE, { timeout: 1 });
  t.equal(udp.status, 'TIMEOUT', `UDP: no answer\n${udp.raw}`);
  const tcp = await web(b, OUTSIDE, { tcp: true, timeout: 1 });
  t.same(tcp.answers, [], 'TCP: no answer');
  t.match(tcp.raw, /end of file|connection reset|communications error/, `TCP: the connection was closed\n${tcp.raw}`);
  const after = await clientStats(d);
  t.equal(after.dropped! - before.dropped!, 2, 'counted: one datagram, one connection');
  t.same((await web(b)).answers.map((r) => r.data), ['10.9.9.9'], 'the connected client is still answered');
  const line = await d.waitForLog((l: LogLine) => l.msg === 'queries dropped');
  t.match(line, { level: 30, subnet: '192.168.200.0/24', entry: '192.168.200.0/24' }, 'info: an entry dropped it');
});

/**
 * Sends `count` queries for web.test as fast as it can from a node process in `ns`, and reports
 * what came back for each: the first `count` replies, or whatever came before no reply for 2 s.
 */
async function burst(ns: Netns, server: string, count: number): Promise<{ answered: number; truncated: number; other: number; none: number }> {
  const hex = query('web.test').toString('hex');
  const script = `
    const dgram = require('node:dgram');
    const s = dgram.createSocket('udp4');
    const got = new Map();
    let timer;
    const done = () => { s.close(); process.stdout.write(JSON.stringify([...got.values()])); };
    const quiet = () => { clearTimeout(timer); timer = setTimeout(done, 2000); };
    s.on('message', (m) => {
      got.set(m.readUInt16BE(0), { tc: (m[2] & 2) !== 0, rcode: m[3] & 15, an: m.readUInt16BE(6) });
      if (got.size === ${count}) { clearTimeout(timer); done(); } else quiet();
    });
    s.bind(0, () => {
      for (let i = 0; i < ${count}; i++) {
        const q = Buffer.from('${hex}', 'hex');
        q.writeUInt16BE(i, 0);
        s.send(q, 53, '${server}');
      }
      quiet();
    });`;
  const child = ns.spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, '-e', script]);
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`the burst client failed (${code}): ${err}`);
  const replies = JSON.parse(out) as { tc: boolean; rcode: number; an: number }[];
  const answered = replies.filter((r) => !r.tc && r.rcode === 0 && r.an === 1).length;
  const truncated = replies.filter((r) => r.tc && r.an === 0).length;
  return { answered, truncated, other: replies.length - answered - truncated, none: count - replies.length };
}

t.test('rate limit: a burst from B is partly answered, partly truncated, partly dropped; from loopback, all answered', async (t) => {
  await reload(config(['rate_limit: {responses_per_second: 5, slip: 2}']));
  const before = await clientStats(d);
  const fromB = await burst(b, SERVER, 50);
  t.ok(fromB.answered >= 5 && fromB.answered < 50, `some answered: ${JSON.stringify(fromB)}`);
  t.ok(fromB.truncated >= 1, 'some TC=1');
  t.ok(fromB.none >= 1, 'some not answered');
  t.equal(fromB.other, 0, 'nothing else');
  // slip 2: of the responses over the limit, every second one goes out truncated.
  t.ok(fromB.none >= fromB.truncated && fromB.none - fromB.truncated <= 2, 'dropped and truncated alternate');
  const after = await clientStats(d);
  t.equal(after.rateLimitedTruncated! - before.rateLimitedTruncated!, fromB.truncated, 'the daemon counted the truncated ones');
  t.equal(after.rateLimitedDropped! - before.rateLimitedDropped!, fromB.none, 'and the dropped ones');
  const line = await d.waitForLog((l: LogLine) => l.msg === 'responses rate limited');
  t.match(line, { level: 40, prefix: '10.77.0.0/24', limit: 5, slip: 2 });

  const fromLoopback = await burst(a, '127.0.0.1', 50);
  t.same(fromLoopback, { answered: 50, truncated: 0, other: 0, none: 0 }, 'loopback: never limited');
  t.same(await clientStats(d), after, 'nothing more limited');
});

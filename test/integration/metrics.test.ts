// The metrics endpoint of a running daemon: known queries (UDP and TCP, several types, an
// NXDOMAIN, a cache hit, a server that fails) move the scraped counters by exactly those; the
// output passes promtool's parser and lint; a reload moves the endpoint without resetting a
// counter, and keeps it when the new address is taken; an address in use stops the start with one
// line; with --workers 2 the primary serves the workers' sum on every scrape, and moves on SIGHUP.
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { execFile } from 'node:child_process';
import t, { type Test } from 'tap';
import dns2 from 'dns2';
import { runDnsfwd, startDnsfwd, type DaemonProcess } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { aRecord, startFake, type Dns2Resource } from '../helpers/fake-upstream.js';
import { freePort } from '../helpers/ports.js';
import { requireTool } from '../helpers/tools.js';

const LISTEN = '127.0.74.1';
const UP = '127.0.74.2';
const DEAD = '127.0.74.3'; // nothing listens: the route's server fails (ICMP port unreachable)
const METRICS = '127.0.74.4';

const soa = {
  name: 'example',
  type: dns2.Packet.TYPE.SOA,
  class: dns2.Packet.CLASS.IN,
  ttl: 3600,
  primary: 'ns.example',
  admin: 'admin.example',
  serial: 1,
  refresh: 3600,
  retry: 600,
  expiration: 86400,
  minimum: 60,
} as unknown as Dns2Resource;

const upPort = await freePort(UP);
const up = await startFake({
  address: UP,
  port: upPort,
  answer: (name, type) => {
    if (name.startsWith('nx')) return { answers: [], authorities: [soa], rcode: 3 };
    return type === 1 ? { answers: [aRecord(name, '10.74.0.1', 300)] } : { answers: [], authorities: [soa] };
  },
});
t.teardown(() => up.close());
const deadPort = await freePort(DEAD);
const promtool = requireTool('promtool');

/** A config file for a daemon on `port` with the metrics endpoint at `metrics`. */
function configText(port: number, metrics: string): string {
  return [
    `listen: ["${LISTEN}:${port}"]`,
    `metrics: {listen: "${metrics}"}`,
    'routes:',
    `  - {zone: fail.test, servers: ["${DEAD}:${deadPort}"]}`,
    `default: {servers: ["${UP}:${upPort}"], sources: []}`,
    '',
  ].join('\n');
}

interface Scrape {
  readonly text: string;
  readonly contentType: string | null;
  /** Each sample's value by its series, as written: `name{labels}`. */
  readonly values: Map<string, number>;
}

async function scrape(address: string): Promise<Scrape> {
  const res = await fetch(`http://${address}/metrics`);
  if (res.status !== 200) throw new Error(`scrape of ${address}: HTTP ${res.status}`);
  const text = await res.text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+) (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    values.set(m[1]!, Number(m[2]));
  }
  return { text, contentType: res.headers.get('content-type'), values };
}

/** How much each series moved from `before` to `after` (a series new in `after` moved from 0); only those that moved. */
function moved(before: Scrape, after: Scrape, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of after.values) {
    if (!k.startsWith(prefix)) continue;
    const d = v - (before.values.get(k) ?? 0);
    if (d !== 0) out[k] = Math.round(d * 1e9) / 1e9;
  }
  return out;
}

/** promtool's parser and lint on `text`: its exit code and what it printed. */
function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile(promtool, ['check', 'metrics'], (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, output: stdout + stderr });
    });
    child.stdin!.end(text);
  });
}

async function start(t: Test, args: string[]): Promise<DaemonProcess> {
  const d = await startDnsfwd(args);
  t.teardown(() => d.stop());
  return d;
}

t.test('known queries move the counters by exactly those; promtool parses and lints the output', async (t) => {
  const port = await freePort(LISTEN);
  const metrics = `${METRICS}:${await freePort(METRICS)}`;
  const file = `${t.testdir({})}/dnsfwd.yaml`;
  writeFileSync(file, configText(port, metrics));
  const d = await start(t, ['--config', file]);
  await d.waitForMsg('metrics endpoint listening');
  const before = await scrape(metrics);
  t.equal(before.contentType, 'text/plain; version=0.0.4; charset=utf-8');

  t.equal((await dig(LISTEN, port, 'a1.example')).answers[0]?.data, '10.74.0.1', 'a miss, forwarded');
  t.equal((await dig(LISTEN, port, 'a1.example')).answers[0]?.data, '10.74.0.1', 'a cache hit');
  t.equal((await dig(LISTEN, port, 'a2.example', { type: 'AAAA', tcp: true })).status, 'NOERROR', 'AAAA over TCP: no data');
  t.equal((await dig(LISTEN, port, 'nx1.example', { type: 'TXT' })).status, 'NXDOMAIN');
  t.equal((await dig(LISTEN, port, 'x.fail.test')).status, 'SERVFAIL', 'the route whose server fails');
  const after = await scrape(metrics);

  t.same(moved(before, after, 'dnsfwd_requests_total'), {
    'dnsfwd_requests_total{transport="udp",type="A"}': 3,
    'dnsfwd_requests_total{transport="tcp",type="AAAA"}': 1,
    'dnsfwd_requests_total{transport="udp",type="TXT"}': 1,
  });
  t.same(moved(before, after, 'dnsfwd_responses_total'), {
    'dnsfwd_responses_total{rcode="NOERROR"}': 3,
    'dnsfwd_responses_total{rcode="NXDOMAIN"}': 1,
    'dnsfwd_responses_total{rcode="SERVFAIL"}': 1,
  });
  t.equal(moved(before, after, 'dnsfwd_request_duration_seconds_count')['dnsfwd_request_duration_seconds_count'], 5);
  t.equal(moved(before, after, 'dnsfwd_request_duration_seconds_bucket')['dnsfwd_request_duration_seconds_bucket{le="+Inf"}'], 5);
  t.same(moved(before, after, 'dnsfwd_cache_'), {
    dnsfwd_cache_hits_total: 1,
    dnsfwd_cache_misses_total: 4,
    dnsfwd_cache_entries: 3,
    dnsfwd_cache_bytes: after.values.get('dnsfwd_cache_bytes'),
  }, 'one hit, four misses, three answers kept (the SERVFAIL is not)');
  t.ok(after.values.get('dnsfwd_cache_bytes')! > 0);
  const upPair = `route=".",server="${UP}:${upPort}"`;
  const deadPair = `route="fail.test",server="${DEAD}:${deadPort}"`;
  t.same(moved(before, after, 'dnsfwd_forward_requests_total'), {
    [`dnsfwd_forward_requests_total{${upPair}}`]: 3,
    [`dnsfwd_forward_requests_total{${deadPair}}`]: 1,
  });
  t.same(moved(before, after, 'dnsfwd_forward_answers_total'), { [`dnsfwd_forward_answers_total{${upPair}}`]: 3 });
  t.same(moved(before, after, 'dnsfwd_forward_failures_total'), { [`dnsfwd_forward_failures_total{${deadPair},kind="unreachable"}`]: 1 });
  t.equal(moved(before, after, 'dnsfwd_forward_rtt_seconds_count')[`dnsfwd_forward_rtt_seconds_count{${upPair}}`], 3);
  t.equal(after.values.get(`dnsfwd_forward_server_up{${upPair}}`), 1);
  t.equal(after.values.get(`dnsfwd_forward_server_up{${deadPair}}`), 0, 'the failing server is down');
  t.notOk([...after.values.keys()].some((k) => /route="(localhost|local|invalid)"/.test(k)), 'no built-in zone listed');
  t.match(after.text, /^dnsfwd_build_info\{version="\d+\.\d+\.\d+[^"]*",node="v\d+\.\d+\.\d+"\} 1$/m);
  for (const name of ['process_resident_memory_bytes', 'process_heap_bytes', 'process_cpu_seconds_total', 'process_start_time_seconds', 'process_open_fds']) {
    t.ok(after.values.get(name)! > 0, name);
  }

  const check = await promtoolCheck(after.text);
  t.equal(check.code, 0, 'promtool check metrics passes');
  t.equal(check.output, '', 'with nothing to say');
  const broken = await promtoolCheck(after.text.replace('# TYPE dnsfwd_requests_total counter\n', '# TYPE dnsfwd_requests_total counter\n# TYPE dnsfwd_requests_total counter\n'));
  t.not(broken.code, 0, 'the check can fail: a second TYPE line is refused');
});

t.test('reload: a changed address is applied and the counters go on; an address in use keeps the old', async (t) => {
  const port = await freePort(LISTEN);
  const first = `${METRICS}:${await freePort(METRICS)}`;
  const file = `${t.testdir({})}/dnsfwd.yaml`;
  writeFileSync(file, configText(port, first));
  const d = await start(t, ['--config', file]);
  await d.waitForMsg('metrics endpoint listening');
  await dig(LISTEN, port, 'r1.example');
  await dig(LISTEN, port, 'r2.example', { tcp: true });
  const before = await scrape(first);

  const second = `${METRICS}:${await freePort(METRICS)}`;
  writeFileSync(file, configText(port, second));
  const since = d.logs.length;
  d.child.kill('SIGHUP');
  await d.waitForMsg('configuration reloaded', 10_000, since);
  await t.rejects(fetch(`http://${first}/metrics`), 'the old address is closed');
  const moved1 = await scrape(second);
  t.equal(moved1.values.get('dnsfwd_requests_total{transport="udp",type="A"}'), before.values.get('dnsfwd_requests_total{transport="udp",type="A"}'), 'UDP count kept');
  t.equal(moved1.values.get('dnsfwd_requests_total{transport="tcp",type="A"}'), 1, 'TCP count kept');
  t.equal(moved1.values.get('dnsfwd_cache_misses_total'), before.values.get('dnsfwd_cache_misses_total'));

  const taken = await freePort(METRICS);
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => blocker.listen(taken, METRICS, resolve));
  t.teardown(() => blocker.close());
  writeFileSync(file, configText(port, `${METRICS}:${taken}`));
  const since2 = d.logs.length;
  d.child.kill('SIGHUP');
  const rejected = await d.waitForMsg('new configuration could not be applied: keeping the old one', 10_000, since2);
  t.equal(rejected.error, `cannot listen on ${METRICS}:${taken} (metrics HTTP): address already in use (is another exporter, such as CoreDNS, using it?)`);
  t.equal((await scrape(second)).values.get('dnsfwd_requests_total{transport="tcp",type="A"}'), 1, 'still served at the old address');
  t.equal((await dig(LISTEN, port, 'r3.example')).status, 'NOERROR', 'and still answering');
});

t.test('an address in use at start: one line, exit 1', async (t) => {
  const port = await freePort(LISTEN);
  const taken = await freePort(METRICS);
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => blocker.listen(taken, METRICS, resolve));
  t.teardown(() => blocker.close());
  const file = `${t.testdir({})}/dnsfwd.yaml`;
  writeFileSync(file, configText(port, `${METRICS}:${taken}`));
  for (const workers of ['1', '2']) {
    const r = await runDnsfwd(['run', '--config', file, '--workers', workers]);
    t.equal(r.code, 1, `workers ${workers}: exit 1`);
    t.equal(r.stderr, `dnsfwd: cannot listen on ${METRICS}:${taken} (metrics HTTP): address already in use (is another exporter, such as CoreDNS, using it?)\n`);
  }
});

t.test('--workers 2: the primary serves the sum of both workers, on every scrape', async (t) => {
  const port = await freePort(LISTEN);
  const metrics = `${METRICS}:${await freePort(METRICS)}`;
  const file = `${t.testdir({})}/dnsfwd.yaml`;
  writeFileSync(file, configText(port, metrics));
  const d = await start(t, ['--config', file, '--workers', '2']);
  await d.waitForMsg('all workers started', 20_000);
  const QUERIES = 24;
  for (let i = 0; i < QUERIES; i++) t.equal((await dig(LISTEN, port, `w${i}.example`, { tcp: i % 2 === 1 })).status, 'NOERROR');
  const scrapes = [await scrape(metrics), await scrape(metrics), await scrape(metrics)];
  for (const s of scrapes) {
    const udp = s.values.get('dnsfwd_requests_total{transport="udp",type="A"}') ?? 0;
    const tcp = s.values.get('dnsfwd_requests_total{transport="tcp",type="A"}') ?? 0;
    t.equal(udp + tcp, QUERIES, 'every query counted once, whichever worker had it');
    t.equal(tcp, QUERIES / 2);
    t.equal(s.values.get('dnsfwd_cache_misses_total'), QUERIES);
    t.equal(s.values.get(`dnsfwd_forward_requests_total{route=".",server="${UP}:${upPort}"}`), QUERIES);
  }
  // Three processes' memory in the sum: each is over 10 MiB.
  t.ok(scrapes[0]!.values.get('process_resident_memory_bytes')! > 3 * 10 * 1024 * 1024, 'memory of all three processes');
  t.equal((await promtoolCheck(scrapes[0]!.text)).code, 0, 'promtool check metrics passes');

  const moved = `${METRICS}:${await freePort(METRICS)}`;
  writeFileSync(file, configText(port, moved));
  const since = d.logs.length;
  d.child.kill('SIGHUP');
  await d.waitForLog((l) => l.msg === 'metrics endpoint listening' && l.listen === `http://${moved}/metrics`, 10_000, since);
  await t.rejects(fetch(`http://${metrics}/metrics`), 'SIGHUP: the old address is closed');
  const after = await scrape(moved);
  t.equal(after.values.get('dnsfwd_cache_misses_total'), QUERIES, 'the new address serves the same sums');
});

// Loading YAML config files (errors at file:line:col), command-line overrides, and rendering.
import { readFileSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import {
  applyOverrides,
  describeConfig,
  formatConfigError,
  loadConfigFile,
} from '../../src/config/load.js';
import { defaultConfig } from '../../src/config/schema.js';
import type { Config, ConfigError, ConfigResult } from '../../src/config/types.js';
import { ROOT } from '../helpers/tools.js';

const EXAMPLE = join(ROOT, 'config/dnsfwd.example.yaml');

function error(r: ConfigResult): ConfigError {
  if (r.ok) throw new Error('expected a ConfigError, got a Config');
  return r.error;
}

function config(r: ConfigResult): Config {
  if (!r.ok) throw new Error(`unexpected error: ${formatConfigError(r.error)}`);
  return r.config;
}

/** A directory for the config files these tests write; removed at the end. */
const dir = await mkdtemp(join(tmpdir(), 'dnsfwd-config-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

/** Writes `text` to `name` in that directory and loads it as the daemon does. */
async function load(text: string, name = 'c.yaml'): Promise<ConfigResult> {
  const file = join(dir, name);
  await writeFile(file, text);
  return loadConfigFile(file);
}

function withoutFile(c: Config): Omit<Config, 'file'> {
  const { file: _file, ...rest } = c;
  return rest;
}

/** Checks `text`'s first error: where it is, which key, and what the reason says. */
async function located(t: Test, text: string, line: number, col: number, key: string, reason: RegExp) {
  const e = error(await load(text));
  t.same({ file: e.file, line: e.line, col: e.col, key: e.key }, { file: join(dir, 'c.yaml'), line, col, key }, `position of: ${reason}`);
  t.match(e.reason, reason);
}

t.test('an empty or comment-only file means all defaults', async (t) => {
  for (const text of ['', '\n', '# nothing here\n', '---\n']) {
    const c = config(await load(text, 'empty.yaml'));
    t.same(withoutFile(c), withoutFile(defaultConfig()), JSON.stringify(text));
    t.equal(c.file, join(dir, 'empty.yaml'));
  }
});

t.test('the example file loads and equals the defaults', async (t) => {
  const c = config(await loadConfigFile(EXAMPLE));
  t.equal(c.file, EXAMPLE);
  t.same(withoutFile(c), withoutFile(defaultConfig()));
  t.ok(Object.isFrozen(c.default.sources[0]));
});

t.test('the example route, uncommented, loads', async (t) => {
  const text = [
    'routes:',
    '  - zone: consul',
    '    servers: ["127.0.0.1:8600"]',
    '  - zone: vagrant.test',
    '    servers: ["192.168.121.1"]',
    '  - zone: 121.168.192.in-addr.arpa.',
    '    servers: [192.168.121.1]',
  ].join('\n');
  const c = config(await load(text));
  t.same(c.routes.map((r) => r.zone), ['consul', 'vagrant.test', '121.168.192.in-addr.arpa']);
  t.same(c.routes[2]!.servers, [{ host: '192.168.121.1', port: 53, family: 4 }]);
});

t.test('anchors and aliases work; an error in an aliased value is found at its anchor', async (t) => {
  const good = 'routes:\n  - zone: a\n    servers: &s ["1.1.1.1"]\n  - zone: b\n    servers: *s\n';
  t.same(config(await load(good)).routes.map((r) => r.servers[0]!.host), ['1.1.1.1', '1.1.1.1']);
  const bad = 'routes:\n  - zone: a\n    servers: &s ["1.1.1.1"]\n  - zone: b\n    servers: *s\n  - zone: c\n    servers: *s\nlisten: [x]\n';
  await located(t, bad, 8, 10, 'listen[0]', /"x": not an IP address/);
  const aliased = 'default:\n  servers: &s [nope]\nlisten: *s\n';
  await located(t, aliased, 2, 16, 'listen[0]', /"nope": not an IP address/);
});

t.test('a bad control_socket is located at its value', async (t) => {
  await located(t, 'log_level: info\ncontrol_socket: run/dnsfwd.sock\n', 2, 17, 'control_socket', /^control_socket: "run\/dnsfwd\.sock": must be an absolute path/);
});

t.test('YAML syntax errors and duplicate keys are located', async (t) => {
  await located(t, 'listen: ["127.0.0.1:53"\nlog_level: info\n', 2, 1, '', /^invalid YAML: Flow sequence in block collection must be sufficiently indented/);
  await located(t, 'log_level: info\nupstream:\n  timeout_ms: 100\n  timeout_ms: 200\n', 4, 3, '', /^invalid YAML: duplicate key "timeout_ms"$/);
  await located(t, 'listen: []\nlisten: ["1.1.1.1"]\n', 2, 1, '', /duplicate key "listen"/);
  // The key named is the repeated one, not whichever key comes last in the file.
  await located(t, 'listen: []\nlisten: ["1.1.1.1"]\nlog_level: info\n', 2, 1, '', /^invalid YAML: duplicate key "listen"$/);
  await located(t, 'a: 1\n---\nb: 2\n', 2, 1, '', /invalid YAML: .*multiple documents/);
  await located(t, 'log_level: "info\n', 2, 1, '', /invalid YAML: Missing closing "quote/);
  await located(t, 'routes:\n  - zone: a\n   servers: []\n', 3, 1, '', /invalid YAML: /);
  await located(t, '{listen: [], listen: []}', 1, 14, '', /duplicate key "listen"/);
  await located(t, 'listen: *nowhere\n', 1, 1, '', /^invalid YAML: Unresolved alias/);
});

t.test('unknown keys are located at the key', async (t) => {
  await located(t, 'log_level: info\nlisten_on: ["1.2.3.4"]\n', 2, 1, 'listen_on', /listen_on: unknown key \(allowed here: listen, log_level,/);
  await located(t, 'upstream:\n  timeout_ms: 100\n  retries: 3\n', 3, 3, 'upstream.retries', /allowed here: timeout_ms, deadline_ms, down_ms, edns_size/);
  const route = 'routes:\n  - zone: consul\n    servers: ["127.0.0.1:8600"]\n    port: 8600\n';
  await located(t, route, 4, 5, 'routes[0].port', /unknown key \(allowed here: zone, servers, cache, transport, dnssec\)/);
  const source = 'default:\n  sources:\n    - {kind: dhclient, path: /x.leases, watch: true}\n';
  await located(t, source, 3, 41, 'default.sources[0].watch', /allowed here: kind, path/);
});

t.test('bad values are located at the value', async (t) => {
  await located(t, 'listen: ["127.0.0.1:53", "localhost"]\n', 1, 26, 'listen[1]', /"localhost": not an IP address/);
  await located(t, 'listen:\n  - 127.0.0.1\n  - "[::1:53"\n', 3, 5, 'listen[1]', /listen\[1\]: "\[::1:53": missing "\]"/);
  await located(t, 'listen: []\n', 1, 9, 'listen', /listen: needs at least one address/);
  await located(t, 'listen: 127.0.0.1\n', 1, 9, 'listen', /expected a list, got the string "127.0.0.1"/);
  await located(t, 'log_level: loud\n', 1, 12, 'log_level', /"loud" is not one of fatal, error/);
  await located(t, 'log_level: info\nlog_format: pretty\n', 2, 13, 'log_format', /log_format: "pretty" is not one of json, text$/);
  await located(t, 'log_file: dnsfwd.log\n', 1, 11, 'log_file', /log_file: "dnsfwd\.log": not an absolute path$/);
  await located(t, 'upstream:\n  timeout_ms: 20\n', 2, 15, 'upstream.timeout_ms', /must be from 50 to 30000, got 20/);
  await located(t, 'server:\n  tcp_max_connections: "many"\n', 2, 24, 'server.tcp_max_connections', /expected an integer, got the string "many"/);
  await located(t, 'upstream:\n  deadline_ms: 1000\n  timeout_ms: 2000\n', 2, 16, 'upstream.deadline_ms', /deadline_ms \(1000\) must be at least timeout_ms \(2000\)/);
  await located(t, 'server:\n  udp_recv_buffer: 4M\n', 2, 20, 'server.udp_recv_buffer', /expected an integer, got the string "4M"/);
  await located(t, 'server:\n  udp_send_buffer: -1\n', 2, 20, 'server.udp_send_buffer', /must be from 0 to 536870912, got -1/);
  await located(t, 'server: 4096\n', 1, 9, 'server', /expected a mapping, got number 4096/);
});

t.test('a listen address given twice is located at its second mention', async (t) => {
  await located(t, 'listen:\n  - 127.0.0.1:53\n  - "127.0.0.2"\n  - 127.0.0.1\n', 4, 5, 'listen[2]', /"127\.0\.0\.1:53" is listed twice/);
});

t.test('interface and optional listen entries: errors at the line and column of the bad part', async (t) => {
  await located(t, 'listen:\n  - 127.0.0.1:53\n  - iface:a/b\n', 3, 5, 'listen[1]', /"a\/b": an interface name has no "\/"/);
  await located(t, 'listen:\n  - {interface: docker0, port: 0}\n', 2, 32, 'listen[0].port', /port must be a number from 1 to 65535, got number 0/);
  await located(t, 'listen:\n  - interface: "0123456789abcdef"\n', 2, 16, 'listen[0].interface', /at most 15 bytes/);
  await located(t, 'listen:\n  - {interface: docker0, optional: true}\n', 2, 26, 'listen[0].optional', /unknown key \(allowed here: interface, port\)/);
  await located(t, 'listen:\n  - address: 172.17.0.1\n    optional: maybe\n', 3, 15, 'listen[0].optional', /expected true or false/);
  await located(t, 'listen:\n  - {address: "0.0.0.0:53", optional: true}\n', 2, 15, 'listen[0].address', /wildcard address is always there/);
  await located(t, 'listen:\n  - {port: 53}\n', 2, 5, 'listen[0]', /expected a mapping with "address"/);
  await located(t, 'listen:\n  - iface:docker0\n  - {interface: docker0}\n', 3, 5, 'listen[1]', /interface "docker0" port 53 is listed twice/);
  await located(t, 'listen:\n  - 172.17.0.1\n  - {address: 172.17.0.1, optional: true}\n', 3, 5, 'listen[1]', /"172\.17\.0\.1:53" is listed twice/);
});

t.test('route errors', async (t) => {
  const text = (zone: string, servers: string) => `log_level: info\nroutes:\n  - zone: ${zone}\n    servers: ${servers}\n`;
  await located(t, text('consul', '[]'), 4, 14, 'routes[0].servers', /a route needs at least one server/);
  await located(t, text('consul', ''), 4, 14, 'routes[0].servers', /a route needs at least one server/);
  await located(t, text('consul', '["127.0.0.1:86000"]'), 4, 15, 'routes[0].servers[0]', /port must be a number from 1 to 65535/);
  await located(t, text('"."', '["1.1.1.1"]'), 3, 11, 'routes[0].zone', /root zone is not a route: configure it under "default:"/);
  await located(t, text('""', '["1.1.1.1"]'), 3, 11, 'routes[0].zone', /root zone/);
  await located(t, text('a..b', '["1.1.1.1"]'), 3, 11, 'routes[0].zone', /empty label/);
  await located(t, 'routes:\n  - zone: consul\n  - zone: x\n', 2, 5, 'routes[0]', /routes\[0\]: missing key "servers"/);
  await located(t, 'routes:\n  - consul\n', 2, 5, 'routes[0]', /expected a mapping, got the string "consul"/);
});

t.test('duplicate zones name the zone and the line of the first definition', async (t) => {
  const text = [
    'routes:', // 1
    '  - zone: consul', // 2
    '    servers: ["127.0.0.1:8600"]', // 3
    '  - zone: vagrant.test', // 4
    '    servers: ["192.168.121.1"]', // 5
    '  - zone: Consul.', // 6
    '    servers: ["127.0.0.2:8600"]', // 7
  ].join('\n');
  await located(t, text, 6, 11, 'routes[2].zone', /^routes\[2\]\.zone: duplicate zone "consul" \(first defined at line 2\)$/);
});

t.test('source errors', async (t) => {
  const text = (kind: string, path: string) => `default:\n  sources:\n    - kind: ${kind}\n      path: ${path}\n`;
  await located(t, text('dhclient', 'dhclient.leases'), 4, 13, 'default.sources[0].path', /"dhclient.leases": must be an absolute path/);
  await located(t, text('dhclient', '/var/*/dhclient.leases'), 4, 13, 'default.sources[0].path', /only in the file name/);
  await located(t, text('udhcpc', '/run/x'), 3, 13, 'default.sources[0].kind', /"udhcpc" is not one of dhclient, dhcpcd, networkd, resolvconf/);
  await located(t, 'default:\n  sources:\n    - kind: dhclient\n', 3, 7, 'default.sources[0]', /missing key "path"/);
  await located(t, 'default:\n  servers: [1.1.1.1, 8.8.8.8:x]\n', 2, 22, 'default.servers[1]', /port must be a number/);
});

t.test("dnsfwd.yaml's commented access, rate_limit and metrics examples, uncommented, load", async (t) => {
  const lines = readFileSync(join(ROOT, 'config/dnsfwd.yaml'), 'utf8').split('\n');
  const start = lines.indexOf('# access:');
  t.ok(start > 0, 'the access example is there');
  const example = lines.slice(start).filter((l) => /^# (access:|rate_limit:|metrics:| {2}- )/.test(l)).map((l) => l.slice(2));
  const c = config(await load(example.join('\n')));
  t.same(c.access.map((r) => `${r.from} ${r.action}`), ['10.20.0.0/16 allow', '172.17.0.128/25 refuse', '192.168.200.0/24 drop']);
  t.same(c.rateLimit, defaultConfig().rateLimit, 'the rate_limit example spells the defaults');
  t.same(c.metrics.listen, { host: '127.0.0.1', port: 9153, family: 4 }, 'the metrics example');
});

t.test('access and rate_limit: loaded, and each error located', async (t) => {
  const good = [
    'access:',
    '  - {from: 192.168.200.0/24, action: allow}',
    '  - from: "::ffff:10.0.0.0/104"',
    '    action: drop',
    '  - {from: "2001:DB8::/32", action: refuse}',
    'rate_limit: {responses_per_second: 5, slip: 1}',
  ].join('\n');
  const c = config(await load(good));
  t.same(c.access, [
    { from: '192.168.200.0/24', action: 'allow' },
    { from: '10.0.0.0/8', action: 'drop' },
    { from: '2001:db8::/32', action: 'refuse' },
  ]);
  t.same(c.rateLimit, { responsesPerSecond: 5, slip: 1, ipv4Prefix: 24, ipv6Prefix: 56 }, 'missing keys keep their defaults');
  const entry = (from: string, action = 'allow') => `log_level: info\naccess:\n  - from: ${from}\n    action: ${action}\n`;
  await located(t, entry('10.0.0.0/33'), 3, 11, 'access[0].from', /^access\[0\]\.from: "10\.0\.0\.0\/33": the prefix length must be a number from 0 to 32$/);
  await located(t, entry('10.0.0.1/8'), 3, 11, 'access[0].from', /"10\.0\.0\.1\/8": host bits are set \(the network is 10\.0\.0\.0\/8\)/);
  await located(t, entry('docker0'), 3, 11, 'access[0].from', /"docker0": not an IP address/);
  await located(t, entry('10.0.0.0/8', 'deny'), 4, 13, 'access[0].action', /"deny" is not one of allow, refuse, drop/);
  await located(t, 'access:\n  - {from: 10.0.0.0/8}\n', 2, 5, 'access[0]', /missing key "action"/);
  await located(t, 'access:\n  - {from: 10.0.0.0/8, action: allow, port: 53}\n', 2, 39, 'access[0].port', /unknown key \(allowed here: from, action\)/);
  await located(t, 'access: {from: 10.0.0.0/8}\n', 1, 9, 'access', /expected a list, got a mapping/);
  await located(t, 'access:\n  - {from: 10.0.0.0/8, action: allow}\n  - {from: 10.1.0.0/16, action: drop}\n  - {from: 10.0.0.0/8, action: drop}\n', 4, 12, 'access[2].from', /10\.0\.0\.0\/8 is already listed \(access\[0\]\)/);
  await located(t, 'access:\n  - {from: "::ffff:10.0.0.0/104", action: drop}\n  - {from: 10.0.0.0/8, action: drop}\n', 3, 12, 'access[1].from', /10\.0\.0\.0\/8 is already listed/);
  await located(t, 'rate_limit:\n  slip: 11\n', 2, 9, 'rate_limit.slip', /must be from 0 to 10, got 11/);
  await located(t, 'rate_limit:\n  responses_per_second: -1\n', 2, 25, 'rate_limit.responses_per_second', /must be from 0 to 1000000, got -1/);
  await located(t, 'rate_limit:\n  ipv4_prefix: 33\n', 2, 16, 'rate_limit.ipv4_prefix', /must be from 8 to 32, got 33/);
  await located(t, 'rate_limit:\n  ipv6_prefix: 129\n', 2, 16, 'rate_limit.ipv6_prefix', /must be from 16 to 128, got 129/);
  await located(t, 'rate_limit:\n  burst: 5\n', 2, 3, 'rate_limit.burst', /unknown key \(allowed here: responses_per_second, slip, ipv4_prefix, ipv6_prefix\)/);
});

t.test('metrics: off by default, an address with or without its port, each error located', async (t) => {
  t.equal(defaultConfig().metrics.listen, null, 'off by default');
  t.same(config(await load('metrics: {listen: "127.0.0.1:9100"}\n')).metrics.listen, { host: '127.0.0.1', port: 9100, family: 4 });
  t.same(config(await load('metrics:\n  listen: "::1"\n')).metrics.listen, { host: '::1', port: 9153, family: 6 }, "CoreDNS's port when left out");
  t.equal(config(await load('metrics:\n  listen: ""\n')).metrics.listen, null, '"" is off');
  t.equal(config(await load('metrics:\n')).metrics.listen, null, 'an empty section is off');
  t.match(describeConfig(config(await load('metrics: {listen: "[::1]:9153"}\n'))), /^metrics: +http:\/\/\[::1\]:9153\/metrics$/m);
  t.match(describeConfig(defaultConfig()), /^metrics: +off$/m);
  await located(t, 'log_level: info\nmetrics:\n  listen: localhost:9153\n', 3, 11, 'metrics.listen', /"localhost:9153": not an IP address/);
  await located(t, 'metrics:\n  listen: "127.0.0.1:99999"\n', 2, 11, 'metrics.listen', /port must be a number from 1 to 65535/);
  await located(t, 'metrics:\n  listen: 9153\n', 2, 11, 'metrics.listen', /expected a string, got number 9153/);
  await located(t, 'metrics:\n  listen: ["127.0.0.1:9153"]\n', 2, 11, 'metrics.listen', /expected a string, got a list/);
  await located(t, 'metrics:\n  path: /metrics\n', 2, 3, 'metrics.path', /unknown key \(allowed here: listen\)/);
  await located(t, 'metrics: "127.0.0.1:9153"\n', 1, 10, 'metrics', /expected a mapping, got the string/);
});

t.test('loadConfigFile: read errors are located at 1:1 with the OS reason', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dnsfwd-config-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const missing = join(dir, 'missing.yaml');
  t.same(error(await loadConfigFile(missing)), { file: missing, line: 1, col: 1, key: '', reason: 'cannot read: no such file' });
  await mkdir(join(dir, 'sub.yaml'));
  t.equal(error(await loadConfigFile(join(dir, 'sub.yaml'))).reason, 'cannot read: is a directory');
  // An OS error without a wording of its own is named by its code.
  t.equal(error(await loadConfigFile(join(dir, `${'x'.repeat(300)}.yaml`))).reason, 'cannot read: ENAMETOOLONG');
  const file = join(dir, 'dnsfwd.yaml');
  await writeFile(file, 'log_level: debug\nroutes: []\n');
  const c = config(await loadConfigFile(file));
  t.equal(c.logLevel, 'debug');
  t.same(c.routes, []);
  t.equal(c.file, file);
  await writeFile(file, 'log_level: debug\nupstream:\n  edns_size: 100\n');
  const e = error(await loadConfigFile(file));
  t.equal(formatConfigError(e), `${file}:3:14: upstream.edns_size: must be from 512 to 4096, got 100`);
});

t.test('formatConfigError', async (t) => {
  const e = error(await load('log_level: info\nlisten: ["127.0.0.1:53", "nope"]\n', 'dnsfwd.yaml'));
  t.equal(
    formatConfigError(e),
    `${dir}/dnsfwd.yaml:2:26: listen[1]: "nope": not an IP address (use ADDR, ADDR:PORT or [IPv6]:PORT)`,
  );
  const cli = error(applyOverrides(defaultConfig(), { route: ['consul'] }));
  t.equal(formatConfigError(cli), '<command line>: --route: "consul": expected ZONE=SERVER[,SERVER...]');
  t.equal(formatConfigError({ file: 'x.yaml', line: 0, col: 0, key: 'a', reason: 'a: bad' }), 'x.yaml: a: bad');
  // A command-line error without a flag has no empty "key:" part.
  t.equal(formatConfigError({ file: '<command line>', line: 0, col: 0, key: '', reason: 'bad' }), '<command line>: bad');
});

t.test('applyOverrides', async (t) => {
  const base = config(await load('routes:\n  - zone: consul\n    servers: ["127.0.0.1:8600"]\n'));
  t.equal(config(applyOverrides(base, {})), base, 'no flags: the same config');
  const c = config(
    applyOverrides(base, {
      listen: ['127.0.0.53', '[::1]:5353'],
      route: ['Vagrant.Test.=192.168.121.1', 'CONSUL=127.0.0.1:8601, 127.0.0.2:8601'],
      leaseFile: ['/var/lib/dhcp/dhclient.eth0.leases'],
      upstream: ['9.9.9.9', '1.1.1.1:5353'],
      logLevel: 'debug',
    }),
  );
  t.same(c.listen, [
    { host: '127.0.0.53', port: 53, family: 4 },
    { host: '::1', port: 5353, family: 6 },
  ]);
  t.same(c.routes, [
    { zone: 'consul', servers: [{ host: '127.0.0.1', port: 8601, family: 4 }, { host: '127.0.0.2', port: 8601, family: 4 }], cache: true, transport: 'udp', dnssec: false },
    { zone: 'vagrant.test', servers: [{ host: '192.168.121.1', port: 53, family: 4 }], cache: true, transport: 'udp', dnssec: false },
  ], 'a route for an existing zone replaces it in place; a new zone is added');
  t.same(c.default.sources, [{ kind: 'dhclient', path: '/var/lib/dhcp/dhclient.eth0.leases', optional: false }]);
  t.same(c.default.servers, [
    { host: '9.9.9.9', port: 53, family: 4 },
    { host: '1.1.1.1', port: 5353, family: 4 },
  ]);
  t.equal(c.logLevel, 'debug');
  t.equal(c.file, join(dir, 'c.yaml'));
  t.same(c.upstream, base.upstream);
  t.ok(Object.isFrozen(c.routes[1]!.servers), 'the result is deep-frozen');
  t.same(base.routes.map((r) => r.zone), ['consul'], 'the input is untouched');
  const later = config(applyOverrides(base, { route: ['x=1.1.1.1', 'x=2.2.2.2'] }));
  t.same(later.routes.map((r) => `${r.zone}=${r.servers[0]!.host}`), ['consul=127.0.0.1', 'x=2.2.2.2'], 'the last --route for a zone wins');
  const kinds = config(applyOverrides(base, { leaseFile: ['dhcpcd:/var/lib/dhcpcd/', 'resolvconf:/etc/dnsfwd/resolv.dhcp', '/x/dhclient.leases'] }));
  t.same(kinds.default.sources, [
    { kind: 'dhcpcd', path: '/var/lib/dhcpcd/*.lease', optional: false },
    { kind: 'resolvconf', path: '/etc/dnsfwd/resolv.dhcp', optional: false },
    { kind: 'dhclient', path: '/x/dhclient.leases', optional: false },
  ], '--lease-file KIND:PATH; a directory stands for the kind\'s files');
  const leases = config(applyOverrides(base, { leaseFile: [] }));
  t.same(leases.default.sources, base.default.sources, 'an empty list is no flag');
  // --listen and --upstream too: an empty list changes nothing.
  t.equal(config(applyOverrides(base, { listen: [], upstream: [] })), base, 'empty --listen and --upstream: the same config');
  const watched = config(applyOverrides(base, { listen: ['127.0.0.1:53', 'iface:docker0', 'optional:172.17.0.1:53,iface:nomad:5353'] }));
  t.same(watched.listen, [{ host: '127.0.0.1', port: 53, family: 4 }], '--listen: the addresses bound from the start');
  t.same(watched.listenWatched, [
    { kind: 'interface', name: 'docker0', port: 53 },
    { kind: 'address', endpoint: { host: '172.17.0.1', port: 53, family: 4 } },
    { kind: 'interface', name: 'nomad', port: 5353 },
  ], '--listen iface:NAME[:PORT] and optional:ADDR[:PORT], also comma-separated');
  const onlyIface = config(applyOverrides(config(await load('listen: ["iface:br0", "127.0.0.1"]\n')), { listen: ['127.0.0.5'] }));
  t.same([onlyIface.listen.map((e) => e.host), onlyIface.listenWatched], [['127.0.0.5'], []], '--listen replaces the watched entries of the file too');
  const user = config(applyOverrides(base, { user: 'dnsfwd', workers: 64 }));
  t.same([user.user, user.server.workers], ['dnsfwd', 64], '--user and --workers');
  t.equal(config(applyOverrides(base, { workers: 1 })).server.workers, 1, '--workers 1, the lower bound');
  t.equal(base.controlSocket, '/run/dnsfwd/control.sock', 'control_socket by default');
  t.equal(config(applyOverrides(base, { controlSocket: '/tmp/x/c.sock' })).controlSocket, '/tmp/x/c.sock', '--control-socket PATH');
  t.equal(config(applyOverrides(base, { controlSocket: '' })).controlSocket, '', '--control-socket "": none');
  const logs = config(applyOverrides(base, { logFormat: 'text', logFile: '/var/log/dnsfwd.log' }));
  t.same([logs.logFormat, logs.logFile], ['text', '/var/log/dnsfwd.log'], '--log-format and --log-file');
  t.equal(config(applyOverrides(base, { logFile: 'x/dnsfwd.log' })).logFile, join(process.cwd(), 'x/dnsfwd.log'), 'a relative --log-file is from the working directory');
});

t.test('applyOverrides errors name the flag', async (t) => {
  const cases: Array<[Parameters<typeof applyOverrides>[1], string, RegExp]> = [
    [{ listen: ['localhost'] }, '--listen', /^"localhost": not an IP address/],
    [{ upstream: ['1.1.1.1', '8.8.8.8:0'] }, '--upstream', /^"8.8.8.8:0": port must be a number from 1 to 65535$/],
    [{ logLevel: 'loud' }, '--log-level', /^"loud" is not one of fatal, error, warn, info, debug, trace, silent$/],
    [{ leaseFile: ['dhclient.leases'] }, '--lease-file', /must be an absolute path/],
    [{ leaseFile: ['/var/*/x.leases'] }, '--lease-file', /only in the file name/],
    [{ leaseFile: ['udhcpc:/x/y'] }, '--lease-file', /"udhcpc" is not one of dhclient, dhcpcd, networkd, resolvconf/],
    [{ route: ['consul:127.0.0.1'] }, '--route', /expected ZONE=SERVER\[,SERVER\.\.\.\]/],
    [{ route: ['consul='] }, '--route', /"consul=": a route needs at least one server/],
    [{ route: ['.=1.1.1.1'] }, '--route', /root zone is the default route: use --upstream or --lease-file/],
    [{ route: ['=1.1.1.1'] }, '--route', /root zone/],
    [{ route: ['a..b=1.1.1.1'] }, '--route', /"a..b": empty label/],
    [{ route: ['consul=127.0.0.1:8600,'] }, '--route', /"": not an IP address/],
    [{ route: ['consul=dns.consul'] }, '--route', /"dns.consul": not an IP address/],
    // The checks of --listen, --user and --workers.
    [{ listen: ['127.0.0.1:53', '127.0.0.1'] }, '--listen', /^"127\.0\.0\.1:53" is given twice$/],
    [{ listen: ['iface:docker0', 'iface:docker0:53'] }, '--listen', /^interface "docker0" port 53 is given twice$/],
    [{ listen: ['172.17.0.1', 'optional:172.17.0.1'] }, '--listen', /^"172\.17\.0\.1:53" is given twice$/],
    [{ listen: ['iface:a b'] }, '--listen', /^"a b": an interface name has no/],
    [{ listen: ['optional:0.0.0.0'] }, '--listen', /^"optional:0\.0\.0\.0": a wildcard address is always there/],
    [{ user: '' }, '--user', /^needs a user name$/],
    [{ user: 'not a user' }, '--user', /^"not a user": not a user name or numeric uid$/],
    [{ controlSocket: 'c.sock' }, '--control-socket', /^"c\.sock": must be an absolute path/],
    [{ workers: 0 }, '--workers', /^"0": must be a whole number from 1 to 64$/],
    [{ workers: 65 }, '--workers', /^"65": must be a whole number from 1 to 64$/],
    [{ workers: 1.5 }, '--workers', /^"1\.5": must be a whole number from 1 to 64$/],
    [{ logFormat: 'pretty' }, '--log-format', /^"pretty" is not one of json, text$/],
    [{ logFile: '' }, '--log-file', /^needs a file name$/],
    [{ logFile: '/var/log/' }, '--log-file', /^"\/var\/log\/": not a file name$/],
  ];
  for (const [o, flag, reason] of cases) {
    const e = error(applyOverrides(defaultConfig(), o));
    t.same({ file: e.file, line: e.line, col: e.col, key: e.key }, { file: '<command line>', line: 0, col: 0, key: flag });
    t.match(e.reason, reason, JSON.stringify(o));
  }
});

t.test('describeConfig renders the effective configuration', async (t) => {
  const text = [
    'listen: ["127.0.0.1:53", "[::1]:5353"]',
    'routes:',
    '  - {zone: consul, servers: ["127.0.0.1:8600"]}',
    '  - {zone: 121.168.192.in-addr.arpa, servers: [192.168.121.1, 192.168.121.2]}',
    'default:',
    '  servers: [9.9.9.9]',
    'upstream: {timeout_ms: 1000}',
    'server: {tcp_max_connections: 16, tcp_message_timeout_ms: 1500, tcp_max_connections_per_client: 4}',
  ].join('\n');
  const out = describeConfig(config(await load(text, 'dnsfwd.yaml')));
  const lines = out.split('\n');
  t.equal(lines[0], `config:    ${dir}/dnsfwd.yaml`);
  t.equal(lines[1], 'listen:    127.0.0.1:53, [::1]:5353');
  const watchedLine = describeConfig(config(await load('listen: ["127.0.0.1:53", "[::1]:53", "iface:docker0", {address: "172.17.0.1:53", optional: true}]')));
  t.equal(
    watchedLine.split('\n')[1],
    'listen:    127.0.0.1:53, [::1]:53, interface docker0 port 53 (when present), 172.17.0.1:53 (optional, when present)',
  );
  t.equal(lines[2], 'log level: info');
  t.equal(lines[3], 'log:       json lines to stdout');
  t.match(describeConfig(config(await load('log_format: text\nlog_file: /var/log/dnsfwd.log\n'))), /^log: {7}text lines to \/var\/log\/dnsfwd\.log$/m);
  // No user: the line says the daemon stays as started.
  t.equal(lines[4], 'user:      (as started)');
  t.match(describeConfig(config(await load('user: dnsfwd'))), /^user: {6}dnsfwd$/m);
  t.equal(lines[5], 'control:   /run/dnsfwd/control.sock');
  t.match(describeConfig(config(await load('control_socket: ""'))), /^control: {3}\(no control socket\)$/m);
  t.ok(lines.includes('  consul                    -> 127.0.0.1:8600'), out);
  t.ok(lines.includes('  121.168.192.in-addr.arpa  -> 192.168.121.1:53, 192.168.121.2:53'), out);
  t.ok(lines.includes('       source: dhclient /var/lib/dhcp/dhclient*.leases (optional)'), out);
  t.ok(lines.includes('       source: dhcpcd /var/lib/dhcpcd/*.lease (optional)'), out);
  t.match(out, /static servers \(used when the sources give none\): 9\.9\.9\.9:53/);
  t.match(out, /timeout 1000 ms, deadline 4000 ms, down for 30000 ms, EDNS size 1232/);
  t.match(out, /TCP message timeout 1500 ms, TCP max connections 16 \(4 per client\)/);
  t.match(out, /, UDP buffers 4 MiB receive \/ 4 MiB send, heap pacing every 2 MiB$/m, 'the default buffer sizes and heap pacing');
  const bufs = describeConfig(config(await load('server: {udp_recv_buffer: 0, udp_send_buffer: 65536, heap_pacing_mib: 0}')));
  t.match(bufs, /, UDP buffers kernel default receive \/ 65536 bytes send, heap pacing off$/m, '0 leaves the kernel default; 0 turns pacing off');
  const defaults = describeConfig(defaultConfig());
  t.match(defaults, /^config: {4}\(built-in defaults\)/);
  t.match(defaults, /static servers .*: \(none\)/);
  const none = describeConfig(config(applyOverrides(defaultConfig(), {})));
  t.equal(none, defaults);
  const noSources = describeConfig(config(await load('default: {sources: []}')));
  t.match(noSources, /sources: \(none\)/);
  t.ok(defaults.split('\n').includes('access:    loopback and connected subnets allowed, everything else refused'), defaults);
  t.ok(defaults.split('\n').includes('rate limit: 200 responses/s per /24 and /56, slip 2, UDP only, not for loopback'), defaults);
  const access = describeConfig(config(await load('access: [{from: 10.0.0.0/8, action: drop}, {from: "::/0", action: allow}]\nrate_limit: {responses_per_second: 0}')));
  t.ok(access.split('\n').includes('access:    10.0.0.0/8 drop, ::/0 allow (the most specific wins)'), access);
  t.ok(access.split('\n').includes('           otherwise loopback and connected subnets allowed, everything else refused'), access);
  t.ok(access.split('\n').includes('rate limit: off'), access);
  t.match(describeConfig(config(await load('rate_limit: {slip: 0}'))), /^rate limit: 200 responses\/s per \/24 and \/56, slip 0 \(all dropped\)/m);
});

t.test("a source's max_bytes: an integer from 1024 to 1 GiB, located when wrong, shown by check", async (t) => {
  const good = await load('default:\n  sources:\n    - {kind: dhclient, path: /x/y.leases, max_bytes: 65536}\n');
  if (!good.ok) throw new Error(good.error.reason);
  t.equal(good.config.default.sources[0]!.maxBytes, 65536);
  t.match(describeConfig(good.config), 'source: dhclient /x/y.leases (at most 65536 bytes)');
  const bad = await load('default:\n  sources:\n    - {kind: dhclient, path: /x/y.leases, max_bytes: 10}\n');
  t.match(bad, { ok: false, error: { line: 3, key: 'default.sources[0].max_bytes', reason: /must be from 1024 to 1073741824, got 10/ } });
});

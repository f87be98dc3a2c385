// Defaults and validation of plain config objects (no YAML, no positions: see load.test.ts).
import t from 'tap';
import type { Locator, PathSegment } from '../../src/checker.js';
import { defaultConfig, validateConfig } from '../../src/config/schema.js';
import type { ConfigError, ConfigResult } from '../../src/config/types.js';

/** A locator's path, written out for comparing (the error keys themselves are checked below). */
const show = (path: readonly PathSegment[]) => path.join(' ');

function error(r: ConfigResult): ConfigError {
  if (r.ok) throw new Error('expected a ConfigError, got a Config');
  return r.error;
}

function config(raw: unknown) {
  const r = validateConfig(raw);
  if (!r.ok) throw new Error(`unexpected error: ${r.error.reason}`);
  return r.config;
}

t.test('the default configuration', async (t) => {
  const c = defaultConfig();
  t.same(c.listen, [
    { host: '127.0.0.1', port: 53, family: 4 },
    { host: '::1', port: 53, family: 6 },
  ]);
  t.same(c.listenWatched, [], 'no interface or optional address');
  t.equal(c.logLevel, 'info');
  t.same(c.routes, [{ zone: 'consul', servers: [{ host: '127.0.0.1', port: 8600, family: 4 }], cache: true, transport: 'udp', dnssec: false }]);
  t.same(c.default.sources, [
    { kind: 'dhclient', path: '/var/lib/dhcp/dhclient*.leases', optional: true },
    { kind: 'dhclient', path: '/var/lib/dhclient/dhclient*.leases', optional: true },
    { kind: 'dhcpcd', path: '/var/lib/dhcpcd/*.lease', optional: true },
    { kind: 'networkd', path: '/run/systemd/netif/leases/*', optional: true },
    { kind: 'resolvconf', path: '/etc/dnsfwd/resolv.dhcp', optional: true },
  ]);
  t.same(c.default.servers, []);
  t.same(c.upstream, { timeoutMs: 1500, deadlineMs: 4000, downMs: 30000, ednsSize: 1232, loopProbeIntervalMs: 300000 });
  t.same(c.server, {
    udpMaxSize: 4096,
    tcpIdleTimeoutMs: 10000,
    tcpMaxConnections: 256,
    tcpMessageTimeoutMs: 2000,
    tcpMaxConnectionsPerClient: 16,
    workers: 1,
    udpRecvBuffer: 4194304,
    udpSendBuffer: 4194304,
    heapPacingMib: 2,
  });
  t.same(c.access, [], 'no access entries: the built-in default decides');
  t.same(c.rateLimit, { responsesPerSecond: 200, slip: 2, ipv4Prefix: 24, ipv6Prefix: 56 }, "NSD's rate and slip");
  t.equal(c.file, undefined, 'the defaults come from no file');
  t.equal(defaultConfig(), c, 'built once');
});

t.test('an empty document and an empty mapping mean all defaults', async (t) => {
  t.same(config(null), defaultConfig());
  t.same(config({}), defaultConfig());
});

t.test('the config is deep-frozen', async (t) => {
  const c = defaultConfig();
  t.ok(Object.isFrozen(c));
  t.ok(Object.isFrozen(c.routes));
  t.ok(Object.isFrozen(c.routes[0]!.servers[0]));
  t.ok(Object.isFrozen(c.default.sources[1]));
  t.ok(Object.isFrozen(c.upstream));
  t.throws(() => {
    (c.listen as unknown as unknown[]).push(1);
  });
  t.ok(Object.isFrozen(config({ routes: [{ zone: 'a', servers: ['1.1.1.1'] }] }).routes[0]));
});

t.test('a key present replaces its default entirely; a missing key keeps it', async (t) => {
  t.same(config({ routes: [] }).routes, [], 'routes: [] removes the consul route');
  t.same(config({ routes: null }).routes, [], '`routes:` alone is an empty list');
  const vagrant = config({ routes: [{ zone: 'vagrant.test', servers: ['192.168.121.1'] }] });
  t.same(vagrant.routes.map((r) => r.zone), ['vagrant.test'], 'the consul route is gone');
  const servers = config({ default: { servers: ['9.9.9.9'] } });
  t.same(servers.default.sources, defaultConfig().default.sources, 'sources keep their default');
  t.same(servers.default.servers, [{ host: '9.9.9.9', port: 53, family: 4 }]);
  const sources = config({ default: { sources: [{ kind: 'dhclient', path: '/tmp/x.leases' }] } });
  t.same(sources.default.sources, [{ kind: 'dhclient', path: '/tmp/x.leases', optional: false }]);
  t.same(sources.default.servers, [], 'a missing default.servers stays []');
  const up = config({ upstream: { timeout_ms: 200 } });
  t.same(up.upstream, { timeoutMs: 200, deadlineMs: 4000, downMs: 30000, ednsSize: 1232, loopProbeIntervalMs: 300000 });
  t.same(config({ upstream: null }).upstream, defaultConfig().upstream, '`upstream:` alone keeps the defaults');
  t.equal(config({ log_level: 'debug' }).logLevel, 'debug');
  t.equal(defaultConfig().logFormat, 'json', 'JSON lines by default');
  t.equal(defaultConfig().logFile, '', 'on stdout by default');
  t.equal(config({ log_format: 'text' }).logFormat, 'text');
  t.equal(config({ log_file: '/var/log/dnsfwd.log' }).logFile, '/var/log/dnsfwd.log');
  t.same(config({ listen: ['0.0.0.0:5353'] }).listen, [{ host: '0.0.0.0', port: 5353, family: 4 }]);
});

// "[IPv6]" without a port, the highest port, and one address on two ports (not a repeat).
t.test('endpoint forms: [IPv6] alone, port 65535, one address on two ports', async (t) => {
  t.same(config({ listen: ['[::1]', '127.0.0.1:65535', '127.0.0.1:53'] }).listen, [
    { host: '::1', port: 53, family: 6 },
    { host: '127.0.0.1', port: 65535, family: 4 },
    { host: '127.0.0.1', port: 53, family: 4 },
  ]);
});

t.test('zones are normalised', async (t) => {
  const c = config({
    routes: [
      { zone: 'Consul.', servers: ['127.0.0.1:8600'] },
      { zone: '121.168.192.IN-ADDR.ARPA', servers: ['192.168.121.1'] },
      { zone: '_tcp.svc-1.test', servers: ['[fd00::1]:5353'] },
    ],
  });
  t.same(c.routes.map((r) => r.zone), ['consul', '121.168.192.in-addr.arpa', '_tcp.svc-1.test']);
  t.same(c.routes[2]!.servers, [{ host: 'fd00::1', port: 5353, family: 6 }]);
});

t.test('errors name the key path; without a locator they sit at 0:0', async (t) => {
  const routes = [
    { zone: 'a', servers: ['1.1.1.1'] },
    { zone: 'b', servers: ['1.1.1.1', 'x'] },
  ];
  const e = error(validateConfig({ routes }, { file: 'f.yaml' }));
  t.same(e, {
    file: 'f.yaml',
    line: 0,
    col: 0,
    key: 'routes[1].servers[1]',
    reason: 'routes[1].servers[1]: "x": not an IP address (use ADDR, ADDR:PORT or [IPv6]:PORT)',
  });
  t.equal(error(validateConfig({ listen: 'x' })).file, '<config>');
});

t.test('each kind of error', async (t) => {
  const cases: Array<[unknown, string, RegExp]> = [
    [[], '', /^expected a mapping, got a list$/],
    ['listen: x', '', /expected a mapping, got the string/],
    [{ user: 'not a user' }, 'user', /"not a user": not a user name or numeric uid/],
    [{ control_socket: 'run/c.sock' }, 'control_socket', /^control_socket: "run\/c\.sock": must be an absolute path/],
    [{ control_socket: 5 }, 'control_socket', /expected a string/],
    [{ lisen: [] }, 'lisen', /unknown key \(allowed here: listen, log_level, log_queries, log_format, log_file, user, control_socket, routes, default, upstream, server, cache, access, rate_limit, metrics, dnssec\)/],
    [{ upstream: { timeout: 1 } }, 'upstream.timeout', /allowed here: timeout_ms, deadline_ms, down_ms, edns_size, loop_probe_interval_ms/],
    [{ routes: [{ zone: 'a', servers: ['1.1.1.1'], port: 1 }] }, 'routes[0].port', /allowed here: zone, servers, cache/],
    [{ default: { sources: [{ kind: 'dhclient', path: '/x', x: 1 }] } }, 'default.sources[0].x', /allowed here: kind, path, optional/],
    [{ default: { sources: [{ kind: 'dhclient', path: '/x', optional: 'yes' }] } }, 'default.sources[0].optional', /expected true or false/],
    [{ listen: [] }, 'listen', /needs at least one address/],
    [{ listen: null }, 'listen', /needs at least one address/],
    [{ listen: '127.0.0.1' }, 'listen', /expected a list, got the string "127.0.0.1"/],
    [{ listen: [53] }, 'listen[0]', /expected a string or a mapping, got number 53/],
    [{ listen: [['127.0.0.1']] }, 'listen[0]', /expected a string or a mapping, got a list/],
    [{ listen: [null] }, 'listen[0]', /expected a string or a mapping, got nothing/],
    [{ listen: ['localhost:53'] }, 'listen[0]', /"localhost:53": not an IP address/],
    [{ listen: ['1.2.3.4:99999'] }, 'listen[0]', /port must be a number from 1 to 65535/],
    // The port's upper bound, its five digits, and what may follow "[IPv6]".
    [{ listen: ['1.2.3.4:65536'] }, 'listen[0]', /port must be a number from 1 to 65535/],
    [{ listen: ['1.2.3.4:000053'] }, 'listen[0]', /port must be a number from 1 to 65535/],
    [{ listen: ['[::1]x53'] }, 'listen[0]', /"\[::1\]x53": expected ":PORT" after "\]"/],
    [{ log_level: 'verbose' }, 'log_level', /"verbose" is not one of fatal, error, warn, info, debug, trace, silent/],
    [{ log_level: true }, 'log_level', /expected a string, got boolean true/],
    [{ log_format: 'pretty' }, 'log_format', /"pretty" is not one of json, text$/],
    [{ log_format: 1 }, 'log_format', /expected a string, got number 1/],
    [{ log_file: 'dnsfwd.log' }, 'log_file', /"dnsfwd.log": not an absolute path$/],
    [{ log_file: '/var/log/' }, 'log_file', /"\/var\/log\/": not a file name$/],
    [{ log_file: '/var/log/a\0b' }, 'log_file', /not a file name$/],
    [{ log_file: false }, 'log_file', /expected a string, got boolean false/],
    [{ routes: {} }, 'routes', /expected a list, got a mapping/],
    [{ routes: ['consul'] }, 'routes[0]', /expected a mapping, got the string "consul"/],
    [{ routes: [{ zone: 'a' }] }, 'routes[0]', /missing key "servers"/],
    [{ routes: [{ servers: ['1.1.1.1'] }] }, 'routes[0]', /missing key "zone"/],
    [{ routes: [{ zone: 'a', servers: [] }] }, 'routes[0].servers', /a route needs at least one server/],
    [{ routes: [{ zone: 'a', servers: null }] }, 'routes[0].servers', /a route needs at least one server/],
    [{ routes: [{ zone: '.', servers: ['1.1.1.1'] }] }, 'routes[0].zone', /root zone is not a route: configure it under "default:"/],
    [{ routes: [{ zone: 8, servers: ['1.1.1.1'] }] }, 'routes[0].zone', /expected a string, got number 8/],
    [{ default: [] }, 'default', /expected a mapping, got a list/],
    [{ default: { sources: [{ kind: 'udhcpc', path: '/x' }] } }, 'default.sources[0].kind', /"udhcpc" is not one of dhclient, dhcpcd, networkd, resolvconf/],
    [{ default: { sources: [{ kind: 'dhclient' }] } }, 'default.sources[0]', /missing key "path"/],
    [{ default: { sources: [{ kind: 'dhclient', path: 'x.leases' }] } }, 'default.sources[0].path', /absolute/],
    [{ default: { servers: ['1.1.1.1', 'dns.google'] } }, 'default.servers[1]', /not an IP address/],
    [{ upstream: { timeout_ms: '1500' } }, 'upstream.timeout_ms', /expected an integer, got the string "1500"/],
    [{ upstream: { timeout_ms: 1.5 } }, 'upstream.timeout_ms', /expected an integer, got number 1.5/],
    [{ upstream: { timeout_ms: null } }, 'upstream.timeout_ms', /expected an integer, got nothing/],
    [{ upstream: { timeout_ms: undefined } }, 'upstream.timeout_ms', /expected an integer, got nothing/],
    [{ server: 5 }, 'server', /expected a mapping, got number 5/],
  ];
  for (const [raw, key, reason] of cases) {
    const e = error(validateConfig(raw));
    t.equal(e.key, key, `key of ${JSON.stringify(raw)}`);
    t.match(e.reason, reason, `reason of ${JSON.stringify(raw)}`);
    t.ok(key === '' || e.reason.startsWith(`${key}: `), 'the reason starts with the key');
  }
});

t.test('numbers: every range, at and past each bound', async (t) => {
  const ranges: Array<[string, string, number, number]> = [
    ['upstream', 'timeout_ms', 50, 30000],
    ['upstream', 'deadline_ms', 100, 30000],
    ['upstream', 'down_ms', 0, 3600000],
    ['upstream', 'edns_size', 512, 4096],
    ['upstream', 'loop_probe_interval_ms', 1000, 86400000],
    ['server', 'udp_max_size', 512, 65535],
    ['server', 'tcp_idle_timeout_ms', 100, 600000],
    ['server', 'tcp_max_connections', 1, 65535],
    ['server', 'tcp_message_timeout_ms', 100, 600000],
    ['server', 'tcp_max_connections_per_client', 1, 65535],
    ['server', 'workers', 1, 64],
    ['server', 'udp_recv_buffer', 0, 536870912],
    ['server', 'udp_send_buffer', 0, 536870912],
    ['server', 'heap_pacing_mib', 0, 1024],
  ];
  // Timeout 50 and deadline 30000 keep every other upstream value in range valid.
  const base = { timeout_ms: 50, deadline_ms: 30000 };
  const raw = (section: string, key: string, v: number) =>
    section === 'upstream' ? { upstream: { ...base, [key]: v } } : { [section]: { [key]: v } };
  for (const [section, key, min, max] of ranges) {
    t.ok(validateConfig(raw(section, key, min)).ok, `${key} = ${min}`);
    t.ok(validateConfig(raw(section, key, max)).ok, `${key} = ${max}`);
    for (const v of [min - 1, max + 1]) {
      const e = error(validateConfig(raw(section, key, v)));
      t.equal(e.key, `${section}.${key}`);
      t.equal(e.reason, `${section}.${key}: must be from ${min} to ${max}, got ${v}`);
    }
  }
});

t.test('deadline_ms must be at least timeout_ms', async (t) => {
  t.ok(validateConfig({ upstream: { timeout_ms: 2000, deadline_ms: 2000 } }).ok, 'equal is fine');
  const both = error(validateConfig({ upstream: { timeout_ms: 3000, deadline_ms: 2000 } }));
  t.equal(both.key, 'upstream.deadline_ms');
  t.equal(both.reason, 'upstream.deadline_ms: deadline_ms (2000) must be at least timeout_ms (3000)');
  const timeoutOnly = error(validateConfig({ upstream: { timeout_ms: 5000 } }));
  t.equal(timeoutOnly.key, 'upstream.timeout_ms', 'blames the key the file gave, not the default');
  t.match(timeoutOnly.reason, /deadline_ms \(4000\) must be at least timeout_ms \(5000\)/);
});

t.test('duplicate zones name the first definition', async (t) => {
  const routes = [
    { zone: 'consul', servers: ['127.0.0.1:8600'] },
    { zone: 'b', servers: ['1.1.1.1'] },
    { zone: 'Consul.', servers: ['127.0.0.2:8600'] },
  ];
  const plain = error(validateConfig({ routes }));
  t.equal(plain.key, 'routes[2].zone');
  t.equal(plain.reason, 'routes[2].zone: duplicate zone "consul" (first defined at routes[0])');
  const calls: Array<[string, string]> = [];
  const locate: Locator = (path, part) => {
    calls.push([show(path), part]);
    return { line: path[1] === 0 ? 7 : 20, col: 3 };
  };
  const located = error(validateConfig({ routes }, { locate }));
  t.equal(located.reason, 'routes[2].zone: duplicate zone "consul" (first defined at line 7)');
  t.same([located.line, located.col], [20, 3]);
  t.same(calls, [['routes 0 zone', 'value'], ['routes 2 zone', 'value']]);
});

t.test('the locator is asked for the key of an unknown key, the value otherwise', async (t) => {
  const asked: string[] = [];
  const locate: Locator = (path, part) => {
    asked.push(`${show(path)}/${part}`);
    return { line: 4, col: 9 };
  };
  const unknown = error(validateConfig({ server: { udp_size: 1 } }, { file: 'x.yaml', locate }));
  t.same(asked, ['server udp_size/key']);
  t.same([unknown.file, unknown.line, unknown.col], ['x.yaml', 4, 9]);
  asked.length = 0;
  error(validateConfig({ server: { udp_max_size: 1 } }, { locate }));
  t.same(asked, ['server udp_max_size/value']);
});

t.test('the file is recorded in the config', async (t) => {
  t.equal(config(null).file, undefined);
  const r = validateConfig({}, { file: '/etc/dnsfwd/dnsfwd.yaml' });
  t.equal(r.ok && r.config.file, '/etc/dnsfwd/dnsfwd.yaml');
});

t.test('the cache section: defaults, per-route switch, errors', async (t) => {
  const c = defaultConfig();
  t.same(c.cache, {
    size: 10000,
    maxBytes: 33554432,
    minTtl: 0,
    maxTtl: 86400,
    negativeMaxTtl: 300,
    servfailTtl: 0,
    serveStale: true,
    staleMaxAge: 86400,
    staleAnswerTimeoutMs: 1800,
    prefetch: true,
  });
  t.equal(c.default.cache, true);
  const off = validateConfig({ routes: [{ zone: 'consul', servers: ['127.0.0.1:8600'], cache: false }], cache: { prefetch: false } });
  t.ok(off.ok && off.config.routes[0]!.cache === false && off.config.cache.prefetch === false && off.config.cache.size === 10000);
  const bad = (raw: unknown) => {
    const r = validateConfig(raw);
    return r.ok ? "" : r.error.reason;
  };
  t.match(bad({ cache: { serve_stale: 'yes' } }), /^cache\.serve_stale: .*expected true or false/);
  t.match(bad({ cache: { size: -1 } }), /^cache\.size: .*must be from 0/);
  t.match(bad({ cache: { min_ttl: 600, max_ttl: 60 } }), /^cache\.min_ttl: .*must not exceed max_ttl/);
  t.match(bad({ cache: { ttl: 5 } }), /^cache\.ttl: unknown key/);
  t.match(bad({ default: { cache: 1 } }), /^default\.cache: .*expected true or false/);
});

t.test('dnssec: defaults, the mode alone, and each key checked', async (t) => {
  t.same(defaultConfig().dnssec, { mode: 'allow-downgrade', trustAnchors: '', negativeTrustAnchors: [], clockSkew: 3600 });
  const short = validateConfig({ dnssec: 'validate' });
  t.ok(short.ok && short.config.dnssec.mode === 'validate', '`dnssec: validate` is short for {mode: validate}');
  const full = validateConfig({ dnssec: { mode: 'off', trust_anchors: '/etc/dnsfwd/anchors', negative_trust_anchors: ['Corp.Example.'], clock_skew: 60 } });
  t.ok(full.ok);
  if (full.ok) t.same(full.config.dnssec, { mode: 'off', trustAnchors: '/etc/dnsfwd/anchors', negativeTrustAnchors: ['corp.example'], clockSkew: 60 });
  const bad: [unknown, RegExp][] = [
    [{ dnssec: 'yes' }, /dnssec\.mode: "yes" is not one of off, allow-downgrade, validate/],
    [{ dnssec: { trust_anchors: 'anchors.txt' } }, /dnssec\.trust_anchors: must be an absolute path/],
    [{ dnssec: { negative_trust_anchors: ['a..b'] } }, /dnssec\.negative_trust_anchors\[0\]: .*empty label/],
    [{ dnssec: { clock_skew: -1 } }, /dnssec\.clock_skew: must be from 0 to 86400/],
    [{ dnssec: { modes: 'off' } }, /dnssec\.modes: unknown key/],
  ];
  for (const [raw, reason] of bad) {
    const r = validateConfig(raw);
    t.notOk(r.ok, JSON.stringify(raw));
    if (!r.ok) t.match(r.error.reason, reason);
  }
  const route = validateConfig({ routes: [{ zone: 'corp.example', servers: ['10.0.0.1'], dnssec: true }] });
  t.ok(route.ok && route.config.routes[0]!.dnssec, 'a route opts in with dnssec: true');
});

// The `listen:` list: addresses bound from the start, interfaces and optional addresses (bound
// while the host has them), in string and mapping forms; their errors and how `dnsfwd check`
// shows them. Errors located in a YAML file are in test/config/load.test.ts.
import t from 'tap';
import { validateConfig } from '../../src/config/schema.js';
import type { ConfigError, ConfigResult } from '../../src/config/types.js';
import { checkInterfaceName, describeListen, parseListenText } from '../../src/server/config.js';

function config(raw: unknown) {
  const r = validateConfig(raw);
  if (!r.ok) throw new Error(`unexpected error: ${r.error.reason}`);
  return r.config;
}

function error(r: ConfigResult): ConfigError {
  if (r.ok) throw new Error('expected a ConfigError, got a Config');
  return r.error;
}

const v4 = (host: string, port = 53) => ({ host, port, family: 4 });

t.test('every entry form, in the order written, split into required and watched', async (t) => {
  const c = config({
    listen: [
      '127.0.0.1:53',
      'iface:docker0',
      'iface:nomad:5353',
      { interface: 'br-1', port: 54 },
      { interface: 'eth0' },
      { address: '172.17.0.1:53', optional: true },
      'optional:[fd00::1]:53',
      { address: '127.0.0.2' },
      { address: '127.0.0.3', optional: false },
    ],
  });
  t.same(c.listen, [v4('127.0.0.1'), v4('127.0.0.2'), v4('127.0.0.3')], 'a plain string, {address} and optional: false are required');
  t.same(c.listenWatched, [
    { kind: 'interface', name: 'docker0', port: 53 },
    { kind: 'interface', name: 'nomad', port: 5353 },
    { kind: 'interface', name: 'br-1', port: 54 },
    { kind: 'interface', name: 'eth0', port: 53 },
    { kind: 'address', endpoint: v4('172.17.0.1') },
    { kind: 'address', endpoint: { host: 'fd00::1', port: 53, family: 6 } },
  ]);
  t.ok(Object.isFrozen(c.listenWatched[0]), 'deep-frozen like the rest');
});

// At least one entry overall: a config may listen only on a bridge that is not there yet.
t.test('watched entries alone are enough', async (t) => {
  const c = config({ listen: ['iface:docker0'] });
  t.same(c.listen, []);
  t.same(c.listenWatched, [{ kind: 'interface', name: 'docker0', port: 53 }]);
  t.same(config({ listen: [{ address: '10.0.0.1', optional: true }] }).listenWatched, [{ kind: 'address', endpoint: v4('10.0.0.1') }]);
});

t.test('interface names follow Linux: 1-15 bytes, not . or .., no /, : or whitespace', async (t) => {
  for (const good of ['a', 'docker0', 'x'.repeat(15), 'br-1.100', 'veth_a@b', 'wg+', '...']) t.equal(checkInterfaceName(good), null, good);
  const bad: Array<[string, RegExp]> = [
    ['', /cannot be empty/],
    ['x'.repeat(16), /at most 15 bytes/],
    ['é'.repeat(8), /at most 15 bytes/], // 16 bytes in UTF-8
    ['.', /is not an interface name/],
    ['..', /is not an interface name/],
    ['a/b', /no "\/", ":" or whitespace/],
    ['a b', /whitespace/],
    ['a\tb', /whitespace/],
    ['a:b', /":"/],
  ];
  for (const [name, reason] of bad) t.match(checkInterfaceName(name), reason, JSON.stringify(name));
});

t.test('string forms and their errors', async (t) => {
  t.same(parseListenText('iface:docker0'), { ok: true, value: { kind: 'interface', name: 'docker0', port: 53 } });
  t.same(parseListenText('iface:docker0:65535'), { ok: true, value: { kind: 'interface', name: 'docker0', port: 65535 } });
  t.same(parseListenText('optional:172.17.0.1'), { ok: true, value: { kind: 'address', endpoint: v4('172.17.0.1') } });
  t.same(parseListenText('[::1]:53'), { ok: true, value: { kind: 'required', endpoint: { host: '::1', port: 53, family: 6 } } });
  const bad: Array<[string, RegExp]> = [
    ['iface:', /an interface name cannot be empty/],
    ['iface::53', /an interface name cannot be empty/],
    ['iface:docker0:0', /"iface:docker0:0": port must be a number from 1 to 65535/],
    ['iface:docker0:65536', /port must be a number from 1 to 65535/],
    ['iface:docker0:x', /port must be a number from 1 to 65535/],
    ['iface:docker0:', /port must be a number from 1 to 65535/],
    ['iface:a:53:54', /expected iface:NAME or iface:NAME:PORT/],
    ['iface:averyveryverylong0', /at most 15 bytes/],
    ['optional:nope', /"nope": not an IP address/],
    ['optional:0.0.0.0:53', /a wildcard address is always there: list it as a plain address/],
    ['optional:[::]:53', /a wildcard address is always there/],
    ['optional:[fe80::1]:53', /link-local IPv6 address cannot be listened on/],
    ['optional:febf::1', /link-local/],
    ['docker0', /not an IP address/],
  ];
  for (const [text, reason] of bad) {
    const r = parseListenText(text);
    t.notOk(r.ok, text);
    if (!r.ok) t.match(r.reason, reason, text);
  }
  t.ok(parseListenText('optional:fec0::1').ok, 'fec0:: is not link-local');
});

t.test('mapping forms and their errors', async (t) => {
  const cases: Array<[unknown, string, RegExp]> = [
    [{ interface: 'docker0', port: 0 }, 'listen[0].port', /port must be a number from 1 to 65535, got number 0/],
    [{ interface: 'docker0', port: 65536 }, 'listen[0].port', /got number 65536/],
    [{ interface: 'docker0', port: '53' }, 'listen[0].port', /got the string "53"/],
    [{ interface: 'docker0', port: 5.5 }, 'listen[0].port', /got number 5.5/],
    [{ interface: 'docker0', port: null }, 'listen[0].port', /got nothing/],
    [{ interface: 7 }, 'listen[0].interface', /expected a string, got number 7/],
    [{ interface: 'a/b' }, 'listen[0].interface', /no "\/"/],
    [{ interface: 'docker0', optional: true }, 'listen[0].optional', /unknown key \(allowed here: interface, port\)/],
    [{ interface: 'docker0', address: '1.2.3.4' }, 'listen[0].address', /unknown key \(allowed here: interface, port\)/],
    [{ address: '1.2.3.4', port: 53 }, 'listen[0].port', /unknown key \(allowed here: address, optional\)/],
    [{ address: '1.2.3.4', optional: 'yes' }, 'listen[0].optional', /expected true or false/],
    [{ address: 'x', optional: true }, 'listen[0].address', /"x": not an IP address/],
    [{ address: '0.0.0.0', optional: true }, 'listen[0].address', /wildcard address is always there/],
    [{ address: '[fe80::1]:53', optional: true }, 'listen[0].address', /link-local/],
    [{ address: 53 }, 'listen[0].address', /expected a string, got number 53/],
    [{ port: 53 }, 'listen[0]', /expected a mapping with "address" \(and "optional"\) or "interface" \(and "port"\)/],
    [{}, 'listen[0]', /expected a mapping with "address"/],
  ];
  for (const [entry, key, reason] of cases) {
    const e = error(validateConfig({ listen: [entry] }));
    t.equal(e.key, key, JSON.stringify(entry));
    t.match(e.reason, reason, JSON.stringify(entry));
    t.ok(e.reason.startsWith(`${key}: `), 'the reason starts with the key');
  }
  t.ok(validateConfig({ listen: [{ interface: 'docker0', port: 1 }, { interface: 'docker0', port: 65535 }] }).ok, 'ports 1 and 65535');
});

// Whatever way an entry is written, the same entry twice is an error at its second mention.
t.test('duplicates, across forms', async (t) => {
  const cases: Array<[unknown[], string, RegExp]> = [
    [['iface:docker0', { interface: 'docker0', port: 53 }], 'listen[1]', /interface "docker0" port 53 is listed twice/],
    [['iface:docker0:53', 'iface:docker0'], 'listen[1]', /interface "docker0" port 53 is listed twice/],
    [['172.17.0.1:53', { address: '172.17.0.1', optional: true }], 'listen[1]', /"172\.17\.0\.1:53" is listed twice/],
    [['optional:172.17.0.1', { address: '172.17.0.1:53', optional: true }], 'listen[1]', /"172\.17\.0\.1:53" is listed twice/],
    [['127.0.0.1', 'iface:lo', { address: '127.0.0.1:53' }], 'listen[2]', /"127\.0\.0\.1:53" is listed twice/],
  ];
  for (const [listen, key, reason] of cases) {
    const e = error(validateConfig({ listen }));
    t.equal(e.key, key, JSON.stringify(listen));
    t.match(e.reason, reason);
  }
  const fine = config({ listen: ['iface:docker0', 'iface:docker0:5353', 'iface:nomad', 'optional:172.17.0.1:5353', '172.17.0.1:53'] });
  t.equal(fine.listenWatched.length, 4, 'another port or another interface is another entry');
});

t.test('the listen line of dnsfwd check', async (t) => {
  const c = config({ listen: ['127.0.0.1:53', 'iface:docker0', '[::1]:53', { address: '172.17.0.1:53', optional: true }, 'iface:nomad:5353'] });
  t.equal(
    describeListen(c.listen, c.listenWatched),
    'listen:    127.0.0.1:53, [::1]:53, interface docker0 port 53 (when present), 172.17.0.1:53 (optional, when present), interface nomad port 5353 (when present)',
    'the addresses bound from the start, then the watched entries in their order',
  );
  t.equal(describeListen([], []), 'listen:    (none)');
});

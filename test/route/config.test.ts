// Zone names as routes hold them (config file and --route), the route cache flag, and how `dnsfwd check` prints routes.
import t from 'tap';
import { parseEndpoint } from '../../src/address.js';
import { validateConfig } from '../../src/config/schema.js';
import { describeRoutes, parseRouteFlag, parseZone } from '../../src/route/config.js';

t.test('parseZone', async (t) => {
  t.same(parseZone(' Vagrant.Test. '), { ok: true, value: 'vagrant.test' });
  const bad: Array<[string, RegExp]> = [
    ['.', /root zone.*default:/],
    ['', /root zone.*default:/],
    ['a..b', /empty label/],
    ['.consul', /empty label/],
    [`${'a'.repeat(64)}.test`, /longer than 63/],
    [`${'a'.repeat(63)}.`.repeat(4) + 'ab', /at most 253/],
    ['*.consul', /label "\*" may contain only/],
    ['my zone', /label "my zone"/],
  ];
  for (const [text, reason] of bad) {
    const r = parseZone(text);
    t.equal(r.ok, false, `"${text}" is rejected`);
    if (!r.ok) t.match(r.reason, reason, `"${text}"`);
  }
  t.equal(parseZone(`${'a'.repeat(63)}.`.repeat(3) + 'a'.repeat(61)).ok, true, '253 characters are fine');
});

// Guards the `> 253` bound from above: 254 characters is one too many.
t.test('parseZone: 254 characters are too many', async (t) => {
  const r = parseZone(`${'a'.repeat(63)}.`.repeat(3) + 'a'.repeat(62));
  t.equal(r.ok, false);
  if (!r.ok) t.match(r.reason, /at most 253/);
});

// Guards the trim in parseRouteFlag: servers that are only blanks are no servers.
t.test('--route with only blanks after "=" needs a server', async (t) => {
  const r = parseRouteFlag('consul=  ');
  t.equal(r.ok, false);
  if (!r.ok) t.match(r.reason, /a route needs at least one server/);
});

// Guards the "(not cached)" and "(over TCP)" notes of describeRoutes.
t.test('describeRoutes marks what is not cached, what is asked over TCP and what is validated', async (t) => {
  const ep = parseEndpoint('127.0.0.1:8600');
  if (!ep.ok) throw new Error(ep.reason);
  const lines = describeRoutes(
    [
      { zone: 'consul', servers: [ep.value], cache: false, transport: 'tcp', dnssec: false },
      { zone: 'vagrant.test', servers: [ep.value], cache: true, transport: 'udp', dnssec: true },
    ],
    { sources: [], servers: [], cache: false },
  );
  t.same(lines.slice(0, 4), [
    'routes:',
    '  consul        -> 127.0.0.1:8600  (over TCP)  (not cached)',
    '  vagrant.test  -> 127.0.0.1:8600  (DNSSEC validated)',
    '  .             -> default route:  (not cached)',
  ]);
});

// Guards the route's `transport`: udp (the default) or tcp, anything else an error at its key.
t.test('a route\'s transport is udp or tcp', async (t) => {
  const routes = (transport?: unknown) => validateConfig({ routes: [{ zone: 'consul', servers: ['127.0.0.1:8600'], ...(transport === undefined ? {} : { transport }) }] });
  const dflt = routes();
  t.equal(dflt.ok && dflt.config.routes[0]!.transport, 'udp', 'udp when not given');
  const tcp = routes('tcp');
  t.equal(tcp.ok && tcp.config.routes[0]!.transport, 'tcp');
  const bad = routes('quic');
  t.equal(bad.ok, false);
  if (!bad.ok) t.match(bad.error, { key: 'routes[0].transport', reason: /"quic" is not one of udp, tcp/ });
  const flag = parseRouteFlag('consul=127.0.0.1:8600');
  t.equal(flag.ok && flag.value.transport, 'udp', '--route: udp');
});

// Guards the check of a route's `cache` flag: anything but a boolean is an error at its key.
t.test('a route whose cache flag is not a boolean is an error', async (t) => {
  const r = validateConfig({ routes: [{ zone: 'consul', servers: ['127.0.0.1:8600'], cache: 'no' }] });
  t.equal(r.ok, false);
  if (!r.ok) t.match(r.error, { key: 'routes[0].cache', reason: /expected true or false/ });
});

// Guards the built-in lines of describeRoutes: the special-use zones the routes leave to dnsfwd, marked as built in.
t.test('describeRoutes lists the special-use zones last, as built in, unless a route names them', async (t) => {
  const ep = parseEndpoint('10.5.0.1');
  if (!ep.ok) throw new Error(ep.reason);
  const lines = describeRoutes([{ zone: 'local', servers: [ep.value], cache: true, transport: 'udp', dnssec: false }], { sources: [], servers: [], cache: true });
  t.same(lines, [
    'routes:',
    '  local      -> 10.5.0.1:53',
    '  .          -> default route:',
    '       sources: (none)',
    '       static servers (used when the sources give none): (none)',
    '  localhost  -> built in, never forwarded: 127.0.0.1, ::1 (RFC 6761 §6.3)',
    '  invalid    -> built in, never forwarded: NXDOMAIN (RFC 6761 §6.4)',
  ]);
});

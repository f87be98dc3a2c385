// Endpoints as operators write them, and which hosts are loopback (the self-loop check of
// route/self.ts treats a loopback listener on port 53 as dnsfwd itself).
import t from 'tap';
import { isLoopbackHost, parseEndpoint, parseEndpoints } from '../src/address.js';

t.test('parseEndpoint: each way of getting it wrong has its reason', async (t) => {
  const reasons: Array<[string, string]> = [
    ['[::1', '"[::1": missing "]" after IPv6 address'],
    ['[::1]53', '"[::1]53": expected ":PORT" after "]"'],
    ['1.2.3.4:0', '"1.2.3.4:0": port must be a number from 1 to 65535'],
    ['1.2.3.4:65536', '"1.2.3.4:65536": port must be a number from 1 to 65535'],
    ['host:53', '"host:53": not an IP address (use ADDR, ADDR:PORT or [IPv6]:PORT)'],
  ];
  for (const [text, reason] of reasons) t.same(parseEndpoint(text), { ok: false, reason }, text);
  t.same(parseEndpoint('[0:0:0:0:0:0:0:1]'), { ok: true, value: { host: '::1', port: 53, family: 6 } }, 'IPv6 in its shortest form');
  t.same(parseEndpoint('[FE80::1%eth0]:53'), { ok: true, value: { host: 'fe80::1%eth0', port: 53, family: 6 } }, 'a zone id is kept');
  t.same(parseEndpoint('[::1]:1'), { ok: true, value: { host: '::1', port: 1, family: 6 } }, 'port 1, the lowest');
  t.same(parseEndpoint('1.2.3.4:65535'), { ok: true, value: { host: '1.2.3.4', port: 65535, family: 4 } }, 'port 65535, the highest');
});

t.test('parseEndpoints: comma-separated lists; the first bad one is the error', async (t) => {
  const r = parseEndpoints(['1.1.1.1,[::1]:5353', '9.9.9.9']);
  t.same(r.ok && r.value.map((e) => `${e.host} ${e.port}`), ['1.1.1.1 53', '::1 5353', '9.9.9.9 53']);
  t.same(parseEndpoints(['1.1.1.1,nope', 'x']), { ok: false, reason: '"nope": not an IP address (use ADDR, ADDR:PORT or [IPv6]:PORT)' });
});

// ::1 is loopback as much as 127/8 is: listening on [::1]:53 makes 127.0.0.53:53 a loop risk too.
t.test('isLoopbackHost: ::1, 127/8 and their IPv4-mapped spelling', async (t) => {
  for (const host of ['::1', '127.0.0.1', '127.0.0.53', '::ffff:7f00:1', '::ffff:127.0.0.9']) t.ok(isLoopbackHost(host), host);
  for (const host of ['::', '0.0.0.0', '10.0.0.1', 'fe80::1', '::ffff:a00:1', '::ffff:10.0.0.1']) t.notOk(isLoopbackHost(host), host);
});

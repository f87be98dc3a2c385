// What goes upstream and what comes back, with the real dig: EDNS is hop-by-hop (RFC 6891 §6.1.1),
// so the client's options, flags and header Z bit stay with it; cookies are neither forwarded nor
// relayed (RFC 7873); a server that rejects EDNS is asked without it (§6.2.2); AD reaches only a
// client that asked for it (RFC 6840 §5.7); CD is part of the cache key; REFUSED from every server
// is passed on; a route with `transport: tcp` asks over TCP only. All of it with validation off
// (`dnssec: off`): DO and CD then go up as the client set them, and AD is the upstream's. A
// validating dnsfwd sets both on what it asks and decides AD itself (test/integration/dnssec.test.ts).
import t from 'tap';
import { startDnsfwd } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { freePort } from '../helpers/ports.js';
import { optOf, rawReply, startRawUpstream, type RawQuery } from '../helpers/raw-upstream.js';

const LISTEN = '127.0.42.1';
const UP = '127.0.42.2'; // the default route: answers with an OPT full of options, AD=1
const PICKY = '127.0.42.3'; // rejects any query with an OPT record (FORMERR)
const COOKIE = '127.0.42.4'; // BADCOOKIE to everything
const REFUSER = '127.0.42.5'; // REFUSED to everything
const TRIM = '127.0.42.6'; // three records over UDP without TC, all ten over TCP (as Consul does)

const ports = { up: await freePort(UP), picky: await freePort(PICKY), cookie: await freePort(COOKIE), refuser: await freePort(REFUSER), trim: await freePort(TRIM) };
const ten = Array.from({ length: 10 }, (_, i) => `10.42.0.${i + 1}`);

const up = await startRawUpstream(UP, ports.up, (q) => {
  const cd = (q.bytes[3]! & 0x10) !== 0;
  // Option 10 (COOKIE, a server cookie) and 12 (padding): the upstream's, never the client's.
  const optOptions = [{ code: 10, data: Buffer.from('0102030405060708a1a2a3a4a5a6a7a8', 'hex') }, { code: 12, data: Buffer.alloc(8) }];
  return rawReply(q, { addresses: [cd ? '10.42.1.2' : '10.42.1.1'], ad: true, optOptions });
});
const picky = await startRawUpstream(PICKY, ports.picky, (q) =>
  q.decoded.additionals?.some((r) => r.type === 'OPT') ? rawReply(q, { rcode: 1 }) : rawReply(q, { addresses: ['10.42.2.1'] }),
);
const cookie = await startRawUpstream(COOKIE, ports.cookie, (q) => rawReply(q, { rcode: 23 }));
const refuser = await startRawUpstream(REFUSER, ports.refuser, (q) => rawReply(q, { rcode: 5 }));
const trim = await startRawUpstream(TRIM, ports.trim, (q: RawQuery) => rawReply(q, { addresses: q.transport === 'udp' ? ten.slice(0, 3) : ten }));

const port = await freePort(LISTEN);
const dir = t.testdir({
  'dnsfwd.yaml': [
    `listen: ["${LISTEN}:${port}"]`,
    'routes:',
    `  - { zone: picky.test, servers: ["${PICKY}:${ports.picky}"] }`,
    `  - { zone: cookie.test, servers: ["${COOKIE}:${ports.cookie}", "${UP}:${ports.up}"] }`,
    `  - { zone: onlycookie.test, servers: ["${COOKIE}:${ports.cookie}"] }`,
    `  - { zone: refused.test, servers: ["${REFUSER}:${ports.refuser}"] }`,
    `  - { zone: consul, servers: ["${TRIM}:${ports.trim}"], transport: tcp }`,
    `  - { zone: trimmed.test, servers: ["${TRIM}:${ports.trim}"] }`,
    `default: { sources: [], servers: ["${UP}:${ports.up}"] }`,
    'dnssec: off',
    '',
  ].join('\n'),
});
const daemon = await startDnsfwd(['--config', `${dir}/dnsfwd.yaml`]);
t.teardown(async () => {
  await daemon.stop();
  await Promise.all([up, picky, cookie, refuser, trim].map((u) => u.close()));
});

t.test("the client's EDNS options, flags and Z bit do not go upstream; its DO bit does", async (t) => {
  const extra = ['+keepalive', '+padding=64', '+zflag', '+ednsflags=0x80', '+ednsopt=65001:c0ffee', '+subnet=10.1.2.0/24', '+cookie', '+dnssec'];
  const r = await dig(LISTEN, port, 'hop.example', { type: 'TXT', tcp: true, extra });
  t.equal(r.status, 'NOERROR', r.raw);
  const [sent] = up.queriesFor('hop.example');
  t.ok(sent, 'the upstream was asked');
  t.equal(sent!.transport, 'udp', 'over UDP: the client\'s TCP is its own hop');
  t.equal(sent!.bytes[3]! & 0x40, 0, 'Z clear in the header');
  t.same(optOf(sent!.bytes), { udpSize: 1232, version: 0, flags: 0x8000, options: [] }, 'our OPT: DO only, no options');
  t.equal(sent!.bytes.readUInt16BE(10), 1, 'one additional record: ours');
  // The reply: our OPT, none of the upstream's options (its cookie, its padding), no keepalive.
  t.notMatch(r.raw, /COOKIE|PADDING|KEEPALIVE|TCP-KEEPALIVE/, 'no cookie, padding or keepalive option in the reply');
  t.match(r.raw, /; EDNS: version: 0, flags: do; udp: 1232/, 'our OPT, with DO');
});

t.test('a client without EDNS: our OPT upstream (DO clear), none in its reply', async (t) => {
  const r = await dig(LISTEN, port, 'plain.example', { edns: false });
  t.equal(r.status, 'NOERROR', r.raw);
  t.same(optOf(up.queriesFor('plain.example')[0]!.bytes), { udpSize: 1232, version: 0, flags: 0, options: [] });
  t.notMatch(r.raw, /OPT PSEUDOSECTION/, 'no OPT record to a client that sent none');
});

t.test('a server that rejects EDNS is asked again without it, and from then on without it', async (t) => {
  const first = await dig(LISTEN, port, 'one.picky.test');
  t.equal(first.status, 'NOERROR', first.raw);
  t.same(first.answers.map((a) => a.data), ['10.42.2.1']);
  t.same(picky.queriesFor('one.picky.test').map((q) => optOf(q.bytes) !== null), [true, false], 'with OPT (FORMERR), then without');
  await daemon.waitForMsg('upstream rejects EDNS: asking it without EDNS for 15 minutes');
  const second = await dig(LISTEN, port, 'two.picky.test');
  t.equal(second.status, 'NOERROR', second.raw);
  t.same(picky.queriesFor('two.picky.test').map((q) => optOf(q.bytes) !== null), [false], 'remembered: one query, without OPT');
  t.match(second.raw, /; EDNS: version: 0, flags:; udp: 1232/, 'the client still gets our OPT');
});

t.test('BADCOOKIE is not relayed: the next server answers, or SERVFAIL', async (t) => {
  const r = await dig(LISTEN, port, 'a.cookie.test');
  t.equal(r.status, 'NOERROR', r.raw);
  t.same(r.answers.map((a) => a.data), ['10.42.1.1'], 'the second server\'s answer');
  t.equal(cookie.queriesFor('a.cookie.test').length, 1, 'the first server was asked');
  const only = await dig(LISTEN, port, 'a.onlycookie.test');
  t.equal(only.status, 'SERVFAIL', only.raw);
  t.notMatch(only.raw, /BADCOOKIE/);
});

t.test('AD only for a client that set AD or DO, from the upstream and from the cache', async (t) => {
  const noAd = ['+noadflag'];
  const first = await dig(LISTEN, port, 'ad.example', { extra: noAd });
  t.notOk(first.flags.includes('ad'), `neither AD nor DO: AD=0 (${first.flags.join(' ')})`);
  const asked = await dig(LISTEN, port, 'ad.example', { extra: ['+adflag'] });
  t.ok(asked.flags.includes('ad'), 'AD=1 in the query: the cached AD=1');
  const again = await dig(LISTEN, port, 'ad.example', { extra: noAd });
  t.notOk(again.flags.includes('ad'), 'from the cache, to a client that asked for neither: AD=0');
  const withDo = await dig(LISTEN, port, 'ad2.example', { extra: [...noAd, '+dnssec'] });
  t.ok(withDo.flags.includes('ad'), 'DO=1: AD=1');
  t.equal(up.queriesFor('ad.example').length, 1, 'one upstream query: the rest from the cache');
});

t.test('CD=1 and CD=0 are cached apart', async (t) => {
  for (let round = 0; round < 2; round++) {
    const plain = await dig(LISTEN, port, 'cd.example');
    const cd = await dig(LISTEN, port, 'cd.example', { extra: ['+cdflag'] });
    t.same(plain.answers.map((a) => a.data), ['10.42.1.1'], `round ${round}: CD=0`);
    t.same(cd.answers.map((a) => a.data), ['10.42.1.2'], `round ${round}: CD=1`);
  }
  t.same(up.queriesFor('cd.example').map((q) => (q.bytes[3]! & 0x10) !== 0), [false, true], 'one upstream query each, CD as asked');
});

t.test('REFUSED from every server reaches the client as REFUSED', async (t) => {
  const r = await dig(LISTEN, port, 'x.refused.test');
  t.equal(r.status, 'REFUSED', r.raw);
  t.equal(refuser.queriesFor('x.refused.test').length, 1);
});

t.test('transport: tcp asks the route over TCP only, and gets what UDP would trim', async (t) => {
  const r = await dig(LISTEN, port, 'web.service.consul');
  t.equal(r.status, 'NOERROR', r.raw);
  t.equal(r.answers.length, 10, 'all ten records');
  t.same(trim.queriesFor('web.service.consul').map((q) => q.transport), ['tcp']);
  const udp = await dig(LISTEN, port, 'web.trimmed.test');
  t.equal(udp.answers.length, 3, 'the same server over UDP: three records, no TC (why consul needs transport: tcp)');
  t.same(trim.queriesFor('web.trimmed.test').map((q) => q.transport), ['udp']);
});

// An upstream group: order, failover, down servers to the back, TCP for truncated answers and big queries.
import t from 'tap';
import { parseEndpoint } from '../../src/address.js';
import { DnsfwdError } from '../../src/errors.js';
import { UpstreamGroup, type Transports } from '../../src/upstream/group.js';
import type { Exchange } from '../../src/upstream/transport/exchange.js';
import { Upstream } from '../../src/upstream/health.js';
import { readId } from '../../src/wire/header.js';
import { captureLog, quietLogger } from '../helpers/logger.js';
import { answer, query } from '../helpers/packets.js';

type Behaviour = 'ok' | 'timeout' | 'refused' | 'servfail' | 'rcode-refused' | 'tc';

function fakeTransports(plan: Record<string, Behaviour>, calls: string[], ids: number[] = []): Transports {
  const reply = (ex: Exchange, tc = false) => {
    ids.push(readId(ex.query));
    const r = answer(ex.query, ['10.0.0.1']);
    if (tc) r[2] |= 0x02;
    return r;
  };
  const udp = async (ex: Exchange) => {
    const key = `${ex.server.host}:${ex.server.port}`;
    calls.push(`udp ${key}`);
    const b = plan[key] ?? 'ok';
    if (b === 'timeout') throw new DnsfwdError('UPSTREAM_TIMEOUT');
    if (b === 'refused') throw new DnsfwdError('UPSTREAM_REFUSED');
    if (b === 'servfail') return answer(ex.query, [], { rcode: 2 });
    if (b === 'rcode-refused') return answer(ex.query, [], { rcode: 5 });
    return reply(ex, b === 'tc');
  };
  const tcp = async (ex: Exchange) => {
    calls.push(`tcp ${ex.server.host}:${ex.server.port}`);
    return reply(ex);
  };
  return { udp, tcp };
}

function group(servers: string[], plan: Record<string, Behaviour>, calls: string[], clock = { t: 1000 }, ids: number[] = []) {
  const ups = servers.map((s) => {
    const r = parseEndpoint(s);
    if (!r.ok) throw new Error(r.reason);
    return new Upstream(r.value);
  });
  const opts = { timeoutMs: 1500, downMs: 30_000, ednsSize: 1232 };
  return new UpstreamGroup('x', ups, opts, fakeTransports(plan, calls, ids), quietLogger(), () => clock.t);
}

const out = (q: Buffer) => ({ bytes: q, questionEnd: q.length, optOffset: -1, deadline: 1_000_000 });

t.test('the first healthy server answers; a fresh random ID goes upstream', async (t) => {
  const calls: string[] = [];
  const sent: number[] = [];
  const g = group(['10.0.0.1', '10.0.0.2'], {}, calls, { t: 1000 }, sent);
  const q = query('a.example', 'A', { id: 7 });
  const r = await g.resolve(out(q));
  t.same(calls, ['udp 10.0.0.1:53']);
  t.equal(readId(r), sent[0], 'the reply to the ID that went upstream, which the route stage replaces by the client\'s');
  const ids = new Set<number>();
  for (let i = 0; i < 50; i++) ids.add(readId(await g.resolve(out(q))));
  t.ok(ids.size > 40, `IDs vary (${ids.size} distinct of 50)`);
});

t.test('failover: timeout, refused and SERVFAIL move on; a failed server goes to the back', async (t) => {
  const calls: string[] = [];
  const clock = { t: 1000 };
  const g = group(['10.0.0.1', '10.0.0.2', '10.0.0.3'], { '10.0.0.1:53': 'timeout', '10.0.0.2:53': 'servfail' }, calls, clock);
  await g.resolve(out(query('a.example')));
  t.same(calls, ['udp 10.0.0.1:53', 'udp 10.0.0.2:53', 'udp 10.0.0.3:53']);
  t.same(g.order().map((u) => u.label), ['10.0.0.3:53', '10.0.0.1:53', '10.0.0.2:53'], 'failed ones last, oldest failure first');
  calls.length = 0;
  await g.resolve(out(query('b.example')));
  t.same(calls, ['udp 10.0.0.3:53'], 'the healthy server is asked first next time');
  clock.t += 31_000;
  t.same(g.order().map((u) => u.label), ['10.0.0.1:53', '10.0.0.2:53', '10.0.0.3:53'], 'after down_ms the configured order is back');
  // Every miss asks for the order: with no server down it is the configured list itself, not a copy.
  t.equal(g.order(), g.order(), 'no server down: the same list, nothing sorted');
});

t.test('all failed → error, whether by timeout, ICMP, SERVFAIL or REFUSED replies', async (t) => {
  const calls: string[] = [];
  const g = group(['10.0.0.1', '10.0.0.2'], { '10.0.0.1:53': 'refused', '10.0.0.2:53': 'timeout' }, calls);
  await t.rejects(g.resolve(out(query('a.example'))), { code: 'ALL_FAILED' });
  const g2 = group(['10.0.0.1'], { '10.0.0.1:53': 'servfail' }, []);
  await t.rejects(g2.resolve(out(query('a.example'))), { code: 'ALL_FAILED' });
  const g3 = group(['10.0.0.1'], { '10.0.0.1:53': 'rcode-refused' }, []);
  await t.rejects(g3.resolve(out(query('a.example'))), { code: 'ALL_FAILED' }, 'a REFUSED reply is not passed on');
});

t.test('a query bigger than our EDNS size goes over TCP', async (t) => {
  const calls: string[] = [];
  const g = group(['10.0.0.1'], {}, calls);
  const q = query('a.example', 'TXT');
  const big = Buffer.concat([q, Buffer.alloc(1300)]); // trailing bytes stand in for a big query
  await g.resolve({ ...out(big), questionEnd: q.length });
  t.same(calls, ['tcp 10.0.0.1:53']);
});

t.test('a truncated UDP answer is retried over TCP to the same server', async (t) => {
  const calls: string[] = [];
  const g = group(['10.0.0.1', '10.0.0.2'], { '10.0.0.1:53': 'tc' }, calls);
  const r = await g.resolve(out(query('big.example')));
  t.same(calls, ['udp 10.0.0.1:53', 'tcp 10.0.0.1:53']);
  t.equal(r[2]! & 0x02, 0, 'the TCP answer is not truncated');
});

t.test('the deadline stops further attempts', async (t) => {
  const calls: string[] = [];
  const clock = { t: 1000 };
  const g = group(['10.0.0.1', '10.0.0.2'], { '10.0.0.1:53': 'timeout' }, calls, clock);
  await t.rejects(g.resolve({ ...out(query('a.example')), deadline: 999 }));
  t.same(calls, [], 'no attempt after the deadline');
});

t.test('EDNS size is rewritten to ours in the forwarded copy only', async (t) => {
  const seen: Buffer[] = [];
  const r = parseEndpoint('10.0.0.1');
  if (!r.ok) throw new Error();
  const transports: Transports = {
    udp: async (ex) => (seen.push(ex.query), answer(ex.query, ['10.0.0.1'])),
    tcp: async () => Buffer.alloc(0),
  };
  const g = new UpstreamGroup('', [new Upstream(r.value)], { timeoutMs: 1000, downMs: 1000, ednsSize: 1232 }, transports, quietLogger());
  const q = query('a.example', 'A', { edns: 4096 });
  const optOffset = q.length - 11;
  await g.resolve({ bytes: q, questionEnd: optOffset, optOffset, deadline: Date.now() + 5000 });
  t.equal(seen[0]!.readUInt16BE(optOffset + 3), 1232);
  t.equal(q.readUInt16BE(optOffset + 3), 4096, 'the client bytes are untouched');
});

/** One server 10.0.0.1 and transports that record each exchange and answer with `reply`. */
function recording(reply: (ex: Exchange, transport: 'udp' | 'tcp') => Buffer, clock = { t: 1000 }, log = quietLogger()) {
  const seen: { transport: 'udp' | 'tcp'; ex: Exchange }[] = [];
  const transports: Transports = {
    udp: async (ex) => (seen.push({ transport: 'udp', ex }), reply(ex, 'udp')),
    tcp: async (ex) => (seen.push({ transport: 'tcp', ex }), reply(ex, 'tcp')),
  };
  const r = parseEndpoint('10.0.0.1');
  if (!r.ok) throw new Error(r.reason);
  const g = new UpstreamGroup('x', [new Upstream(r.value)], { timeoutMs: 1500, downMs: 30_000, ednsSize: 1232 }, transports, log, () => clock.t);
  return { g, seen, clock };
}
const ok = (ex: Exchange) => answer(ex.query, ['10.0.0.1']);

// Guards `remaining <= 0`: at the deadline itself no attempt starts.
t.test('no attempt when the deadline is now', async (t) => {
  const { g, seen } = recording(ok);
  await t.rejects(g.resolve({ ...out(query('a.example')), deadline: 1000 }), { code: 'ALL_FAILED' });
  t.equal(seen.length, 0);
});

// Guards Math.min(timeoutMs, remaining): an attempt waits no longer than timeout_ms, nor past the deadline.
t.test('each attempt waits for the smaller of timeout_ms and the time left', async (t) => {
  const { g, seen } = recording(ok);
  await g.resolve(out(query('a.example')));
  t.equal(seen[0]!.ex.timeoutMs, 1500, 'far from the deadline: timeout_ms');
  await g.resolve({ ...out(query('a.example')), deadline: 1200 });
  t.equal(seen[1]!.ex.timeoutMs, 200, 'near the deadline: the time left');
});

// Guards `optOffset >= 0`: without an OPT record the forwarded copy differs from the client's only in its ID.
t.test('a query without EDNS goes upstream byte for byte, but for its ID', async (t) => {
  const { g, seen } = recording(ok);
  const q = query('a.example');
  await g.resolve(out(q));
  t.same([...seen[0]!.ex.query.subarray(2)], [...q.subarray(2)]);
});

// Guards `>` in the UDP/TCP choice: a query of exactly our EDNS size still fits in UDP.
t.test('a query of exactly our EDNS size goes over UDP', async (t) => {
  const { g, seen } = recording(ok);
  const q = query('a.example', 'TXT');
  await g.resolve({ ...out(Buffer.concat([q, Buffer.alloc(1232 - q.length)])), questionEnd: q.length });
  t.same(seen.map((s) => s.transport), ['udp']);
});

// Guards overTcp's deadline check and its timeout: no TCP retry once the deadline has come, and
// a retry that waits no longer than the time left.
t.test('a truncated UDP answer at or past the deadline is not retried over TCP', async (t) => {
  const clock = { t: 1000 };
  const truncated = (ex: Exchange) => {
    clock.t += 200; // the UDP answer took 200 ms
    const r = answer(ex.query, []);
    r[2] |= 0x02;
    return r;
  };
  const { g, seen } = recording(truncated, clock);
  await t.rejects(g.resolve({ ...out(query('a.example')), deadline: 1200 }), { code: 'ALL_FAILED' }, 'at the deadline');
  await t.rejects(g.resolve({ ...out(query('a.example')), deadline: 1300 }), { code: 'ALL_FAILED' }, 'past the deadline');
  t.same(seen.map((s) => s.transport), ['udp', 'udp'], 'no TCP attempt');
});

t.test('a TCP retry waits for the smaller of timeout_ms and the time left', async (t) => {
  const clock = { t: 1000 };
  const { g, seen } = recording((ex, transport) => {
    const r = answer(ex.query, []);
    if (transport === 'udp') {
      clock.t += 200;
      r[2] |= 0x02;
    }
    return r;
  }, clock);
  await g.resolve({ ...out(query('a.example')), deadline: 1500 });
  t.same(seen.map((s) => [s.transport, s.ex.timeoutMs]), [['udp', 500], ['tcp', 300]], 'the retry has what is left: 300 ms');
  await g.resolve(out(query('a.example')));
  t.same(seen.slice(2).map((s) => [s.transport, s.ex.timeoutMs]), [['udp', 1500], ['tcp', 1500]], 'far from the deadline: timeout_ms');
});

// Guards the logging of health changes: a warning when a server is newly down, debug while it
// stays down, info once when it answers again.
t.test('health changes are logged once each', async (t) => {
  const log = captureLog();
  let failing = true;
  const { g, clock } = recording((ex) => answer(ex.query, ['10.0.0.1'], { rcode: failing ? 2 : 0 }), { t: 1000 }, log.logger);
  await t.rejects(g.resolve(out(query('a.example'))));
  clock.t += 1000;
  await t.rejects(g.resolve(out(query('a.example'))));
  t.match(log.warnings(), [{ zone: 'x', server: '10.0.0.1:53', reason: 'rcode 2', msg: 'upstream failed: moved to the back of the order' }]);
  t.equal(log.warnings().length, 1, 'one warning for two failures');
  t.equal(log.lines.filter((l) => l.msg === 'upstream failed again').length, 1, 'the second failure at debug level');
  failing = false;
  await g.resolve(out(query('a.example')));
  await g.resolve(out(query('a.example')));
  t.match(log.lines.filter((l) => l.msg === 'upstream answering again'), [{ zone: 'x', server: '10.0.0.1:53' }]);
  t.equal(log.lines.filter((l) => l.msg === 'upstream answering again').length, 1, 'once, not on every answer');
});

// Guards each term of the reply matcher given to the transports (RFC 5452 §9.1).
t.test('the transports accept only a response with the ID sent and the same question', async (t) => {
  const { g, seen } = recording(ok);
  const q = query('Mixed.Example');
  await g.resolve(out(q));
  const { query: sent, matches } = seen[0]!.ex;
  const reply = () => answer(sent, ['10.0.0.1']);
  t.ok(matches(reply()), 'the reply');
  const lower = reply();
  lower[12 + 1] = 0x6d; // 'm': names compare case-insensitively
  t.ok(matches(lower), 'the reply with the name in another case');
  const notResponse = reply();
  notResponse[2] &= ~0x80;
  t.notOk(matches(notResponse), 'QR=0: our own query reflected');
  const otherId = reply();
  otherId.writeUInt16BE((readId(sent) + 1) & 0xffff, 0);
  t.notOk(matches(otherId), 'another ID');
  t.notOk(matches(answer(query('other.example', 'A', { id: readId(sent) }), ['10.0.0.1'])), 'another question');
  t.notOk(matches(reply().subarray(0, q.length - 1)), 'cut inside the question');
});

// Guards the sort of the servers that are down: the one whose down time ends first comes first.
t.test('servers that are down are tried in the order their down time ends, whatever the configured order', async (t) => {
  const clock = { t: 1000 };
  const plan: Record<string, Behaviour> = { '10.0.0.1:53': 'timeout' };
  const g = group(['10.0.0.1', '10.0.0.2', '10.0.0.3'], plan, [], clock);
  await g.resolve(out(query('a.example'))); // .1 fails: down until 31000
  clock.t = 2000;
  plan['10.0.0.2:53'] = 'timeout';
  await g.resolve(out(query('b.example'))); // .2 fails: down until 32000
  clock.t = 31_500;
  await g.resolve(out(query('c.example'))); // .1 is up again, is asked first, fails: down until 61500
  t.same(g.order().map((u) => u.label), ['10.0.0.3:53', '10.0.0.2:53', '10.0.0.1:53'], '.2 is up again at 32000, .1 at 61500');
});

// An upstream group: order, failover, down servers to the back, TCP for truncated answers or a
// TCP-only route, the query of our own that goes upstream, EDNS fallback, REFUSED and BADCOOKIE,
// replies whose sections do not parse.
import t from 'tap';
import { parseEndpoint } from '../../src/address.js';
import { DnsfwdError } from '../../src/errors.js';
import { EDNS_REJECTED_MS, UpstreamGroup, type Outgoing, type Transports } from '../../src/upstream/group.js';
import { isAnswer, type Exchange } from '../../src/upstream/transport/exchange.js';
import { Upstream } from '../../src/upstream/health.js';
import { MIN_FAILURES, ServerHealth } from '../../src/upstream/route-health.js';
import { readId } from '../../src/wire/header.js';
import { captureLog, quietLogger } from '../helpers/logger.js';
import { answer, decode, query } from '../helpers/packets.js';

type Behaviour = 'ok' | 'timeout' | 'refused' | 'servfail' | 'rcode-refused' | 'tc' | 'huge' | 'cut' | 'tc-huge';

/** The issue's hostile reply: `query`'s ID and question, then ANCOUNT = NSCOUNT = ARCOUNT = 65535 over a few bytes. */
function hugeCounts(query: Buffer, tc = false): Buffer {
  const r = answer(query, ['10.0.0.1']);
  r.writeUInt16BE(0xffff, 6);
  r.writeUInt16BE(0xffff, 8);
  r.writeUInt16BE(0xffff, 10);
  if (tc) r[2] |= 0x02;
  return r;
}

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
    if (b === 'huge' || b === 'tc-huge') return hugeCounts(ex.query, b === 'tc-huge');
    if (b === 'cut') return reply(ex).subarray(0, -1); // the last byte of the A record's address missing
    return reply(ex, b === 'tc');
  };
  const tcp = async (ex: Exchange) => {
    const key = `${ex.server.host}:${ex.server.port}`;
    calls.push(`tcp ${key}`);
    if (plan[`tcp ${key}`] === 'huge') return hugeCounts(ex.query);
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

const out = (q: Buffer) => ({ bytes: q, questionEnd: q.length, dnssecOk: false, deadline: 1_000_000 });

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

t.test('failover: timeout and SERVFAIL move on; a timeout puts the server down, one SERVFAIL does not', async (t) => {
  const calls: string[] = [];
  const clock = { t: 1000 };
  const plan: Record<string, Behaviour> = { '10.0.0.1:53': 'timeout', '10.0.0.2:53': 'servfail' };
  const g = group(['10.0.0.1', '10.0.0.2', '10.0.0.3'], plan, calls, clock);
  await g.resolve(out(query('a.example')));
  t.same(calls, ['udp 10.0.0.1:53', 'udp 10.0.0.2:53', 'udp 10.0.0.3:53']);
  t.same(g.order().map((u) => u.label), ['10.0.0.2:53', '10.0.0.3:53', '10.0.0.1:53'], 'the server that timed out last; one SERVFAIL says little');
  calls.length = 0;
  await g.resolve(out(query('b.example')));
  t.same(calls, ['udp 10.0.0.2:53', 'udp 10.0.0.3:53'], 'the server that timed out is not asked');
  clock.t += 31_000;
  t.same(g.order().map((u) => u.label), ['10.0.0.2:53', '10.0.0.3:53', '10.0.0.1:53'], 'after down_ms it stays at the back until a probe');
  calls.length = 0;
  delete plan['10.0.0.1:53'];
  await g.resolve(out(query('c.example')));
  t.same(calls, ['udp 10.0.0.1:53'], 'the next query probes it, in its configured place: it answers');
  t.same(g.order().map((u) => u.label), ['10.0.0.1:53', '10.0.0.2:53', '10.0.0.3:53'], 'up again: the configured order');
  // Every miss asks for the order: with no server down it is the configured list itself, not a copy.
  t.equal(g.order(), g.order(), 'no server down: the same list, nothing sorted');
});

// Guards `budget >= timeoutMs`: a timeout cut short by the query's deadline says nothing about the server.
t.test('a timeout with less than timeout_ms to answer in does not put the server down', async (t) => {
  const g = group(['10.0.0.1', '10.0.0.2'], { '10.0.0.1:53': 'timeout' }, []);
  await g.resolve({ ...out(query('a.example')), deadline: 1000 + 1499 });
  t.same(g.order().map((u) => u.label), ['10.0.0.1:53', '10.0.0.2:53'], 'still first');
  await g.resolve({ ...out(query('a.example')), deadline: 1000 + 1500 });
  t.same(g.order().map((u) => u.label), ['10.0.0.2:53', '10.0.0.1:53'], 'with the whole timeout_ms: down');
});

// Guards the code check: ICMP unreachable (or a refused TCP connection) puts the server down at once.
t.test('an unreachable server is down at once', async (t) => {
  const g = group(['10.0.0.1', '10.0.0.2'], { '10.0.0.1:53': 'refused' }, []);
  await g.resolve(out(query('a.example')));
  t.same(g.order().map((u) => u.label), ['10.0.0.2:53', '10.0.0.1:53']);
});

// The steering: one client's names that the first server refuses (the second answers) do
// not move the other clients' queries, until such failures are most of what the server answers.
// Guards `2 * failures <= of`.
t.test('RCODE failures put a server down only at a rate: more failures than answers, MIN_FAILURES at least', async (t) => {
  const calls: string[] = [];
  const plan: Record<string, Behaviour> = {};
  const log = captureLog();
  const ups = ['10.0.0.1', '10.0.0.2'].map((host) => new Upstream({ host, port: 53, family: 4 } as never));
  const g = new UpstreamGroup('x', ups, { timeoutMs: 1500, downMs: 30_000, ednsSize: 1232 }, fakeTransports(plan, calls), log.logger, () => 1000);
  const refusedName = async () => {
    plan['10.0.0.1:53'] = 'rcode-refused';
    await g.resolve(out(query('r.example')));
    delete plan['10.0.0.1:53'];
  };
  for (let i = 0; i < 3 * MIN_FAILURES; i++) await g.resolve(out(query('a.example')));
  for (let i = 0; i < 3 * MIN_FAILURES; i++) await refusedName(); // a burst
  for (let i = 0; i < 3 * MIN_FAILURES; i++) {
    await g.resolve(out(query('a.example')));
    await refusedName();
  }
  t.same(g.order().map((u) => u.label), ['10.0.0.1:53', '10.0.0.2:53'], 'as many refused as answered, a burst among them: still first');
  await refusedName();
  t.same(g.order().map((u) => u.label), ['10.0.0.2:53', '10.0.0.1:53'], 'one more refused than answered: to the back');
  t.match(log.warnings(), [{ reason: '61 failures and 60 answers lately, failures that another server answered (the last: rcode REFUSED)' }]);
});

// Guards the failures kept until another server answers: a failure every server shares is the name's.
t.test('a name every server fails is not held against any of them', async (t) => {
  const g = group(['10.0.0.1', '10.0.0.2'], { '10.0.0.1:53': 'servfail', '10.0.0.2:53': 'servfail' }, []);
  for (let i = 0; i < 2 * MIN_FAILURES; i++) await t.rejects(g.resolve(out(query('broken.example'))), { code: 'ALL_FAILED' });
  t.same(g.order().map((u) => u.label), ['10.0.0.1:53', '10.0.0.2:53'], 'the order as configured');
});

// One query at a time probes a server whose down time is over; the others go to the servers that are up.
t.test('a down server is probed by one query at a time', async (t) => {
  const clock = { t: 1000 };
  const waiting: ((r: Buffer) => void)[] = [];
  const calls: string[] = [];
  let first: 'timeout' | 'hold' | 'ok' = 'timeout';
  const transports: Transports = {
    udp: (ex) => {
      calls.push(ex.server.host);
      if (ex.server.host === '10.0.0.2' || first === 'ok') return Promise.resolve(answer(ex.query, ['10.0.0.9']));
      if (first === 'timeout') return Promise.reject(new DnsfwdError('UPSTREAM_TIMEOUT'));
      return new Promise((resolve) => waiting.push(() => resolve(answer(ex.query, ['10.0.0.9']))));
    },
    tcp: () => Promise.reject(new Error('no TCP here')),
  };
  const ups = ['10.0.0.1', '10.0.0.2'].map((host) => new Upstream({ host, port: 53, family: 4 } as never));
  const log = captureLog();
  const g = new UpstreamGroup('x', ups, { timeoutMs: 1500, downMs: 30_000, ednsSize: 1232 }, transports, log.logger, () => clock.t);
  await g.resolve(out(query('a.example')));
  clock.t += 30_000;
  await g.resolve(out(query('b.example')));
  t.same(calls, ['10.0.0.1', '10.0.0.2', '10.0.0.1', '10.0.0.2'], 'probed once its down time is over: it times out again');
  t.equal(log.warnings().length, 1, 'down again, not said again');
  calls.length = 0;
  clock.t += 30_000;
  first = 'hold';
  const probe = g.resolve(out(query('c.example')));
  await g.resolve(out(query('d.example')));
  await g.resolve(out(query('e.example')));
  t.same(calls, ['10.0.0.1', '10.0.0.2', '10.0.0.2'], 'while the probe waits, the other queries skip it');
  waiting.forEach((w) => w(Buffer.alloc(0)));
  await probe;
  t.same(g.order().map((u) => u.label), ['10.0.0.1:53', '10.0.0.2:53'], 'the probe answered: up again');
  t.equal(log.lines.filter((l) => l.msg === 'upstream answering again').length, 1);
});

// Guards cancelProbe: a probe query answered before it reached the down server leaves the probe to the next query.
t.test('a probe that never reached its server is handed to the next query', async (t) => {
  const clock = { t: 1000 };
  const calls: string[] = [];
  const plan: Record<string, Behaviour> = { '10.0.0.1:53': 'servfail', '10.0.0.2:53': 'timeout' };
  const g = group(['10.0.0.1', '10.0.0.2', '10.0.0.3'], plan, calls, clock);
  await g.resolve(out(query('a.example'))); // .2 times out: down
  clock.t += 30_000;
  delete plan['10.0.0.1:53'];
  delete plan['10.0.0.2:53'];
  calls.length = 0;
  await g.resolve(out(query('b.example')));
  t.same(calls, ['udp 10.0.0.1:53'], 'the probe query was answered by the first server');
  plan['10.0.0.1:53'] = 'servfail';
  calls.length = 0;
  await g.resolve(out(query('c.example')));
  t.same(calls, ['udp 10.0.0.1:53', 'udp 10.0.0.2:53'], 'the next query probes .2, in its configured place');
});

// Health is per route: a server that times out for one route is still first in another.
t.test('health is kept per (route, server)', async (t) => {
  const healths = new Map<string, ServerHealth>();
  const healthOf = (zone: string, u: Upstream) => {
    const k = `${zone} ${u.label}`;
    if (!healths.has(k)) healths.set(k, new ServerHealth());
    return healths.get(k)!;
  };
  const ups = ['10.0.0.1', '10.0.0.2'].map((host) => new Upstream({ host, port: 53, family: 4 } as never));
  const plan: Record<string, Behaviour> = { '10.0.0.1:53': 'timeout' };
  const opts = { timeoutMs: 1500, downMs: 30_000, ednsSize: 1232, healthOf };
  const lan = new UpstreamGroup('lan', ups, opts, fakeTransports(plan, []), quietLogger(), () => 1000);
  const root = new UpstreamGroup('', ups, opts, fakeTransports(plan, []), quietLogger(), () => 1000);
  await lan.resolve(out(query('a.lan')));
  t.same(lan.order().map((u) => u.label), ['10.0.0.2:53', '10.0.0.1:53'], 'down in its route');
  t.same(root.order().map((u) => u.label), ['10.0.0.1:53', '10.0.0.2:53'], 'still first in another');
  const again = new UpstreamGroup('lan', ups, opts, fakeTransports(plan, []), quietLogger(), () => 1000);
  t.same(again.order().map((u) => u.label), ['10.0.0.2:53', '10.0.0.1:53'], 'and in a rebuilt group of the same route');
});

t.test('all failed → error, whether by timeout, ICMP, SERVFAIL or a mix with REFUSED replies', async (t) => {
  const calls: string[] = [];
  const g = group(['10.0.0.1', '10.0.0.2'], { '10.0.0.1:53': 'refused', '10.0.0.2:53': 'timeout' }, calls);
  await t.rejects(g.resolve(out(query('a.example'))), { code: 'ALL_FAILED' });
  const g2 = group(['10.0.0.1'], { '10.0.0.1:53': 'servfail' }, []);
  await t.rejects(g2.resolve(out(query('a.example'))), { code: 'ALL_FAILED' });
  const g3 = group(['10.0.0.1', '10.0.0.2'], { '10.0.0.1:53': 'rcode-refused', '10.0.0.2:53': 'servfail' }, []);
  await t.rejects(g3.resolve(out(query('a.example'))), { code: 'ALL_FAILED' }, 'REFUSED from one, SERVFAIL from the other');
  const g4 = group(['10.0.0.1', '10.0.0.2'], { '10.0.0.1:53': 'timeout', '10.0.0.2:53': 'rcode-refused' }, []);
  await t.rejects(g4.resolve(out(query('a.example'))), { code: 'ALL_FAILED' }, 'a timeout, then REFUSED');
  await t.rejects(group([], {}, []).resolve(out(query('a.example'))), { code: 'ALL_FAILED' }, 'no server at all');
});

// Guards `refused !== null && others === 0`: REFUSED from every server is a policy, passed on.
t.test('REFUSED from every server is the answer, after each was tried', async (t) => {
  const calls: string[] = [];
  const g = group(['10.0.0.1', '10.0.0.2'], { '10.0.0.1:53': 'rcode-refused', '10.0.0.2:53': 'rcode-refused' }, calls);
  const r = await g.resolve(out(query('a.example')));
  t.equal(r[3]! & 0x0f, 5, 'REFUSED');
  t.same(calls, ['udp 10.0.0.1:53', 'udp 10.0.0.2:53'], 'both asked');
});

// Guards `tcpOnly`: a route that asks over TCP never sends UDP.
t.test('a TCP-only route asks over TCP only', async (t) => {
  const calls: string[] = [];
  const ups = [new Upstream({ host: '10.0.0.1', port: 53, family: 4 } as never)];
  const g = new UpstreamGroup('consul', ups, { timeoutMs: 1500, downMs: 30_000, ednsSize: 1232, tcpOnly: true }, fakeTransports({}, calls), quietLogger(), () => 1000);
  await g.resolve(out(query('web.service.consul')));
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

// The query that goes upstream is our own (RFC 6891 §6.1.1): the client's header flags but RD and
// CD, its options, its EDNS flags but DO and any other record it sent stay behind.
t.test('the query upstream: our header, the client\'s question, our OPT record', async (t) => {
  const { g, seen } = recording(ok);
  const q = query('Mixed.Example', 'TXT', { edns: 4096, do: true });
  q[2] |= 0x04 | 0x02; // AA and TC, which a query has no business setting
  q[3] = 0x40 | 0x10; // Z and CD
  const questionEnd = q.length - 11;
  q.writeUInt16BE(0x8040, questionEnd + 7); // EDNS flags: DO and an unknown one
  const withOption = Buffer.concat([q.subarray(0, questionEnd + 9), Buffer.from([0, 6, 0xfd, 0xe9, 0, 2, 0xc0, 0xff])]); // RDLENGTH 6: option 65001
  const tsig = Buffer.from([0, 0, 250, 0, 255, 0, 0, 0, 0, 0, 0]);
  const client = Buffer.concat([withOption, tsig]);
  client.writeUInt16BE(2, 10); // ARCOUNT: the OPT record and a TSIG-like record
  await g.resolve({ bytes: client, questionEnd, dnssecOk: true, deadline: 1_000_000 });
  const sent = seen[0]!.ex.query;
  t.equal(sent.length, questionEnd + 11, 'header, question, an OPT record without options');
  t.equal(sent[2], 0x01, 'QR=0, opcode QUERY, AA=0, TC=0, RD=1');
  t.equal(sent[3], 0x30, 'Z=0, AD=1, CD=1 (the client\'s)');
  t.same([...sent.subarray(4, 12)], [0, 1, 0, 0, 0, 0, 0, 1], 'one question, one additional record');
  t.equal(lowerBytes(sent.subarray(12, questionEnd)), lowerBytes(client.subarray(12, questionEnd)), 'the client\'s question, its letters in any case (0x20)');
  t.same([...sent.subarray(questionEnd)], [0, 0, 41, 1232 >> 8, 1232 & 0xff, 0, 0, 0x80, 0, 0, 0], 'our OPT: size 1232, version 0, DO only, no options');
  const plain = query('a.example');
  plain[3] = 0;
  await g.resolve(out(plain));
  const second = seen[1]!.ex.query;
  t.equal(second[3], 0x20, 'CD=0 from a client without it');
  t.equal(second[second.length - 4], 0, 'DO=0 for a client without EDNS, whose query still gets our OPT');
  t.equal(second.length, plain.length + 11);
  t.equal(client.readUInt16BE(questionEnd + 3), 4096, 'the client bytes are untouched');
});

/** The bytes as text with ASCII letters in lower case. */
function lowerBytes(b: Uint8Array): string {
  return Buffer.from(b).toString('latin1').toLowerCase();
}

const rcodeReply = (ex: Exchange, code: number) => answer(ex.query, [], { rcode: code });
const hasOpt = (b: Buffer) => b.readUInt16BE(10) === 1;

// Guards the EDNS fallback (RFC 6891 §6.2.2): FORMERR or NOTIMP to a query with OPT is asked again
// without it; the server is then asked without EDNS for EDNS_REJECTED_MS.
t.test('a server that rejects EDNS is asked again without it, and remembered', async (t) => {
  for (const code of [1, 4]) {
    const log = captureLog();
    const clock = { t: 1000 };
    const { g, seen } = recording((ex) => (hasOpt(ex.query) ? rcodeReply(ex, code) : ok(ex)), clock, log.logger);
    const r = await g.resolve(out(query('a.example')));
    t.equal(r[3]! & 0x0f, 0, `rcode ${code}: the answer to the query without OPT`);
    t.same(seen.map((s) => hasOpt(s.ex.query)), [true, false], 'with OPT, then without');
    t.match(log.lines.filter((l) => l.msg === 'upstream rejects EDNS: asking it without EDNS for 15 minutes'), [{ server: '10.0.0.1:53', rcode: code }]);
    clock.t += EDNS_REJECTED_MS - 1;
    await g.resolve(out(query('b.example')));
    t.same(seen.slice(2).map((s) => hasOpt(s.ex.query)), [false], 'remembered: no OPT, one attempt');
    clock.t += 1;
    await g.resolve(out(query('c.example')));
    t.same(seen.slice(3).map((s) => hasOpt(s.ex.query)), [true, false], 'after EDNS_REJECTED_MS: EDNS again');
  }
});

// Guards `!withEdns`: a query already sent without EDNS is not asked again when it is rejected.
t.test('FORMERR to a query without EDNS is the answer: no second attempt', async (t) => {
  let plainCode = 0;
  const { g, seen } = recording((ex) => (hasOpt(ex.query) ? rcodeReply(ex, 1) : rcodeReply(ex, plainCode)));
  await g.resolve(out(query('a.example'))); // marks the server: EDNS rejected
  plainCode = 1;
  const r = await g.resolve(out(query('b.example')));
  t.equal(r[3]! & 0x0f, 1, 'FORMERR');
  t.same(seen.slice(2).map((s) => hasOpt(s.ex.query)), [false], 'one attempt, without OPT');
});

// Guards the second rcode check: a server that rejects the query either way is not marked, and
// the client gets its first reply.
t.test('FORMERR or NOTIMP with and without EDNS: the first reply, and EDNS stays on', async (t) => {
  for (const [withOpt, without] of [[1, 1], [1, 4], [4, 4], [4, 1]]) {
    const { g, seen } = recording((ex) => rcodeReply(ex, hasOpt(ex.query) ? withOpt! : without!));
    const r = await g.resolve(out(query('a.example')));
    t.equal(r[3]! & 0x0f, withOpt, `${withOpt} then ${without}: the reply to the query with OPT`);
    t.ok(hasOpt(r), 'which carries the OPT record');
    await g.resolve(out(query('b.example')));
    t.same(seen.map((s) => hasOpt(s.ex.query)), [true, false, true, false], 'each query tries EDNS first');
  }
});

// Guards `left <= 0`: no second attempt once the deadline has come.
t.test('no attempt without EDNS after the deadline', async (t) => {
  const clock = { t: 1000 };
  const { g, seen } = recording((ex) => ((clock.t += 500), rcodeReply(ex, 1)), clock);
  const r = await g.resolve({ ...out(query('a.example')), deadline: 1500 });
  t.equal(r[3]! & 0x0f, 1, 'the FORMERR there is');
  t.equal(seen.length, 1);
});

// Guards isBadCookie (RFC 7873): we send no cookie, so BADCOOKIE is a failure, never relayed; the
// extended RCODE decides (a plain YXDOMAIN, 7, is an answer).
t.test('BADCOOKIE is a failure; YXDOMAIN is an answer', async (t) => {
  const extended = (ex: Exchange, upper: number) => {
    const r = rcodeReply(ex, 7);
    r[r.length - 6] = upper; // the OPT record's extended RCODE byte (its TTL's first byte)
    return r;
  };
  const withoutOpt = (ex: Exchange) => {
    const r = rcodeReply(ex, 7);
    r.writeUInt16BE(0, 10);
    return r.subarray(0, r.length - 11);
  };
  const calls: string[] = [];
  const servers: Record<string, (ex: Exchange) => Buffer> = { '10.0.0.1': (ex) => extended(ex, 1), '10.0.0.2': ok };
  const transports: Transports = { udp: async (ex) => (calls.push(ex.server.host), servers[ex.server.host]!(ex)), tcp: async () => Buffer.alloc(0) };
  const ups = ['10.0.0.1', '10.0.0.2'].map((host) => new Upstream({ host, port: 53, family: 4 } as never));
  const g = new UpstreamGroup('x', ups, { timeoutMs: 1500, downMs: 30_000, ednsSize: 1232 }, transports, quietLogger(), () => 1000);
  const r = await g.resolve(out(query('a.example')));
  t.equal(r[3]! & 0x0f, 0, 'BADCOOKIE (7 + 16): the second server\'s answer');
  t.same(calls, ['10.0.0.1', '10.0.0.2']);
  const alone = new UpstreamGroup('x', [new Upstream({ host: '10.0.0.1', port: 53, family: 4 } as never)], { timeoutMs: 1500, downMs: 30_000, ednsSize: 1232 }, transports, quietLogger(), () => 1000);
  servers['10.0.0.1'] = (ex) => extended(ex, 0);
  t.equal((await alone.resolve(out(query('b.example'))))[3]! & 0x0f, 7, 'YXDOMAIN, extended bits 0: passed on');
  servers['10.0.0.1'] = withoutOpt;
  t.equal((await alone.resolve(out(query('c.example'))))[3]! & 0x0f, 7, 'YXDOMAIN without an OPT record: passed on');
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
  const clock = { t: 1000 };
  const plan: Record<string, Behaviour> = { '10.0.0.1:53': 'timeout' };
  const ups = ['10.0.0.1', '10.0.0.2'].map((host) => new Upstream({ host, port: 53, family: 4 } as never));
  const g = new UpstreamGroup('x', ups, { timeoutMs: 1500, downMs: 30_000, ednsSize: 1232 }, fakeTransports(plan, []), log.logger, () => clock.t);
  await g.resolve(out(query('a.example')));
  clock.t += 30_000;
  await g.resolve(out(query('b.example'))); // the probe times out too
  t.match(log.warnings(), [{ zone: 'x', server: '10.0.0.1:53', reason: 'UPSTREAM_TIMEOUT', msg: 'upstream failed: moved to the back of the order' }]);
  t.equal(log.warnings().length, 1, 'one warning for two failures');
  t.equal(log.lines.filter((l) => l.msg === 'upstream failed').length, 1, 'the second failure at debug level');
  delete plan['10.0.0.1:53'];
  clock.t += 30_000;
  await g.resolve(out(query('c.example')));
  await g.resolve(out(query('d.example')));
  t.match(log.lines.filter((l) => l.msg === 'upstream answering again'), [{ zone: 'x', server: '10.0.0.1:53' }]);
  t.equal(log.lines.filter((l) => l.msg === 'upstream answering again').length, 1, 'once, not on every answer');
});

// Guards each term of the reply matcher given to the transports (RFC 5452 §9.1).
t.test('the transports accept only a response with the ID sent and the same question', async (t) => {
  const { g, seen } = recording(ok);
  const q = query('Mixed.Example');
  await g.resolve(out(q));
  const { ex } = seen[0]!;
  const sent = ex.query;
  const matches = (r: Buffer) => isAnswer(ex, r);
  const reply = () => answer(sent, ['10.0.0.1']);
  t.ok(matches(reply()), 'the reply');
  const otherCase = reply();
  otherCase[12 + 1] ^= 0x20; // 'm' or 'M': the other one
  t.notOk(matches(otherCase), 'the reply with a letter of the name in another case (0x20)');
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

// The hostile reply and a reply cut inside its last record: that server failed, the next one answers.
t.test('a reply whose sections do not parse is a failure of its server: the next one is asked', async (t) => {
  for (const bad of ['huge', 'cut'] as const) {
    const calls: string[] = [];
    const g = group(['10.0.0.1', '10.0.0.2'], { '10.0.0.1:53': bad }, calls);
    const r = await g.resolve(out(query('a.example')));
    t.same(calls, ['udp 10.0.0.1:53', 'udp 10.0.0.2:53'], `${bad}: the second server asked`);
    t.equal(r.readUInt16BE(6), 1, `${bad}: the second server's answer`);
    for (let i = 1; i < MIN_FAILURES - 1; i++) await g.resolve(out(query('a.example')));
    t.same(g.order().map((u) => u.label), ['10.0.0.1:53', '10.0.0.2:53'], `${bad}: ${MIN_FAILURES - 1} of them: still first`);
    await g.resolve(out(query('a.example')));
    t.same(g.order().map((u) => u.label), ['10.0.0.2:53', '10.0.0.1:53'], `${bad}: counted against the first server: after ${MIN_FAILURES} of them, to the back`);
  }
});

t.test('only malformed replies: every server failed, none is held responsible', async (t) => {
  const log = captureLog();
  const ups = ['10.0.0.1', '10.0.0.2'].map((s) => {
    const r = parseEndpoint(s);
    if (!r.ok) throw new Error(r.reason);
    return new Upstream(r.value);
  });
  const plan: Record<string, Behaviour> = { '10.0.0.1:53': 'huge', '10.0.0.2:53': 'cut' };
  const g = new UpstreamGroup('x', ups, { timeoutMs: 1500, downMs: 30_000, ednsSize: 1232 }, fakeTransports(plan, []), log.logger, () => 1000);
  for (let i = 0; i < 2 * MIN_FAILURES; i++) await t.rejects(g.resolve(out(query('a.example'))), { code: 'ALL_FAILED' });
  t.same(log.warnings(), [], 'nothing logged at warn');
  t.same(g.order().map((u) => u.label), ['10.0.0.1:53', '10.0.0.2:53']);
});

// Guards the check after the TCP retry and on a TCP-only route, and that a truncated UDP answer (not used) is not checked.
t.test('TCP replies are checked; a truncated UDP answer is not, it is asked again over TCP', async (t) => {
  const calls: string[] = [];
  const g = group(['10.0.0.1'], { '10.0.0.1:53': 'tc-huge' }, calls);
  const r = await g.resolve(out(query('a.example')));
  t.same(calls, ['udp 10.0.0.1:53', 'tcp 10.0.0.1:53']);
  t.equal(r.readUInt16BE(6), 1, 'the TCP answer');
  const tcpCalls: string[] = [];
  const ups = ['10.0.0.1', '10.0.0.2'].map((s) => {
    const e = parseEndpoint(s);
    if (!e.ok) throw new Error(e.reason);
    return new Upstream(e.value);
  });
  const plan: Record<string, Behaviour> = { 'tcp 10.0.0.1:53': 'huge' };
  const tcpOnly = new UpstreamGroup('consul', ups, { timeoutMs: 1500, downMs: 30_000, ednsSize: 1232, tcpOnly: true }, fakeTransports(plan, tcpCalls), quietLogger(), () => 1000);
  const r2 = await tcpOnly.resolve(out(query('a.example')));
  t.same(tcpCalls, ['tcp 10.0.0.1:53', 'tcp 10.0.0.2:53'], 'TCP only: the malformed TCP reply moves on to the next server');
  t.equal(r2.readUInt16BE(6), 1);
});

t.test('each server\'s statistics: requests, answers, failures by kind, reply times', async (t) => {
  const calls: string[] = [];
  const plan: Record<string, Behaviour> = { '10.0.0.1:53': 'timeout', '10.0.0.2:53': 'refused', '10.0.0.3:53': 'servfail', '10.0.0.4:53': 'rcode-refused', '10.0.0.5:53': 'huge' };
  const g = group(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6'], plan, calls);
  await g.resolve(out(query('a.example', 'A')));
  const stats = Object.fromEntries(g.servers().map((s) => [s.label, s.stats]));
  const failures = (label: string) => Object.entries(stats[label]!.failures).filter(([, n]) => n > 0);
  t.same(failures('10.0.0.1:53'), [['timeout', 1]]);
  t.same(failures('10.0.0.2:53'), [['unreachable', 1]]);
  t.same(failures('10.0.0.3:53'), [['servfail', 1]]);
  t.same(failures('10.0.0.4:53'), [['refused', 1]]);
  t.same(failures('10.0.0.5:53'), [['other', 1]], 'a reply that does not parse');
  t.same(failures('10.0.0.6:53'), []);
  for (const label of Object.keys(stats)) t.equal(stats[label]!.requests, 1, `${label}: one request`);
  const configured = [1, 2, 3, 4, 5, 6].map((i) => stats[`10.0.0.${i}:53`]!);
  t.same(configured.map((s) => s.answers), [0, 0, 0, 0, 0, 1], 'only the last answered');
  t.same(configured.map((s) => s.replies), [0, 0, 1, 1, 0, 1], 'replies timed: SERVFAIL and REFUSED replies too, not a reply that did not parse');
  t.ok(stats['10.0.0.6:53']!.srttMs! >= 0, 'a smoothed RTT once it replied');
  t.equal(stats['10.0.0.1:53']!.srttMs, null, 'none before');
  t.equal(stats['10.0.0.6:53']!.failed, 0);
  t.equal(stats['10.0.0.1:53']!.failed, 1);
});

t.test('servers(): the order they would be tried in now, with their state', async (t) => {
  const calls: string[] = [];
  const clock = { t: 1000 };
  const g = group(['10.0.0.1', '10.0.0.2', '10.0.0.3'], { '10.0.0.1:53': 'timeout' }, calls, clock);
  t.same(g.servers().map((s) => [s.label, s.state]), [['10.0.0.1:53', 'up'], ['10.0.0.2:53', 'up'], ['10.0.0.3:53', 'up']]);
  await g.resolve(out(query('a.example', 'A')));
  const view = g.servers();
  t.same(view.map((s) => [s.label, s.state]), [['10.0.0.2:53', 'up'], ['10.0.0.3:53', 'up'], ['10.0.0.1:53', 'down']]);
  t.equal(view[2]!.downUntil, 1000 + 30_000, 'down until its down time ends');
  t.equal(view[0]!.downUntil, undefined);
  const looping = new UpstreamGroup('x', g.upstreams, { timeoutMs: 1500, downMs: 30_000, ednsSize: 1232, loops: { loopingCount: 1, isLooping: (_z, u) => u.label === '10.0.0.2:53' } }, fakeTransports({}, calls), quietLogger(), () => clock.t);
  t.same(looping.servers().map((s) => [s.label, s.state]), [['10.0.0.1:53', 'up'], ['10.0.0.3:53', 'up'], ['10.0.0.2:53', 'looping']], 'a looping server last, not asked');
});

// Guards Resolution.attempt's catch: an exchange that fails to start is that server failing, and the
// next server is asked, as a rejected exchange would be.
t.test('a transport that throws at once is a failure of that server: the next one answers', async (t) => {
  const ups = ['10.0.0.1', '10.0.0.2'].map((s) => {
    const r = parseEndpoint(s);
    if (!r.ok) throw new Error(r.reason);
    return new Upstream(r.value);
  });
  const calls: string[] = [];
  const transports: Transports = {
    udp: (ex) => {
      calls.push(ex.server.host);
      if (ex.server.host === '10.0.0.1') throw new Error('no socket');
      return Promise.resolve(answer(ex.query, ['10.0.0.7']));
    },
    tcp: () => Promise.reject(new Error('no TCP here')),
  };
  const g = new UpstreamGroup('x', ups, { timeoutMs: 1500, downMs: 30_000, ednsSize: 1232 }, transports, quietLogger(), () => 1000);
  const o: Outgoing = out(query('a.example'));
  const r = await g.resolve(o);
  t.same(calls, ['10.0.0.1', '10.0.0.2']);
  t.equal((decode(r).answers?.[0] as { data?: string } | undefined)?.data, '10.0.0.7', 'the second server\'s answer');
  t.equal(o.server, '10.0.0.2:53', 'the server that answered, for the query log');
  t.equal(g.servers().find((s) => s.label === '10.0.0.1:53')?.stats.failures.other, 1, 'counted against the first');
});

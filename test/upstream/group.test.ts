// An upstream group: order, failover, down servers to the back, TCP for truncated answers and big queries.
import t from 'tap';
import { parseEndpoint } from '../../src/address.js';
import { DnsfwdError } from '../../src/errors.js';
import { UpstreamGroup, type Transports } from '../../src/upstream/group.js';
import type { Exchange } from '../../src/upstream/transport/exchange.js';
import { Upstream } from '../../src/upstream/health.js';
import { readId } from '../../src/wire/header.js';
import { quietLogger } from '../helpers/logger.js';
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

import t from 'tap';
import { pino } from 'pino';
import { silentLogger } from '../../src/log.js';
import type { Handler } from '../../src/pipeline/handler.js';
import { Responder } from '../../src/server/responder.js';
import { answer, decode, query } from '../helpers/packets.js';

const opts = { deadlineMs: 200, udpMaxSize: 4096 };
const big = (q: Buffer) => answer(q, Array.from({ length: 60 }, (_, i) => `10.0.0.${i}`));

t.test('drops, errors and answers', async (t) => {
  const r = new Responder(async (q) => answer(q.bytes, ['10.0.0.1']), opts, silentLogger());
  t.equal(await r.answer(Buffer.alloc(3), 'udp'), null, 'too short: dropped');
  const two = query('a.example');
  two[5] = 2;
  t.equal(decode((await r.answer(two, 'udp'))!).rcode, 'FORMERR');
  t.equal((decode((await r.answer(query('a.example'), 'udp'))!).answers?.[0] as { data?: unknown }).data, '10.0.0.1');
});

t.test('a handler past the deadline or throwing gives SERVFAIL', async (t) => {
  const slow: Handler = () => new Promise((resolve) => setTimeout(resolve, 1000, Buffer.alloc(0)));
  const r = new Responder(slow, opts, silentLogger());
  const started = Date.now();
  const reply = decode((await r.answer(query('a.example', 'A', { id: 5 }), 'udp'))!);
  t.equal(reply.rcode, 'SERVFAIL');
  t.equal(reply.id, 5);
  t.ok(Date.now() - started < 900, 'at the deadline, not when the handler finished');
  const thrower = new Responder(async () => {
    throw new Error('bug');
  }, opts, silentLogger());
  t.equal(decode((await thrower.answer(query('a.example'), 'tcp'))!).rcode, 'SERVFAIL');
});

t.test('UDP answers over the client size are truncated; TCP answers are not', async (t) => {
  const r = new Responder(async (q) => big(q.bytes), opts, silentLogger());
  const plain = (await r.answer(query('a.example'), 'udp'))!;
  t.ok(plain.length <= 512 && decode(plain).flag_tc, 'no EDNS: ≤ 512 bytes with TC');
  const edns = (await r.answer(query('a.example', 'A', { edns: 4096 }), 'udp'))!;
  t.notOk(decode(edns).flag_tc, 'EDNS 4096: fits');
  t.equal(decode(edns).answers?.length, 60);
  const tcp = (await r.answer(query('a.example'), 'tcp'))!;
  t.equal(decode(tcp).answers?.length, 60, 'TCP: whole answer');
});

t.test('drain waits for queries in flight', async (t) => {
  const r = new Responder((q) => new Promise((res) => setTimeout(res, 100, answer(q.bytes, []))), { ...opts, deadlineMs: 1000 }, silentLogger());
  let answered = false;
  void Promise.resolve(r.answer(query('a.example'), 'udp')).then(() => (answered = true));
  await r.drain(2000);
  t.ok(answered, 'drained after the answer');
});

t.test('at debug, one line per answered query, at once or later, with qname (not the logger name)', async (t) => {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug', base: { name: 'dnsfwd' } }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  const hit = new Responder((q) => answer(q.bytes, ['10.0.0.1']), opts, log);
  hit.answer(query('Hit.Example'), 'udp');
  const miss = new Responder(async (q) => answer(q.bytes, ['10.0.0.1']), opts, log);
  await miss.answer(query('miss.example', 'AAAA'), 'tcp');
  const queries = lines.filter((l) => l.msg === 'query');
  t.match(queries, [
    { name: 'dnsfwd', qname: 'hit.example', qtype: 1, transport: 'udp', rcode: 0 },
    { name: 'dnsfwd', qname: 'miss.example', qtype: 28, transport: 'tcp', rcode: 0 },
  ]);
  lines.length = 0;
  log.level = 'info';
  hit.answer(query('quiet.example'), 'udp');
  t.same(lines, [], 'nothing at info');
});

// The responder: drop, FORMERR or answer; the deadline; truncation to the client's UDP size;
// draining; the per-query debug line.
import t from 'tap';
import type { Handler } from '../../src/pipeline/handler.js';
import { Responder, type ResponderOptions } from '../../src/server/responder.js';
import { captureLog, quietLogger } from '../helpers/logger.js';
import { pipelineOf } from '../helpers/pipeline.js';
import { answer, decode, query } from '../helpers/packets.js';

const opts = { deadlineMs: 200, udpMaxSize: 4096 };
/** A responder whose pipeline is just `handler` (no stage here looks at routes). */
const responder = (handler: Handler, o: ResponderOptions = opts, log = quietLogger()) =>
  new Responder(pipelineOf(handler), o, log);
const big = (q: Buffer) => answer(q, Array.from({ length: 60 }, (_, i) => `10.0.0.${i}`));

t.test('drops, errors and answers', async (t) => {
  const r = responder(async (q) => answer(q.bytes, ['10.0.0.1']));
  t.equal(await r.answer(Buffer.alloc(3), 'udp'), null, 'too short: dropped');
  const two = query('a.example');
  two[5] = 2;
  t.equal(decode((await r.answer(two, 'udp'))!).rcode, 'FORMERR');
  t.equal((decode((await r.answer(query('a.example'), 'udp'))!).answers?.[0] as { data?: unknown }).data, '10.0.0.1');
});

// A handler that never answers: only the deadline (200 ms) can end the query; 10 s is the slack.
t.test('a handler past the deadline or throwing gives SERVFAIL', { timeout: 10_000 }, async (t) => {
  const never: Handler = () => new Promise(() => {});
  const r = responder(never);
  const reply = decode((await r.answer(query('a.example', 'A', { id: 5 }), 'udp'))!);
  t.equal(reply.rcode, 'SERVFAIL', 'at the deadline, though the handler never finished');
  t.equal(reply.id, 5);
  const thrower = responder(async () => {
    throw new Error('bug');
  });
  t.equal(decode((await thrower.answer(query('a.example'), 'tcp'))!).rcode, 'SERVFAIL');
});

t.test('UDP answers over the client size are truncated; TCP answers are not', async (t) => {
  const r = responder(async (q) => big(q.bytes));
  const plain = (await r.answer(query('a.example'), 'udp'))!;
  t.ok(plain.length <= 512 && decode(plain).flag_tc, 'no EDNS: ≤ 512 bytes with TC');
  const edns = (await r.answer(query('a.example', 'A', { edns: 4096 }), 'udp'))!;
  t.notOk(decode(edns).flag_tc, 'EDNS 4096: fits');
  t.equal(decode(edns).answers?.length, 60);
  const tcp = (await r.answer(query('a.example'), 'tcp'))!;
  t.equal(decode(tcp).answers?.length, 60, 'TCP: whole answer');
});

t.test('drain waits for queries in flight', async (t) => {
  let release = () => {};
  const r = responder((q) => new Promise((res) => (release = () => res(answer(q.bytes, [])))), { ...opts, deadlineMs: 10_000 });
  let answered = false;
  void Promise.resolve(r.answer(query('a.example'), 'udp')).then(() => (answered = true));
  const drained = r.drain(10_000).then(() => answered);
  release();
  t.ok(await drained, 'drained after the answer');
});

t.test('at debug, one line per answered query, at once or later, with qname (not the logger name)', async (t) => {
  const { logger, lines } = captureLog();
  const log = logger.child({ name: 'dnsfwd' });
  const hit = responder((q) => answer(q.bytes, ['10.0.0.1']), opts, log);
  hit.answer(query('Hit.Example'), 'udp');
  const miss = responder(async (q) => answer(q.bytes, ['10.0.0.1']), opts, log);
  await miss.answer(query('miss.example', 'AAAA'), 'tcp');
  const queries = lines.filter((l) => l.msg === 'query');
  t.match(queries, [
    { name: 'dnsfwd', qname: 'hit.example', qtype: 1, transport: 'udp', rcode: 0 },
    { name: 'dnsfwd', qname: 'miss.example', qtype: 28, transport: 'tcp', rcode: 0 },
  ]);
  lines.length = 0;
  logger.level = 'info';
  log.level = 'info';
  hit.answer(query('quiet.example'), 'udp');
  t.same(lines, [], 'nothing at info');
});

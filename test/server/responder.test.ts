// The responder: drop, FORMERR, REFUSED or answer; the deadline; truncation to the client's UDP size;
// draining; the per-query debug line.
import t from 'tap';
import dnsPacket from 'dns-packet';
import type { Handler } from '../../src/pipeline/handler.js';
import type { Query } from '../../src/pipeline/query.js';
import { errorReply } from '../../src/wire/replies.js';
import { Responder, type ResponderOptions } from '../../src/server/responder.js';
import { defaultPolicy, LOOPBACK_CLIENT } from '../helpers/clients.js';
import { ClientPolicy } from '../../src/server/admission.js';
import { captureLog, quietLogger } from '../helpers/logger.js';
import { pipelineOf } from '../helpers/pipeline.js';
import { OwnSockets } from '../../src/upstream/own-sockets.js';
import { probeName, probeQuery } from '../../src/wire/loop-probe.js';
import { answer, decode, query } from '../helpers/packets.js';
import { RCODE_LABELS, TRANSPORTS, TYPE_LABELS } from '../../src/metrics/requests.js';

const opts = { deadlineMs: 200, udpMaxSize: 4096 };
/** A responder whose pipeline is just `handler` (no stage here looks at routes). */
const responder = (handler: Handler, o: ResponderOptions = opts, log = quietLogger()) =>
  new Responder(pipelineOf(handler), o, log, defaultPolicy());
const big = (q: Buffer) => answer(q, Array.from({ length: 60 }, (_, i) => `10.0.0.${i}`));

t.test('drops, errors and answers', async (t) => {
  const r = responder(async (q) => answer(q.bytes, ['10.0.0.1']));
  t.equal(await r.answer(Buffer.alloc(3), 'udp', LOOPBACK_CLIENT), null, 'too short: dropped');
  const two = query('a.example');
  two[5] = 2;
  t.equal(decode((await r.answer(two, 'udp', LOOPBACK_CLIENT))!).rcode, 'FORMERR');
  t.equal((decode((await r.answer(query('a.example'), 'udp', LOOPBACK_CLIENT))!).answers?.[0] as { data?: unknown }).data, '10.0.0.1');
});

// A handler that never answers: only the deadline (200 ms) can end the query; 10 s is the slack.
t.test('a handler past the deadline or throwing gives SERVFAIL', { timeout: 10_000 }, async (t) => {
  const never: Handler = () => new Promise(() => {});
  const r = responder(never);
  const reply = decode((await r.answer(query('a.example', 'A', { id: 5 }), 'udp', LOOPBACK_CLIENT))!);
  t.equal(reply.rcode, 'SERVFAIL', 'at the deadline, though the handler never finished');
  t.equal(reply.id, 5);
  const thrower = responder(async () => {
    throw new Error('bug');
  });
  t.equal(decode((await thrower.answer(query('a.example'), 'tcp', LOOPBACK_CLIENT))!).rcode, 'SERVFAIL');
});

t.test('UDP answers over the client size are truncated; TCP answers are not', async (t) => {
  const r = responder(async (q) => big(q.bytes));
  const plain = (await r.answer(query('a.example'), 'udp', LOOPBACK_CLIENT))!;
  t.ok(plain.length <= 512 && decode(plain).flag_tc, 'no EDNS: ≤ 512 bytes with TC');
  const edns = (await r.answer(query('a.example', 'A', { edns: 4096 }), 'udp', LOOPBACK_CLIENT))!;
  t.notOk(decode(edns).flag_tc, 'EDNS 4096: fits');
  t.equal(decode(edns).answers?.length, 60);
  const tcp = (await r.answer(query('a.example'), 'tcp', LOOPBACK_CLIENT))!;
  t.equal(decode(tcp).answers?.length, 60, 'TCP: whole answer');
});

t.test('drain waits for queries in flight', async (t) => {
  let release = () => {};
  const r = responder((q) => new Promise((res) => (release = () => res(answer(q.bytes, [])))), { ...opts, deadlineMs: 10_000 });
  let answered = false;
  void Promise.resolve(r.answer(query('a.example'), 'udp', LOOPBACK_CLIENT)).then(() => (answered = true));
  const drained = r.drain(10_000).then(() => answered);
  release();
  t.ok(await drained, 'drained after the answer');
});

t.test('at debug, one line per answered query, at once or later, with qname (not the logger name)', async (t) => {
  const { logger, lines } = captureLog();
  const log = logger.child({ name: 'dnsfwd' });
  const hit = responder((q) => answer(q.bytes, ['10.0.0.1']), opts, log);
  hit.answer(query('Hit.Example'), 'udp', LOOPBACK_CLIENT);
  const miss = responder(async (q) => answer(q.bytes, ['10.0.0.1']), opts, log);
  await miss.answer(query('miss.example', 'AAAA'), 'tcp', LOOPBACK_CLIENT);
  const queries = lines.filter((l) => l.msg === 'query');
  t.match(queries, [
    { level: 20, name: 'dnsfwd', client: '127.0.0.1', port: 40000, qname: 'hit.example', qtype: 'A', transport: 'udp', rcode: 'NOERROR' },
    { level: 20, name: 'dnsfwd', qname: 'miss.example', qtype: 'AAAA', transport: 'tcp', rcode: 'NOERROR' },
  ]);
  lines.length = 0;
  logger.level = 'info';
  log.level = 'info';
  hit.answer(query('quiet.example'), 'udp', LOOPBACK_CLIENT);
  t.same(lines, [], 'nothing at info');
});

// log_queries: the same line at info, with where the answer came from as the stages noted it.
t.test('log_queries: one info line per answered query, with the route and where the answer came from', async (t) => {
  const { logger, lines } = captureLog();
  logger.level = 'info';
  const noting = (from: string | undefined) => (q: Query) => {
    if (q.note) {
      q.note.route = 'example';
      if (from !== undefined) q.note.from = from;
    }
    return from === undefined ? errorReply(q.bytes, 2, q.question) : answer(q.bytes, ['10.0.0.1']);
  };
  const withLog = { ...opts, logQueries: true };
  responder(noting('cache'), withLog, logger).answer(query('a.example'), 'udp', LOOPBACK_CLIENT);
  await responder(async (q) => noting('10.0.0.53:53')(q), withLog, logger).answer(query('b.example', 'TXT'), 'tcp', { address: '127.0.0.9', port: 5353 });
  responder(noting(undefined), withLog, logger).answer(query('c.example'), 'udp', LOOPBACK_CLIENT);
  t.match(lines.filter((l) => l.msg === 'query'), [
    { level: 30, qname: 'a.example', qtype: 'A', rcode: 'NOERROR', route: 'example', from: 'cache', client: '127.0.0.1', port: 40000, transport: 'udp' },
    { level: 30, qname: 'b.example', qtype: 'TXT', rcode: 'NOERROR', route: 'example', from: '10.0.0.53:53', client: '127.0.0.9', port: 5353, transport: 'tcp' },
    { level: 30, qname: 'c.example', rcode: 'SERVFAIL', route: 'example', from: null },
  ]);
  lines.length = 0;
  responder(noting('cache'), opts, logger).answer(query('d.example'), 'udp', LOOPBACK_CLIENT);
  t.same(lines, [], 'without log_queries: nothing at info');
});

// A stage that throws at once (not a rejected promise) must not throw past the responder.
t.test('a handler throwing synchronously gives SERVFAIL at once', async (t) => {
  const log = captureLog();
  const r = responder(() => {
    throw new Error('bug');
  }, opts, log.logger);
  const reply = r.answer(query('a.example', 'A', { id: 9 }), 'udp', LOOPBACK_CLIENT);
  t.ok(Buffer.isBuffer(reply), 'a reply, not a promise');
  t.match(decode(reply as Buffer), { id: 9, rcode: 'SERVFAIL' });
  t.match(log.lines, [{ msg: 'handler failed', qname: 'a.example', err: { message: 'bug' } }]);
});

// A client can make a broken stage fail every query it asks: a line a minute, with the count, for
// a stage that throws and for one that rejects.
t.test('handler failures: one line a minute with the count (injected clock)', async (t) => {
  for (const how of ['throws', 'rejects'] as const) {
    const log = captureLog();
    let now = 0;
    const handler: Handler = how === 'throws' ? () => { throw new Error('bug'); } : async () => { throw new Error('bug'); };
    const r = new Responder(pipelineOf(handler), opts, log.logger, defaultPolicy(), () => now);
    const failed = () => log.lines.filter((l) => l.msg === 'handler failed');
    for (let i = 0; i < 3; i++) t.match(decode((await r.answer(query('a.example'), 'udp', LOOPBACK_CLIENT))!), { rcode: 'SERVFAIL' });
    t.match(failed(), [{ count: 1 }], `${how}: three failures, one line`);
    t.equal(failed().length, 1);
    now = 60_000;
    await r.answer(query('b.example'), 'udp', LOOPBACK_CLIENT);
    t.match(failed(), [{ count: 1 }, { qname: 'b.example', count: 3 }], `${how}: a minute on, the failures since`);
    t.equal(failed().length, 2);
  }
});

/** A handler whose answers wait until released. */
function releasable() {
  const waiting: Array<() => void> = [];
  const handler: Handler = (q) => new Promise((res) => waiting.push(() => res(answer(q.bytes, ['10.0.0.1']))));
  return { handler, release: () => waiting.splice(0).forEach((r) => r()) };
}

// The drain limits below are far beyond the tests' own timeouts: only the last answer can end them.
t.test('drain resolves when the last answer goes out, not at its limit', { timeout: 10_000 }, async (t) => {
  const { handler, release } = releasable();
  const r = responder(handler, { ...opts, deadlineMs: 60_000 });
  const answered = Promise.resolve(r.answer(query('a.example'), 'udp', LOOPBACK_CLIENT));
  const drained = r.drain(60_000);
  release();
  await answered;
  await drained;
  t.ok(decode((await answered)!).answers?.length === 1, 'answered, then drained');
});

// With nothing in flight there is nothing to wait for: drain does not wait for its limit.
t.test('drain with nothing in flight resolves at once', { timeout: 10_000 }, async (t) => {
  const r = responder(async (q) => answer(q.bytes, []));
  let done = false;
  await r.drain(60_000).then(() => (done = true));
  t.ok(done);
});

// The wake-up after the last answer runs later: a query that starts in between keeps drain waiting.
t.test('a query starting just after the last one ended keeps drain waiting for it', { timeout: 10_000 }, async (t) => {
  const first = releasable();
  const second = releasable();
  let calls = 0;
  const r = responder((q) => (calls++ === 0 ? first.handler(q) : second.handler(q)), { ...opts, deadlineMs: 60_000 });
  const a = Promise.resolve(r.answer(query('a.example'), 'udp', LOOPBACK_CLIENT));
  let secondDone = false;
  const drained = r.drain(60_000).then(() => secondDone);
  first.release();
  await a; // nothing in flight now; the wake-up is still to run
  const b = Promise.resolve(r.answer(query('b.example'), 'udp', LOOPBACK_CLIENT)).then(() => (secondDone = true));
  await new Promise((resolve) => setImmediate(resolve)); // the wake-up runs, with b in flight
  second.release();
  await b;
  t.ok(await drained, 'drain resolved only after b was answered');
});

/** A handler whose answers are exactly `n` bytes (padded after the message). */
const sized = (n: number): Handler => (q) => {
  const a = answer(q.bytes, ['10.0.0.1']);
  return Buffer.concat([a, Buffer.alloc(n - a.length)]);
};

// RFC 1035 §4.2.2: the 16-bit length of a TCP message; 65535 bytes is the largest that fits.
t.test('a TCP answer of 65535 bytes goes out whole; one of 65536 becomes SERVFAIL', async (t) => {
  const fits = responder(sized(65_535)).answer(query('a.example', 'A', { id: 7 }), 'tcp', LOOPBACK_CLIENT) as Buffer;
  t.equal(fits.length, 65_535, 'sent as it is');
  const over = responder(sized(65_536)).answer(query('a.example', 'A', { id: 8 }), 'tcp', LOOPBACK_CLIENT) as Buffer;
  t.match(decode(over), { id: 8, rcode: 'SERVFAIL' });
});

// RFC 1035 §4.2.1: without EDNS a client takes 512 bytes; exactly 512 is not truncated.
t.test('a UDP answer of exactly the client size goes out whole; one byte more is truncated', async (t) => {
  const fits = responder(sized(512)).answer(query('a.example'), 'udp', LOOPBACK_CLIENT) as Buffer;
  t.equal(fits.length, 512, 'sent as it is');
  t.notOk(decode(fits).flag_tc);
  const over = responder(sized(513)).answer(query('a.example'), 'udp', LOOPBACK_CLIENT) as Buffer;
  t.ok(over.length < 513 && decode(over).flag_tc, 'truncated, TC=1');
});

/** A query dig could send: RD, an OPT record, the given question. */
const asked = (id: number, name: string, type: 'TXT' | 'AXFR' | 'IXFR' | 'A', klass: 'IN' | 'CH' | 'HS') =>
  dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type, class: klass }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232 } as never],
  });

// Guards the refusal before the pipeline: CH and HS queries and zone transfers are answered
// REFUSED at once, over UDP and TCP, the handler never sees them, and each gets a debug line.
t.test('CH and HS queries and zone transfers are REFUSED without reaching the pipeline', async (t) => {
  const { logger, lines } = captureLog();
  let calls = 0;
  const r = responder((q) => (calls++, answer(q.bytes, ['10.0.0.1'])), opts, logger);
  const ch = r.answer(asked(3, 'version.bind', 'TXT', 'CH'), 'udp', LOOPBACK_CLIENT);
  t.ok(Buffer.isBuffer(ch), 'a reply at once, not a promise');
  t.match(decode(ch as Buffer), {
    id: 3,
    rcode: 'REFUSED',
    flag_ra: true,
    questions: [{ name: 'version.bind', type: 'TXT', class: 'CH' }],
    additionals: [{ type: 'OPT', udpPayloadSize: 1232 }],
  });
  t.match(decode(r.answer(asked(4, 'hostname.bind', 'A', 'HS'), 'tcp', LOOPBACK_CLIENT) as Buffer), { id: 4, rcode: 'REFUSED' }, 'HS over TCP');
  t.match(decode(r.answer(asked(5, 'example.com', 'AXFR', 'IN'), 'tcp', LOOPBACK_CLIENT) as Buffer), { id: 5, rcode: 'REFUSED' }, 'AXFR');
  t.match(decode(r.answer(asked(6, 'example.com', 'IXFR', 'IN'), 'udp', LOOPBACK_CLIENT) as Buffer), { id: 6, rcode: 'REFUSED' }, 'IXFR');
  t.equal(calls, 0, 'the pipeline saw none of them');
  t.match(lines.filter((l) => l.msg === 'refused query'), [
    { level: 20, transport: 'udp', rcode: 5, why: 'class CH', qname: 'version.bind' },
    { transport: 'tcp', rcode: 5, why: 'class HS', qname: 'hostname.bind' },
    { transport: 'tcp', rcode: 5, why: /^AXFR/, qname: 'example.com' },
    { transport: 'udp', rcode: 5, why: /^IXFR/, qname: 'example.com' },
  ]);
  await r.answer(asked(7, 'version.bind', 'TXT', 'IN'), 'udp', LOOPBACK_CLIENT);
  t.equal(calls, 1, 'class IN goes on to the pipeline');
});

// Guards handing the parse's OPT record to the error reply: a FORMERR for QDCOUNT=0 carries ours.
t.test('a query with an OPT record but no question gets FORMERR with our OPT record', async (t) => {
  const bare = Buffer.from([0, 8, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0]);
  const reply = decode((await responder(async (q) => answer(q.bytes, [])).answer(bare, 'udp', LOOPBACK_CLIENT))!);
  t.match(reply, { id: 8, rcode: 'FORMERR', questions: [], additionals: [{ type: 'OPT', udpPayloadSize: 1232 }] });
});

t.test('a client turned away: REFUSED, an empty TC=1 reply or nothing; the pipeline never sees its query', async (t) => {
  const asked: string[] = [];
  const access = [
    { from: '192.168.200.0/24', action: 'refuse' as const },
    { from: '192.168.201.0/24', action: 'drop' as const },
    { from: '192.168.202.0/24', action: 'allow' as const },
  ];
  const rateLimit = { responsesPerSecond: 1, slip: 1, ipv4Prefix: 24, ipv6Prefix: 56 };
  const policy = new ClientPolicy({ access, rateLimit, listen: [], listenWatched: [] }, {}, quietLogger());
  const r = new Responder(pipelineOf((q) => (asked.push(q.question.name), answer(q.bytes, ['10.0.0.1']))), opts, quietLogger(), policy);
  const refusedFrom = { address: '192.168.200.2', port: 5000 };
  for (const transport of ['udp', 'tcp'] as const) {
    const refused = decode(r.answer(query('a.example', 'A', { id: 3, edns: 1232 }), transport, refusedFrom) as Buffer);
    t.match(refused, { id: 3, rcode: 'REFUSED', flag_qr: true, questions: [{ name: 'a.example', type: 'A' }], answers: [] }, transport);
    t.equal(refused.additionals?.[0]?.type, 'OPT', `${transport}: our OPT for a client that sent one`);
  }
  t.equal(r.answer(query('junk.example'), 'tcp', { address: '192.168.201.2', port: 5000 }), null, 'dropped (TCP)');
  t.equal(r.answer(query('junk.example'), 'udp', { address: '192.168.201.2', port: 5000 }), null, 'dropped (UDP)');
  const allowed = { address: '192.168.202.2', port: 5000 };
  t.match(decode((await r.answer(query('ok.example', 'A', { id: 4 }), 'udp', allowed))!), { id: 4, rcode: 'NOERROR', answers: [{ data: '10.0.0.1' }] });
  const slipped = decode(r.answer(query('ok.example', 'A', { id: 5 }), 'udp', allowed) as Buffer);
  t.match(slipped, { id: 5, rcode: 'NOERROR', flag_tc: true, questions: [{ name: 'ok.example' }], answers: [] }, 'over the limit, slip 1: empty with TC=1');
  t.equal(r.answer(Buffer.alloc(3), 'udp', refusedFrom), null, 'a refused client sending junk: dropped as junk is');
  const two = query('a.example', 'A', { id: 6 });
  two[5] = 2; // QDCOUNT 2: FORMERR for an allowed client
  t.match(decode(r.answer(two, 'tcp', refusedFrom) as Buffer), { id: 6, rcode: 'REFUSED', questions: [] }, 'a query that does not parse: REFUSED all the same');
  const slippedTwo = decode(r.answer(two, 'udp', allowed) as Buffer);
  t.match(slippedTwo, { id: 6, rcode: 'FORMERR', flag_tc: true }, 'over the limit, a query that does not parse: its error, truncated');
  t.same(asked, ['ok.example'], 'the pipeline saw only the allowed query under the limit');
});

t.test('a client turned away: a debug line, nothing at info', async (t) => {
  const { logger, lines } = captureLog('info');
  const access = [{ from: '192.168.200.0/24', action: 'refuse' as const }];
  const rateLimit = { responsesPerSecond: 0, slip: 2, ipv4Prefix: 24, ipv6Prefix: 56 };
  const policy = new ClientPolicy({ access, rateLimit, listen: [], listenWatched: [] }, {}, quietLogger());
  const r = new Responder(pipelineOf((q) => answer(q.bytes, [])), opts, logger, policy);
  const from = { address: '192.168.200.2', port: 5000 };
  r.answer(query('a.example'), 'udp', from);
  t.same(lines, [], 'nothing at info');
  logger.level = 'debug';
  r.answer(query('a.example'), 'tcp', from);
  t.match(lines, [{ msg: 'client turned away', transport: 'tcp', client: '192.168.200.2', admission: 'refuse' }]);
});

t.test('a query from our own upstream socket: SERVFAIL at once, counted, a warning a minute; a loop probe from it goes on to the pipeline', async (t) => {
  const own = new OwnSockets();
  own.add('127.0.0.1', 41000);
  const log = captureLog('info');
  let now = 1_000_000;
  const config = { access: [], rateLimit: { responsesPerSecond: 0, slip: 2, ipv4Prefix: 24, ipv6Prefix: 56 }, listen: [], listenWatched: [] };
  const policy = new ClientPolicy(config, {}, log.logger, () => now, own);
  const asked: string[] = [];
  const r = new Responder(pipelineOf((q) => (asked.push(q.question.name), answer(q.bytes, ['10.0.0.1']))), opts, quietLogger(), policy);
  const ours = { address: '127.0.0.1', port: 41000 };
  for (const transport of ['udp', 'tcp'] as const) {
    t.match(decode(r.answer(query('a.example', 'A', { id: 7 }), transport, ours) as Buffer), { id: 7, rcode: 'SERVFAIL', questions: [{ name: 'a.example' }] }, transport);
  }
  t.match(decode((await r.answer(query('a.example', 'A', { id: 8 }), 'udp', { address: '127.0.0.1', port: 41001 }))!), { rcode: 'NOERROR' }, 'another port of the same address: a client');
  t.same(asked, ['a.example'], 'only the client reached the pipeline');
  t.equal(policy.stats().fromOurselves, 2);
  const warned = () => log.lines.filter((l) => l.msg === 'a query came from our own upstream socket: dnsfwd forwards to itself; answered SERVFAIL');
  t.match(warned(), [{ client: '127.0.0.1:41000', queries: 1 }], 'one warning');
  now += 60_000;
  r.answer(query('b.example'), 'udp', ours);
  t.match(warned(), [{}, { queries: 2 }], 'the next a minute later, with the count since');
  const probe = r.answer(probeQuery(probeName('test')), 'udp', ours) as Buffer;
  t.equal(decode(probe).rcode, 'REFUSED', "a loop probe of ours: the pipeline's REFUSED");
  t.equal(policy.stats().fromOurselves, 4, 'counted as ours too');
});

t.test('counters: each query read by transport and type, each reply sent by RCODE and time; nothing for a dropped message', { timeout: 10_000 }, async (t) => {
  const access = [
    { from: '192.168.200.0/24', action: 'refuse' as const },
    { from: '192.168.201.0/24', action: 'drop' as const },
  ];
  const rateLimit = { responsesPerSecond: 0, slip: 2, ipv4Prefix: 24, ipv6Prefix: 56 };
  const policy = new ClientPolicy({ access, rateLimit, listen: [], listenWatched: [] }, {}, quietLogger());
  const handler: Handler = (q) => (q.question.name === 'later.example' ? Promise.resolve(answer(q.bytes, ['10.0.0.2'])) : q.question.name === 'never.example' ? new Promise(() => {}) : answer(q.bytes, ['10.0.0.1']));
  const r = new Responder(pipelineOf(handler), { ...opts, deadlineMs: 50 }, quietLogger(), policy);
  const counts = () => {
    const s = r.counters.snapshot();
    const named = (i: number) => `${TRANSPORTS[Math.floor(i / TYPE_LABELS.length)]}/${TYPE_LABELS[i % TYPE_LABELS.length]}`;
    return {
      requests: Object.fromEntries(s.requests.flatMap((n, i) => (n ? [[named(i), n]] : []))),
      responses: Object.fromEntries(s.responses.flatMap((n, i) => (n ? [[RCODE_LABELS[i], n]] : []))),
      timed: s.durationCounts.reduce((a, b) => a + b, 0),
    };
  };
  t.ok(Buffer.isBuffer(r.answer(query('now.example'), 'udp', LOOPBACK_CLIENT)), 'answered at once');
  t.same(counts(), { requests: { 'udp/A': 1 }, responses: { NOERROR: 1 }, timed: 1 }, 'an answer at hand: counted at once');
  t.equal(r.counters.snapshot().durationCounts[0], 1, 'in the first bucket');
  t.equal(r.counters.snapshot().durationSumS, 0, 'as 0 s: no clock read for it');
  const pending = r.answer(query('later.example', 'AAAA'), 'tcp', LOOPBACK_CLIENT);
  t.same(counts().requests, { 'udp/A': 1, 'tcp/AAAA': 1 }, 'a query is counted when read');
  t.same(counts().responses, { NOERROR: 1 }, 'its reply when it goes out');
  await pending;
  t.same(counts(), { requests: { 'udp/A': 1, 'tcp/AAAA': 1 }, responses: { NOERROR: 2 }, timed: 2 });
  await r.answer(query('never.example', 'TXT'), 'udp', LOOPBACK_CLIENT);
  t.equal(counts().responses.SERVFAIL, 1, 'the deadline SERVFAIL');
  const two = query('a.example', 'TXT');
  two[5] = 2;
  r.answer(two, 'udp', LOOPBACK_CLIENT);
  t.equal(counts().responses.FORMERR, 1, 'FORMERR');
  t.equal(counts().requests['udp/other'], 1, 'a query without one question: type other');
  r.answer(query('a.example', 'PTR'), 'tcp', { address: '192.168.200.2', port: 5000 });
  t.equal(counts().responses.REFUSED, 1, 'REFUSED by access control');
  t.equal(counts().requests['tcp/PTR'], 1);
  r.answer(query('a.example', 'AAAA'), 'udp', { address: '192.168.201.2', port: 5000 });
  r.answer(Buffer.alloc(3), 'udp', LOOPBACK_CLIENT);
  t.same(counts(), {
    requests: { 'udp/A': 1, 'udp/TXT': 1, 'udp/other': 1, 'tcp/AAAA': 1, 'tcp/PTR': 1 },
    responses: { NOERROR: 2, SERVFAIL: 1, FORMERR: 1, REFUSED: 1 },
    timed: 5,
  }, 'a dropped client and a message too short to read: not counted');
  t.ok(r.counters.snapshot().durationSumS >= 0.05, 'the deadline SERVFAIL took its 50 ms');
});

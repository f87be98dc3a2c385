// The route stage: the query goes to its route's group, the reply comes back the client's; a route
// without servers, or every server failing, is SERVFAIL; a special-use name's built-in route is
// answered at once, without an upstream.
import t from 'tap';
import { parseEndpoint } from '../../src/address.js';
import { PacketCache } from '../../src/cache/packet-cache.js';
import { CacheCounters, cacheStage } from '../../src/cache/stage.js';
import { defaultConfig } from '../../src/config/schema.js';
import { compose } from '../../src/pipeline/handler.js';
import { Query, type AnswerNote } from '../../src/pipeline/query.js';
import type { RouteTable, RouteTarget } from '../../src/route/build.js';
import { SPECIAL_ZONES } from '../../src/route/special.js';
import { routeStage } from '../../src/route/stage.js';
import { ZoneTable } from '../../src/route/zone-table.js';
import { UpstreamGroup, type Transports } from '../../src/upstream/group.js';
import { Upstream } from '../../src/upstream/health.js';
import { readId } from '../../src/wire/header.js';
import { parseQuery } from '../../src/wire/question.js';
import { captureLog, quietLogger } from '../helpers/logger.js';
import { answer, decode, query } from '../helpers/packets.js';

const ep = (s: string) => {
  const r = parseEndpoint(s);
  if (!r.ok) throw new Error(r.reason);
  return new Upstream(r.value);
};
const opts = { timeoutMs: 1000, downMs: 1000, ednsSize: 1232 };

function table(transports: Transports, defaultServers: string[]): RouteTable {
  const log = quietLogger();
  return new ZoneTable<RouteTarget>([
    { zone: '', cache: true, group: new UpstreamGroup('', defaultServers.map(ep), opts, transports, log) },
    { zone: 'consul', cache: true, group: new UpstreamGroup('consul', [ep('127.0.0.1:8600')], opts, transports, log) },
    ...SPECIAL_ZONES.map((s) => ({ zone: s.zone, cache: false, group: s })),
  ]);
}

function q(bytes: Buffer, routes: RouteTable, note?: AnswerNote): Query {
  const p = parseQuery(bytes);
  if (p.kind !== 'query') throw new Error('bad test query');
  return new Query(bytes, p.question, 'udp', Date.now() + 4000, routes, note);
}

t.test('the reply gets the client ID and question bytes back, RA set; upstream saw another ID', async (t) => {
  const sent: Buffer[] = [];
  const transports: Transports = {
    udp: async (ex) => {
      sent.push(ex.query);
      // an upstream that lower-cases the question, as some do
      return answer(query('web.service.consul', 'A', { id: readId(ex.query) }), ['10.0.0.1']);
    },
    tcp: async () => Buffer.alloc(0),
  };
  const routes = table(transports, ['10.9.9.9']);
  const handler = routeStage(quietLogger());
  const client = query('WeB.SeRvIcE.CoNsUl', 'A', { id: 0x4242 });
  const reply = await handler(q(client, routes));
  const spelling = (b: Buffer) => b.toString('latin1').toLowerCase();
  t.equal(spelling(sent[0]!.subarray(12, client.length)), spelling(client.subarray(12)), 'question forwarded as the client wrote it, its letters in any case (0x20)');
  const d = decode(reply);
  t.equal(d.id, 0x4242);
  t.equal(d.questions?.[0]?.name, 'WeB.SeRvIcE.CoNsUl');
  t.equal(d.flag_ra, true);
  t.equal((d.answers?.[0] as { data?: unknown }).data, '10.0.0.1');
  t.equal(sent.length, 1, 'one upstream query');
});

t.test('a route with no servers: SERVFAIL at once and one warning a minute', async (t) => {
  const { logger, lines } = captureLog();
  let clock = 0;
  const transports: Transports = { udp: async () => Buffer.alloc(0), tcp: async () => Buffer.alloc(0) };
  const routes = table(transports, []);
  const handler = routeStage(logger, () => clock);
  const r1 = await handler(q(query('example.com'), routes));
  await handler(q(query('example.org'), routes));
  t.equal(decode(r1).rcode, 'SERVFAIL');
  t.equal(lines.filter((l) => l.msg === 'route has no servers: answering SERVFAIL').length, 1, 'one warning for two queries');
  clock += 61_000;
  await handler(q(query('example.net'), routes));
  t.equal(lines.filter((l) => l.msg === 'route has no servers: answering SERVFAIL').length, 2, 'again after a minute');
  t.equal(lines[0]!.zone, '.');
  t.match(lines.filter((l) => l.msg === 'route has no servers: answering SERVFAIL'), [{ count: 1 }, { count: 2 }], 'with the queries since the last line');
});

t.test('every server failing gives SERVFAIL with the client ID', async (t) => {
  const transports: Transports = {
    udp: async () => {
      throw new Error('boom');
    },
    tcp: async () => Buffer.alloc(0),
  };
  const routes = table(transports, ['10.9.9.8']);
  const handler = routeStage(quietLogger());
  const r = decode(await handler(q(query('example.com', 'A', { id: 77 }), routes)));
  t.equal(r.rcode, 'SERVFAIL');
  t.equal(r.id, 77);
});

// A reply with the right ID and question but counts the bytes cannot hold (or a record cut short)
// never reaches the client or the cache: the client gets SERVFAIL, and the next query asks again.
t.test('a reply whose sections do not parse: SERVFAIL for the client, nothing cached', async (t) => {
  for (const bad of ['huge counts', 'cut record'] as const) {
    let asked = 0;
    const transports: Transports = {
      udp: async (ex) => {
        asked++;
        const r = answer(ex.query, ['10.0.0.1']);
        if (bad === 'cut record') return r.subarray(0, -1);
        r.writeUInt16BE(0xffff, 6);
        r.writeUInt16BE(0xffff, 8);
        r.writeUInt16BE(0xffff, 10);
        return r;
      },
      tcp: async () => Buffer.alloc(0),
    };
    const routes = table(transports, ['10.9.9.7']);
    const config = defaultConfig().cache;
    const cache = new PacketCache({ size: config.size, maxBytes: config.maxBytes, staleMs: config.staleMaxAge * 1000 });
    const log = quietLogger();
    const handler = compose([cacheStage({ cache: () => cache, config: () => config, counters: new CacheCounters(), log, now: Date.now })], routeStage(log));
    for (const id of [81, 82]) {
      const r = decode(await handler(q(query('example.com', 'A', { id, edns: 1232 }), routes)));
      t.equal(r.rcode, 'SERVFAIL', `${bad}: SERVFAIL (query ${id})`);
      t.equal(r.id, id);
    }
    t.equal(asked, 2, `${bad}: the second query went upstream again`);
    t.equal(cache.entries, 0, `${bad}: nothing cached`);
  }
});

// Guards the `<` of the interval and the per-zone record: one warning per zone, again after exactly a minute.
t.test('no-servers warnings: one per zone, and again after exactly a minute', async (t) => {
  const { logger, lines } = captureLog();
  let clock = 1_000_000;
  const transports: Transports = { udp: async () => Buffer.alloc(0), tcp: async () => Buffer.alloc(0) };
  const log = quietLogger();
  const routes: RouteTable = new ZoneTable([
    { zone: '', cache: true, group: new UpstreamGroup('', [], opts, transports, log) },
    { zone: 'lab.test', cache: true, group: new UpstreamGroup('lab.test', [], opts, transports, log) },
  ]);
  const handler = routeStage(logger, () => clock);
  const warned = () => lines.filter((l) => l.msg === 'route has no servers: answering SERVFAIL').map((l) => l.zone);
  await handler(q(query('example.com'), routes));
  await handler(q(query('x.lab.test'), routes));
  await handler(q(query('y.lab.test'), routes));
  t.same(warned(), ['.', 'lab.test'], 'each zone warns, once');
  clock += 59_999;
  await handler(q(query('example.com'), routes));
  t.same(warned(), ['.', 'lab.test'], 'not within the minute');
  clock += 1;
  await handler(q(query('example.com'), routes));
  t.same(warned(), ['.', 'lab.test', '.'], 'a minute later');
});

// Guards the OPT offset passed on: an EDNS query goes upstream with our EDNS size, not the client's.
t.test("an EDNS query goes upstream with our EDNS size; the client's reply carries our OPT", async (t) => {
  const sent: Buffer[] = [];
  const transports: Transports = {
    udp: async (ex) => (sent.push(ex.query), answer(ex.query, ['10.0.0.1'])),
    tcp: async () => Buffer.alloc(0),
  };
  const handler = routeStage(quietLogger());
  const client = query('a.example', 'A', { edns: 4096 });
  const reply = decode(await handler(q(client, table(transports, ['10.9.9.9']))));
  t.equal(sent[0]!.readUInt16BE(client.length - 11 + 3), 1232, 'the OPT class field: our size');
  t.match(reply.additionals, [{ type: 'OPT', udpPayloadSize: 1232 }]);
});

// Guards the trace switch: with trace on, each forwarded query is logged with the reply.
t.test('trace level: each forwarded query is logged with its reply', async (t) => {
  const { logger, lines } = captureLog('trace');
  const transports: Transports = { udp: async (ex) => answer(ex.query, ['10.0.0.1']), tcp: async () => Buffer.alloc(0) };
  let clock = 5000;
  const handler = routeStage(logger, () => (clock += 3));
  await handler(q(query('web.example'), table(transports, ['10.9.9.9'])));
  t.match(lines.filter((l) => l.msg === 'forwarded'), [
    { zone: '.', qname: 'web.example', qtype: 1, ms: 3, rcode: 0, reply: { rcode: 'NOERROR', answers: [/^web\.example 60 A 10\.0\.0\.1$/i] } }, // the upstream's spelling: 0x20
  ]);
});

// Guards the SpecialZone branch: a special-use name is answered here, and no upstream is asked.
t.test('a special-use name is answered locally: no upstream asked, the client ID and question back, AA and RA', async (t) => {
  const sent: Buffer[] = [];
  const transports: Transports = {
    udp: async (ex) => (sent.push(ex.query), answer(ex.query, ['10.0.0.1'])),
    tcp: async (ex) => (sent.push(ex.query), answer(ex.query, ['10.0.0.1'])),
  };
  const routes = table(transports, ['10.9.9.9']);
  const handler = routeStage(quietLogger());
  const reply = handler(q(query('Foo.LocalHost', 'A', { id: 0x0a0a, edns: 4096 }), routes));
  t.ok(Buffer.isBuffer(reply), 'at once, not a promise');
  const d = decode(await reply);
  t.match(d, { id: 0x0a0a, rcode: 'NOERROR', flag_aa: true, flag_ra: true, flag_rd: true });
  t.same(d.questions, [{ name: 'Foo.LocalHost', type: 'A', class: 'IN' }]);
  t.match(d.answers, [{ name: 'Foo.LocalHost', type: 'A', data: '127.0.0.1' }]);
  t.match(d.additionals, [{ type: 'OPT', udpPayloadSize: 1232 }]);
  t.equal(decode(await handler(q(query('printer.local'), routes))).rcode, 'NXDOMAIN');
  t.equal(decode(await handler(q(query('x.invalid', 'AAAA'), routes))).rcode, 'NXDOMAIN');
  t.equal(sent.length, 0, 'no upstream saw any of them');
});

// Guards the trace switch of local answers: with trace on, each is logged as answered locally, not as forwarded.
t.test('trace level: a special-use name is logged as answered locally', async (t) => {
  const { logger, lines } = captureLog('trace');
  const transports: Transports = { udp: async () => Buffer.alloc(0), tcp: async () => Buffer.alloc(0) };
  await routeStage(logger)(q(query('printer.local'), table(transports, ['10.9.9.9'])));
  await routeStage(logger)(q(query('localhost', 'AAAA'), table(transports, ['10.9.9.9'])));
  t.match(lines, [
    { msg: 'special-use name answered locally', zone: 'local', qname: 'printer.local', qtype: 1, rcode: 3, reply: { rcode: 'NXDOMAIN', answers: [] } },
    { msg: 'special-use name answered locally', zone: 'localhost', qname: 'localhost', qtype: 28, rcode: 0, reply: { answers: ['localhost 10800 AAAA ::1'] } },
  ]);
  t.equal(lines.length, 2);
  const quiet = captureLog('debug');
  await routeStage(quiet.logger)(q(query('printer.local'), table(transports, ['10.9.9.9'])));
  t.same(quiet.lines, [], 'nothing below trace');
});

// The query log's note: the route, and the server that answered (or local for a built-in route, nothing when every server failed).
t.test('the route and the answering server are noted for the query log', async (t) => {
  let failing = false;
  const transports: Transports = {
    udp: async (ex) => (failing ? Promise.reject(new Error('down')) : answer(ex.query, ['10.0.0.1'])),
    tcp: async () => Buffer.alloc(0),
  };
  const routes = table(transports, ['10.9.9.9']);
  const handler = routeStage(quietLogger());
  const forwarded: AnswerNote = {};
  await handler(q(query('web.service.consul'), routes, forwarded));
  t.same(forwarded, { route: 'consul', from: '127.0.0.1:8600' });
  const local: AnswerNote = {};
  await handler(q(query('localhost'), routes, local));
  t.same(local, { route: 'localhost', from: 'local' });
  failing = true;
  const failed: AnswerNote = {};
  await handler(q(query('www.example'), routes, failed));
  t.same(failed, { route: '.' }, 'every server failed: no server to name');
});

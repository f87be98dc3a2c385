import t from 'tap';
import { parseEndpoint } from '../../src/address.js';
import { silentLogger } from '../../src/log.js';
import { routeHandler } from '../../src/pipeline/route.js';
import { cacheKey } from '../../src/cache/key.js';
import { ZoneTable } from '../../src/router/zone-table.js';
import { UpstreamGroup, type Transports } from '../../src/upstream/group.js';
import { UpstreamRegistry } from '../../src/upstream/upstream.js';
import { readId } from '../../src/wire/header.js';
import { parseQuery } from '../../src/wire/question.js';
import { answer, decode, query } from '../helpers/packets.js';
import { capturingLogger } from '../helpers/logger.js';

const reg = new UpstreamRegistry();
const ep = (s: string) => {
  const r = parseEndpoint(s);
  if (!r.ok) throw new Error(r.reason);
  return reg.get(r.value);
};
const opts = { timeoutMs: 1000, downMs: 1000, ednsSize: 1232 };

function table(transports: Transports, defaultServers: string[]) {
  const log = silentLogger();
  return new ZoneTable([
    { zone: '', cache: true, group: new UpstreamGroup('', defaultServers.map(ep), opts, transports, log) },
    { zone: 'consul', cache: true, group: new UpstreamGroup('consul', [ep('127.0.0.1:8600')], opts, transports, log) },
  ]);
}

function q(bytes: Buffer) {
  const p = parseQuery(bytes);
  if (p.kind !== 'query') throw new Error('bad test query');
  return { bytes, question: p.question, key: cacheKey(bytes, p.question), transport: 'udp' as const, deadline: Date.now() + 4000 };
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
  const handler = routeHandler(() => table(transports, ['10.9.9.9']), silentLogger());
  const client = query('WeB.SeRvIcE.CoNsUl', 'A', { id: 0x4242 });
  const reply = await handler(q(client));
  t.equal(sent[0]!.subarray(12).toString('latin1'), client.subarray(12).toString('latin1'), 'question forwarded as the client wrote it');
  const d = decode(reply);
  t.equal(d.id, 0x4242);
  t.equal(d.questions?.[0]?.name, 'WeB.SeRvIcE.CoNsUl');
  t.equal(d.flag_ra, true);
  t.equal((d.answers?.[0] as { data?: unknown }).data, '10.0.0.1');
  t.equal(sent.length, 1, 'one upstream query');
});

t.test('a route with no servers: SERVFAIL at once and one warning a minute', async (t) => {
  const { logger, lines } = capturingLogger();
  let clock = 0;
  const transports: Transports = { udp: async () => Buffer.alloc(0), tcp: async () => Buffer.alloc(0) };
  const handler = routeHandler(() => table(transports, []), logger, () => clock);
  const r1 = await handler(q(query('example.com')));
  await handler(q(query('example.org')));
  t.equal(decode(r1).rcode, 'SERVFAIL');
  t.equal(lines.filter((l) => l.msg === 'route has no servers: answering SERVFAIL').length, 1, 'one warning for two queries');
  clock += 61_000;
  await handler(q(query('example.net')));
  t.equal(lines.filter((l) => l.msg === 'route has no servers: answering SERVFAIL').length, 2, 'again after a minute');
  t.equal(lines[0]!.zone, '.');
});

t.test('every server failing gives SERVFAIL with the client ID', async (t) => {
  const transports: Transports = {
    udp: async () => {
      throw new Error('boom');
    },
    tcp: async () => Buffer.alloc(0),
  };
  const handler = routeHandler(() => table(transports, ['10.9.9.8']), silentLogger());
  const r = decode(await handler(q(query('example.com', 'A', { id: 77 }))));
  t.equal(r.rcode, 'SERVFAIL');
  t.equal(r.id, 77);
});

// The loop guard: each (route, server) is probed once dnsfwd listens, when a route gets it, and
// periodically; a probe that comes back as a client query takes that server out of that route
// (one warning), until a later probe no longer comes back (one info line).
import t from 'tap';
import { parseEndpoint } from '../../src/address.js';
import { UpstreamGroup, type Transports } from '../../src/upstream/group.js';
import { Upstream } from '../../src/upstream/health.js';
import { LOOPING_RETRY_MS, LoopGuard } from '../../src/upstream/loop-guard.js';
import type { Exchange } from '../../src/upstream/transport/exchange.js';
import { nameText } from '../../src/wire/name.js';
import { captureLog } from '../helpers/logger.js';
import { answer, query } from '../helpers/packets.js';

const up = (s: string) => {
  const r = parseEndpoint(s);
  if (!r.ok) throw new Error(r.reason);
  return new Upstream(r.value);
};

/** Probes sent, held until the test answers them; other queries are answered at once. */
function setup(intervalMs = 300_000) {
  const clock = { t: 1000 };
  const log = captureLog('info');
  const guard = new LoopGuard({ intervalMs, timeoutMs: 1500 }, log.logger, () => clock.t);
  const sent: { server: string; name: string; tcp: boolean; answer: () => void }[] = [];
  const transport = (tcp: boolean) => (ex: Exchange) =>
    new Promise<Buffer>((resolve) => {
      const name = nameText(ex.query, 12);
      if (!name.startsWith('dnsfwd-loop-probe-')) return resolve(answer(ex.query, ['10.0.0.1']));
      sent.push({ server: `${ex.server.host}:${ex.server.port}`, name, tcp, answer: () => resolve(answer(ex.query, [], { rcode: 5 })) });
    });
  const transports: Transports = { udp: transport(false), tcp: transport(true) };
  const group = (zone: string, servers: Upstream[], tcpOnly = false) =>
    new UpstreamGroup(zone, servers, { timeoutMs: 1500, downMs: 30_000, ednsSize: 1232, loops: guard, tcpOnly }, transports, log.logger, () => clock.t);
  const settle = () => new Promise((r) => setImmediate(r));
  return { clock, log, guard, sent, group, settle };
}

t.test('probes start once dnsfwd listens: each route and server once, under the route zone, as the route asks', async (t) => {
  const { guard, sent, group } = setup();
  const a = up('127.0.0.2');
  const b = up('127.0.0.3');
  guard.routesChanged([group('test', [a, b]), group('', [a]), group('consul', [up('127.0.0.1:8600')], true)]);
  t.equal(sent.length, 0, 'nothing before start');
  guard.start();
  t.teardown(() => guard.close());
  t.same(sent.map((s) => s.server), ['127.0.0.2:53', '127.0.0.3:53', '127.0.0.2:53', '127.0.0.1:8600']);
  t.match(sent[0]!.name, /^dnsfwd-loop-probe-[0-9a-f]{12}\.test$/);
  t.match(sent[2]!.name, /^dnsfwd-loop-probe-[0-9a-f]{12}$/, 'the root zone');
  t.same(sent.map((s) => s.tcp), [false, false, false, true], 'a TCP-only route is probed over TCP');
  t.equal(new Set(sent.map((s) => s.name)).size, 4, 'every probe name is new');
  guard.routesChanged([group('test', [a, b]), group('', [a])]);
  t.equal(sent.length, 4, 'a rebuild with the same servers sends nothing');
  guard.routesChanged([group('test', [a, b, up('127.0.0.4')])]);
  t.same(sent.slice(4).map((s) => s.server), ['127.0.0.4:53'], 'a server new to a route is probed at once');
});

t.test('a probe that comes back: the server leaves that route only, one warning; gone: back, one info line', async (t) => {
  const { clock, log, guard, sent, group, settle } = setup();
  const loopy = up('127.0.0.2');
  const other = up('10.0.0.9');
  const g = group('test', [loopy, other]);
  const consul = group('consul', [loopy]);
  guard.routesChanged([g, consul]);
  guard.start();
  t.teardown(() => guard.close());
  t.same(g.order().map((u) => u.label), ['127.0.0.2:53', '10.0.0.9:53']);
  guard.claim('dnsfwd-loop-probe-000000000000.test', '127.0.0.2:4000');
  t.equal(guard.loopingCount, 0, 'a name we never sent proves nothing');
  guard.claim(sent[0]!.name, '127.0.0.2:4000');
  guard.claim(sent[0]!.name, '127.0.0.2:4001');
  t.equal(guard.loopingCount, 1);
  t.same(g.order().map((u) => u.label), ['10.0.0.9:53'], 'out of the route');
  t.same(consul.order().map((u) => u.label), ['127.0.0.2:53'], 'the same server in another route is still used');
  t.match(log.warnings(), [{ zone: 'test', server: '127.0.0.2:53', probe: sent[0]!.name, seen: /from 127.0.0.2:4000/ }]);
  t.equal(log.warnings().length, 1, 'one warning');
  for (const s of sent) s.answer();
  await settle();
  t.same(g.order().map((u) => u.label), ['10.0.0.9:53'], 'still out after its probe settled');
  // Probed again after LOOPING_RETRY_MS; it still loops: no new line.
  const before = sent.length;
  clock.t += LOOPING_RETRY_MS - 1;
  guard.check();
  t.equal(sent.length, before, 'not before its time');
  clock.t += 1;
  guard.check();
  t.equal(sent.length, before + 1, 'probed again');
  t.same(g.order().map((u) => u.label), ['10.0.0.9:53'], 'out while the probe is in flight');
  guard.claim(sent[before]!.name, '127.0.0.2:4002');
  sent[before]!.answer();
  await settle();
  t.equal(log.warnings().length, 1, 'still looping: no second warning');
  t.same(g.order().map((u) => u.label), ['10.0.0.9:53']);
  // The loop is fixed: the next probe is answered without coming back.
  clock.t += LOOPING_RETRY_MS;
  guard.check();
  sent[sent.length - 1]!.answer();
  await settle();
  t.same(g.order().map((u) => u.label), ['127.0.0.2:53', '10.0.0.9:53'], 'back in the route');
  t.equal(guard.loopingCount, 0);
  t.match(log.lines.filter((l) => l.msg === 'forwarding loop gone: server back in the route'), [{ zone: 'test', server: '127.0.0.2:53' }]);
});

t.test('only a looping server: the route has none to ask', async (t) => {
  const { guard, sent, group } = setup();
  const g = group('test', [up('127.0.0.2')]);
  guard.routesChanged([g]);
  guard.start();
  t.teardown(() => guard.close());
  guard.claim(sent[0]!.name, '127.0.0.2:4000');
  t.same(g.order(), []);
  await t.rejects(g.resolve({ bytes: query('a.test'), questionEnd: query('a.test').length, dnssecOk: false, deadline: 1e12 }), { code: 'ALL_FAILED' });
});

t.test('servers that do not loop are probed again every interval; a server no route uses is forgotten', async (t) => {
  const { clock, guard, sent, group, settle } = setup(5000);
  const a = up('127.0.0.2');
  guard.routesChanged([group('test', [a])]);
  guard.start();
  t.teardown(() => guard.close());
  sent[0]!.answer();
  await settle();
  clock.t += 4999;
  guard.check();
  t.equal(sent.length, 1);
  clock.t += 1;
  guard.check();
  t.equal(sent.length, 2, 'again after the interval');
  guard.claim(sent[1]!.name, 'x');
  t.equal(guard.loopingCount, 1);
  guard.routesChanged([group('test', [up('10.0.0.9')])]);
  t.equal(guard.loopingCount, 0, 'the looping server left every route: forgotten');
  sent[1]!.answer();
  await settle();
  t.equal(guard.loopingCount, 0, 'its probe settling changes nothing');
});

t.test('a server that leaves every route while its probe is in flight: the probe coming back or settling changes nothing', async (t) => {
  const { clock, guard, sent, group, settle } = setup();
  const a = up('127.0.0.2');
  guard.routesChanged([group('test', [a])]);
  guard.start();
  t.teardown(() => guard.close());
  guard.routesChanged([group('test', [up('10.0.0.9')])]);
  guard.claim(sent[0]!.name, '127.0.0.2:4000');
  t.equal(guard.loopingCount, 0, 'a probe of a server no route uses proves nothing now');
  // A looping server, probed again, leaves the routes before that probe settles.
  const b = up('127.0.0.3');
  guard.routesChanged([group('test', [b])]);
  const first = sent[sent.length - 1]!;
  guard.claim(first.name, '127.0.0.3:4000');
  first.answer();
  await settle();
  t.equal(guard.loopingCount, 1);
  clock.t += LOOPING_RETRY_MS;
  guard.check();
  const again = sent[sent.length - 1]!;
  t.not(again.name, first.name, 'probed again');
  guard.routesChanged([group('test', [up('10.0.0.9')])]);
  t.equal(guard.loopingCount, 0, 'forgotten with the route');
  again.answer();
  await settle();
  t.equal(guard.loopingCount, 0, 'its probe settling without coming back does not count it a second time');
});

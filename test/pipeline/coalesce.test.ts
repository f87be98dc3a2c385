// The coalescing stage on its own: identical queries in flight share one trip to the next stage,
// and a trip that fails lets the next identical query try again.
import t from 'tap';
import { CoalesceCounters, coalesceStage } from '../../src/pipeline/coalesce.js';
import { Query, type RouteLookup } from '../../src/pipeline/query.js';
import { parseQuery } from '../../src/wire/question.js';
import { answer, decode, query } from '../helpers/packets.js';

const noRoutes: RouteLookup = {
  lookup: () => {
    throw new Error('no routes in this test');
  },
};

function q(bytes: Buffer): Query {
  const p = parseQuery(bytes);
  if (p.kind !== 'query') throw new Error('bad test query');
  return new Query(bytes, p.question, 'udp', Date.now() + 4000, noRoutes);
}

// Guards the rejection handler of `pending.then(done, done)`: a failed trip leaves the in-flight map.
t.test('a query whose trip failed is not shared with the next identical query', async (t) => {
  const counters = new CoalesceCounters();
  let trips = 0;
  const handler = coalesceStage(counters)(async (x) => {
    if (++trips === 1) throw new Error('upstream stage failed');
    return answer(x.bytes, ['10.0.0.1']);
  });
  const first = Promise.resolve(handler(q(query('f.example', 'A', { id: 1 }))));
  const shared = Promise.resolve(handler(q(query('f.example', 'A', { id: 2 }))));
  await t.rejects(first, { message: 'upstream stage failed' }, 'the first query fails');
  await t.rejects(shared, { message: 'upstream stage failed' }, 'and so does the one that shared its trip');
  const again = decode(await handler(q(query('f.example', 'A', { id: 3 }))));
  t.equal(trips, 2, 'the next identical query made its own trip');
  t.equal(again.id, 3);
  t.equal(counters.coalesced, 1);
});

// The query log's note: a query answered by another's trip says so.
t.test("a query that shares another's trip is noted as coalesced", async (t) => {
  const handler = coalesceStage(new CoalesceCounters())(async (x) => answer(x.bytes, ['10.0.0.1']));
  const noted = (bytes: Buffer) => {
    const p = parseQuery(bytes);
    if (p.kind !== 'query') throw new Error('bad test query');
    return new Query(bytes, p.question, 'udp', Date.now() + 4000, noRoutes, {});
  };
  const first = noted(query('n.example', 'A', { id: 1 }));
  const second = noted(query('n.example', 'A', { id: 2 }));
  await Promise.all([handler(first), handler(second)]);
  t.same(first.note, {}, 'the first made the trip: the stage after says where its answer came from');
  t.same(second.note, { from: 'coalesced' });
});

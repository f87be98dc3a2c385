// What the upstream set-up keeps across route table rebuilds: each (route, server) pair's health,
// shared by every group built for that route, and forgotten when no route has that pair any more.
import t from 'tap';
import { parseEndpoint, type Endpoint } from '../../src/address.js';
import { defaultConfig } from '../../src/config/schema.js';
import { Upstreams } from '../../src/upstream/setup.js';
import { quietLogger } from '../helpers/logger.js';
import { query } from '../helpers/packets.js';
import { freePort } from '../helpers/ports.js';

const endpoint = (s: string): Endpoint => {
  const r = parseEndpoint(s);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
};

t.test("a route's server health outlives its group, and goes with the route", async (t) => {
  const config = defaultConfig().upstream;
  const upstreams = new Upstreams(quietLogger(), config);
  t.teardown(() => upstreams.close());
  // Nothing listens on this port: a query is refused by ICMP at once, and the server is down.
  const closed = endpoint(`127.0.0.1:${await freePort('127.0.0.1')}`);
  const label = `127.0.0.1:${closed.port}`;
  const lan = upstreams.group('lan', [closed], config);
  const root = upstreams.group('', [closed], config);
  const q = query('a.lan');
  await t.rejects(lan.resolve({ bytes: q, questionEnd: q.length, dnssecOk: false, deadline: Date.now() + 4000 }), { code: 'ALL_FAILED' });
  t.equal(upstreams.serverHealth('lan', label)?.isUp(), false, 'down in its route');
  t.equal(upstreams.serverHealth('', label)?.isUp(), true, 'up in the other');
  const rebuilt = upstreams.group('lan', [closed], config);
  t.same(rebuilt.order().map((u) => u.label), [label], 'a new group of the same route');
  t.equal(upstreams.serverHealth('lan', label)?.isUp(), false, 'with the same health');
  upstreams.routesChanged([rebuilt, root]);
  t.equal(upstreams.serverHealth('lan', label)?.isUp(), false, 'kept while a route has the pair');
  upstreams.routesChanged([root]);
  t.equal(upstreams.serverHealth('lan', label), undefined, 'the route went: forgotten');
  t.equal(upstreams.serverHealth('', label)?.isUp(), true, 'the other route keeps its own');
});

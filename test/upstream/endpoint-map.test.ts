// EndpointMap: one value per server, made on first use, let go (released) once no route uses it.
import t from 'tap';
import { parseEndpoint, type Endpoint } from '../../src/address.js';
import { EndpointMap } from '../../src/upstream/endpoint-map.js';

const ep = (s: string): Endpoint => {
  const r = parseEndpoint(s);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
};

// Guards `v === undefined`: the same server gets the same value (health outlives route changes).
t.test('one value per server, made once', async (t) => {
  let made = 0;
  const m = new EndpointMap((s) => ({ server: s, n: ++made }));
  const a = m.get(ep('10.0.0.1'));
  t.equal(m.get(ep('10.0.0.1:53')), a, 'the same server, spelled with its port');
  t.not(m.get(ep('10.0.0.2')), a, 'another server');
  t.equal(made, 2);
});

// Guards `keep.has(key)` and the release: only servers no longer in use are let go, and released.
t.test('retain lets go of, and releases, exactly the servers not in use', async (t) => {
  const released: string[] = [];
  const m = new EndpointMap((s) => `${s.host}`, (v) => released.push(v));
  const a = m.get(ep('10.0.0.1'));
  m.get(ep('10.0.0.2'));
  m.retain([ep('10.0.0.1')]);
  t.same(released, ['10.0.0.2'], 'the server gone from every route');
  t.equal(m.get(ep('10.0.0.1')), a, 'the one in use is kept');
  m.retain([]);
  t.same(released, ['10.0.0.2', '10.0.0.1']);
});

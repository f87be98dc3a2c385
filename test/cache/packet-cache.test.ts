// The LRU of answers: fresh, stale and expired lookups, bounds on entries and bytes, dropping a zone.
import t from 'tap';
import type { CacheEntry } from '../../src/cache/entry.js';
import { PacketCache } from '../../src/cache/packet-cache.js';

const entry = (zone: string, expiresAt: number, kind: CacheEntry['kind'] = 'positive', size = 100): CacheEntry => ({
  kind,
  bytes: Buffer.alloc(size),
  ttlFields: [],
  storedAt: 0,
  expiresAt,
  zone,
  prefetching: false,
});

t.test('fresh, stale within stale_max_age, then gone', async (t) => {
  const c = new PacketCache({ size: 10, maxBytes: 1 << 20, staleMs: 1000 });
  c.store('k', entry('', 100));
  t.equal(c.lookup('k', 50).state, 'fresh');
  t.equal(c.lookup('k', 500).state, 'stale');
  t.equal(c.lookup('k', 1200).state, 'miss');
  t.equal(c.entries, 0, 'dropped once too old');
  const noStale = new PacketCache({ size: 10, maxBytes: 1 << 20, staleMs: 0 });
  noStale.store('k', entry('', 100));
  t.equal(noStale.lookup('k', 101).state, 'miss');
});

t.test('a SERVFAIL entry is never stale and never replaces an answer', async (t) => {
  const c = new PacketCache({ size: 10, maxBytes: 1 << 20, staleMs: 1000 });
  c.store('sf', entry('', 100, 'servfail'));
  t.equal(c.lookup('sf', 150).state, 'miss');
  c.store('k', entry('', 100));
  c.store('k', entry('', 5000, 'servfail'));
  t.equal(c.lookup('k', 500).state, 'stale', 'the old answer is still there to serve stale');
});

t.test('dropZone drops exactly the entries of that route', async (t) => {
  const c = new PacketCache({ size: 10, maxBytes: 1 << 20, staleMs: 0 });
  c.store('a', entry('', 100));
  c.store('b', entry('consul', 100));
  c.store('c', entry('', 100));
  t.equal(c.dropZone(''), 2);
  t.equal(c.lookup('a', 0).state, 'miss');
  t.equal(c.lookup('b', 0).state, 'fresh');
});

t.test('bounded in entries and in bytes, least recently used first', async (t) => {
  const c = new PacketCache({ size: 3, maxBytes: 1 << 20, staleMs: 0 });
  for (const k of ['a', 'b', 'c']) c.store(k, entry('', 100));
  c.lookup('a', 0);
  c.store('d', entry('', 100));
  t.equal(c.entries, 3);
  t.equal(c.lookup('b', 0).state, 'miss', 'b was the least recently used');
  t.equal(c.lookup('a', 0).state, 'fresh');
  const small = new PacketCache({ size: 1000, maxBytes: 10_000, staleMs: 0 });
  for (let i = 0; i < 100; i++) small.store(`k${i}`, entry('', 100, 'positive', 1000));
  t.ok(small.bytes <= 10_000, `bytes held: ${small.bytes}`);
  t.ok(small.entries < 100 && small.entries > 0);
});

// Guards the two boundaries: fresh before expiresAt, stale from it, gone at expiresAt + staleMs.
t.test('fresh until the expiry instant, stale from it until stale_max_age is up', async (t) => {
  const c = new PacketCache({ size: 10, maxBytes: 1 << 20, staleMs: 1000 });
  c.store('k', entry('', 100));
  t.equal(c.lookup('k', 99).state, 'fresh', 'one ms before expiry');
  t.equal(c.lookup('k', 100).state, 'stale', 'at expiry');
  t.equal(c.lookup('k', 1099).state, 'stale', 'the last ms of stale_max_age');
  t.equal(c.lookup('k', 1100).state, 'miss', 'stale_max_age is up');
});

// Guards `lru.has(key)`: only an answer already there keeps a SERVFAIL out.
t.test('a SERVFAIL is stored when nothing is cached for its key', async (t) => {
  const c = new PacketCache({ size: 10, maxBytes: 1 << 20, staleMs: 1000 });
  c.store('sf', entry('', 100, 'servfail'));
  t.equal(c.lookup('sf', 50).state, 'fresh', 'served until servfail_ttl is up');
});

// The LRU of answers: fresh, stale and expired lookups, bounds on entries and bytes, dropping a
// route's zone, dropping the names under a zone (flush).
import t from 'tap';
import { cacheEntry, type CacheEntry } from '../../src/cache/entry.js';
import { PacketCache } from '../../src/cache/packet-cache.js';
import { questionKey } from '../../src/wire/question-key.js';
import { parseQuery } from '../../src/wire/question.js';
import { query } from '../helpers/packets.js';

const entry = (zone: string, expiresAt: number, kind: CacheEntry['kind'] = 'positive', size = 100): CacheEntry =>
  cacheEntry(kind, Buffer.alloc(size), [], 0, expiresAt, zone);

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

/** The cache key of a query for `name` `type` (as the cache stage makes it). */
function keyOf(name: string, type: 'A' | 'AAAA' | 'TXT' = 'A', edns = false): string {
  const parsed = parseQuery(query(name, type, edns ? { edns: 1232, do: true } : {}));
  if (parsed.kind !== 'query') throw new Error(`bad query ${name}`);
  return questionKey(query(name, type, edns ? { edns: 1232, do: true } : {}), parsed.question);
}

t.test('dropUnder: the names at or under a zone, whatever their type, kind, age or letter case', async (t) => {
  const c = new PacketCache({ size: 100, maxBytes: 1 << 20, staleMs: 1000 });
  const names = ['consul', 'web.service.consul', 'WEB.Service.Consul', 'x.y.consul', 'notconsul', 'consul.example', 'a.example', 'example'];
  for (const name of names) c.store(keyOf(name), entry('', 100));
  c.store(keyOf('db.service.consul', 'AAAA'), entry('', 100, 'negative')); // a negative answer
  c.store(keyOf('old.service.consul', 'TXT'), entry('', 1)); // expired, kept for serving stale
  c.store(keyOf('web.service.consul', 'A', true), entry('', 100)); // the DO-bit variant
  // "WEB.Service.Consul" is the same key as "web.service.consul": 8 names, 7 keys, + 3.
  t.equal(c.entries, 10);
  t.equal(c.dropUnder('service.consul'), 4, 'the names under service.consul: A (plain and DO), AAAA negative, TXT stale');
  t.equal(c.entries, 6);
  t.equal(c.dropUnder('Consul'), 2, 'consul itself and x.y.consul; not notconsul, not consul.example');
  t.equal(c.lookup(keyOf('notconsul'), 0).state, 'fresh', 'notconsul stays: a label boundary, not a string suffix');
  t.equal(c.lookup(keyOf('consul.example'), 0).state, 'fresh', 'consul.example stays: the zone is a suffix, not a prefix');
  t.equal(c.dropUnder('nothing.here'), 0, 'nothing under a zone with no answers');
  t.equal(c.dropUnder(''), 4, 'the root: everything left');
  t.equal(c.entries, 0);
});

t.test('peek: what lookup finds, without moving the entry in the LRU order or deleting an expired one', async (t) => {
  const c = new PacketCache({ size: 2, maxBytes: 1 << 20, staleMs: 1000 });
  const e = (expiresAt: number, kind: CacheEntry['kind'] = 'positive'): CacheEntry => cacheEntry(kind, Buffer.alloc(20), [], 0, expiresAt, '');
  c.store('a', e(100));
  c.store('b', e(100));
  t.equal(c.peek('a', 50).state, 'fresh');
  t.equal(c.peek('a', 500).state, 'stale');
  t.equal(c.peek('a', 2000).state, 'miss', 'past stale');
  t.equal(c.peek('z', 0).state, 'miss');
  t.equal(c.entries, 2, 'an expired entry peeked at stays');
  c.store('c', e(100));
  t.equal(c.peek('a', 50).state, 'miss', 'a was the least recently used still: evicted');
  t.equal(c.peek('b', 50).state, 'fresh');
  c.store('s', e(100, 'servfail'));
  t.equal(c.peek('s', 500).state, 'miss', 'a SERVFAIL is never stale');
});

/** The question of a query, for findQuery. */
function questionOf(bytes: Buffer) {
  const parsed = parseQuery(bytes);
  if (parsed.kind !== 'query') throw new Error('bad query');
  return parsed.question;
}

/** An entry whose data is `tag` repeated (so each is told apart by its bytes). */
const tagged = (tag: number, size = 40, expiresAt = 100, zone = ''): CacheEntry => cacheEntry('positive', Buffer.alloc(size, tag), [], 0, expiresAt, zone);
/** The first byte of the entry findQuery finds for `client`, or null. */
function tagFound(c: PacketCache, client: Buffer, now = 0): number | null {
  const slot = c.findQuery(client, questionOf(client), now);
  return slot === -1 ? null : c.entryAt(slot).bytes[0]!;
}

// Guards findQuery: a client's query finds what was stored under its key, read from its bytes.
t.test('findQuery finds the entry stored under the query\'s key, in any letter case, and only that one', async (t) => {
  const c = new PacketCache({ size: 100, maxBytes: 1 << 20, staleMs: 1000 });
  const variants: [string, 'A' | 'AAAA' | 'TXT', boolean][] = [
    ['web.service.consul', 'A', false], ['web.service.consul', 'A', true], ['web.service.consul', 'AAAA', false],
    ['eb.service.consul', 'A', false], ['web.service.consu', 'A', false], ['', 'A', false], ['a', 'TXT', false],
  ];
  variants.forEach(([name, type, edns], i) => c.store(keyOf(name, type, edns), tagged(i + 1)));
  variants.forEach(([name, type, edns], i) => {
    const client = query(name.toUpperCase(), type, edns ? { edns: 1232, do: true } : {});
    t.equal(tagFound(c, client), i + 1, `${name || '.'} ${type}${edns ? ' DO' : ''}`);
  });
  const noRd = query('web.service.consul');
  noRd[2]! &= ~0x01;
  t.equal(tagFound(c, noRd), null, 'RD=0 is another key');
  const cd = query('web.service.consul');
  cd[3]! |= 0x10;
  t.equal(tagFound(c, cd), null, 'CD=1 is another key');
  t.equal(tagFound(c, query('www.service.consul')), null, 'a name not stored');
});

t.test('findQuery: fresh and stale entries, one past stale_max_age dropped, and the LRU order kept', async (t) => {
  const c = new PacketCache({ size: 2, maxBytes: 1 << 20, staleMs: 1000 });
  const qa = query('a.example');
  const qb = query('b.example');
  c.store(keyOf('a.example'), tagged(1));
  c.store(keyOf('b.example'), tagged(2));
  t.equal(tagFound(c, qa, 50), 1, 'fresh');
  const slot = c.findQuery(qa, questionOf(qa), 500);
  t.equal(c.entryAt(slot).bytes[0], 1, 'stale: found, the caller tells it by expiresAt');
  t.equal(c.expiresAt(slot), 100);
  c.store(keyOf('c.example'), tagged(3));
  t.equal(c.lookup(keyOf('b.example'), 0).state, 'miss', 'b was the least recently used: findQuery moved a up');
  t.equal(tagFound(c, qa, 1100), null, 'past stale_max_age');
  t.equal(c.entries, 1, 'and dropped');
  t.equal(tagFound(c, qb), null);
});

// Guards the table's growth and the removal from its chains: many keys, stored, found, dropped.
t.test('thousands of keys: each found under its own key after the table grows, and gone once dropped', async (t) => {
  const c = new PacketCache({ size: 5000, maxBytes: 1 << 30, staleMs: 0 });
  for (let i = 0; i < 5000; i++) c.store(keyOf(`n${i}.example`), cacheEntry('positive', Buffer.from(`${i}`.padEnd(100)), [], 0, 100, i % 2 ? 'consul' : ''));
  let found = 0;
  for (let i = 0; i < 5000; i++) {
    const q = query(`N${i}.example`);
    const slot = c.findQuery(q, questionOf(q), 0);
    if (slot !== -1 && c.entryAt(slot).bytes.toString().trim() === `${i}`) found++;
  }
  t.equal(found, 5000);
  t.equal(c.dropZone('consul'), 2500);
  let left = 0;
  for (let i = 0; i < 5000; i++) if (c.lookup(keyOf(`n${i}.example`), 0).state === 'fresh') left++;
  t.equal(left, 2500);
  const d = new PacketCache({ size: 5000, maxBytes: 1 << 30, staleMs: 0 });
  for (let i = 0; i < 5000; i += 2) d.store(keyOf(`n${i}.example`), entry('', 100));
  t.equal(c.bytes, d.bytes, 'the bytes held are those of the entries left');
  t.equal(c.clear(), 2500);
  t.equal(c.bytes, 0);
  const q = query('n0.example');
  t.equal(c.findQuery(q, questionOf(q), 0), -1, 'nothing found after clear');
});

// Guards the arena: entries stored, evicted, replaced and dropped in any order, of sizes from a few
// bytes to over a kilobyte, keep their own bytes through every compaction and resize of the arena.
t.test('the arena: every entry keeps its bytes through compaction, growth and shrinking', async (t) => {
  const c = new PacketCache({ size: 2000, maxBytes: 1 << 30, staleMs: 0 });
  // The entries the cache must hold, least recently stored first (its LRU order: peek moves nothing).
  const model = new Map<string, Buffer>();
  let seed = 12345;
  const random = (n: number) => {
    seed ^= seed << 13; // xorshift32
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const sizes = new Set<number>();
  let mismatches = 0;
  for (let round = 0; round < 30_000; round++) {
    const name = `n${random(4000)}.example`;
    if (random(10) === 0) {
      if (model.has(name)) {
        if (c.dropUnder(name) !== 1) mismatches++;
        model.delete(name);
      }
      continue;
    }
    const data = Buffer.alloc(1 + random(random(8) === 0 ? 1500 : 120));
    for (let i = 0; i < data.length; i++) data[i] = random(256);
    c.store(keyOf(name), cacheEntry('positive', data, [], 0, 100, ''));
    model.delete(name);
    model.set(name, data);
    if (model.size > 2000) model.delete(model.keys().next().value!);
    sizes.add(c.arenaBytes);
    if (round % 3000 === 2999) {
      for (const [k, v] of model) {
        const found = c.peek(keyOf(k), 0);
        if (found.state !== 'fresh' || !found.entry.bytes.equals(v)) mismatches++;
      }
    }
  }
  t.equal(mismatches, 0, 'every entry read back as stored, every drop dropped one');
  t.equal(c.entries, model.size);
  t.ok(sizes.size > 2, `the arena was resized (sizes seen: ${[...sizes].join(', ')}; ${c.entries} entries)`);
  let live = 0;
  for (const v of model.values()) live += v.length;
  t.ok(c.arenaBytes < 2 * (live + 2000 * 14) + 65536, `the arena (${c.arenaBytes} bytes) is within a few times what it holds (${live} bytes of data)`);
  // Drop nearly everything: the next compaction gives most of the arena back.
  const big = c.arenaBytes;
  c.dropUnder('example');
  for (let i = 0; i < 20_000; i++) c.store(keyOf(`s${i % 5}.example`), cacheEntry('positive', Buffer.alloc(10, i), [], 0, 100, ''));
  t.ok(c.arenaBytes < big, `shrunk from ${big} to ${c.arenaBytes} bytes`);
  const s4 = c.peek(keyOf('s4.example'), 0);
  t.equal(s4.state === 'fresh' ? s4.entry.bytes[0] : null, 19_999 & 0xff, 'the last one stored under s4');
  c.clear();
  t.equal(c.arenaBytes, 65536, 'clear gives the memory back');
});

// Guards entryAt: what a caller holds across an await is a copy, not a view of the arena.
t.test('entryAt is a copy: it keeps its bytes when the arena moves them or reuses their place', async (t) => {
  const c = new PacketCache({ size: 2, maxBytes: 1 << 20, staleMs: 1000 });
  c.store(keyOf('a.example'), tagged(7, 50, 100, 'consul'));
  const qa = query('a.example');
  const held = c.entryAt(c.findQuery(qa, questionOf(qa), 0));
  t.equal(held.zone, 'consul');
  t.equal(held.expiresAt, 100);
  for (let i = 0; i < 5000; i++) c.store(`k${i}`, tagged(i & 0xff, 50));
  t.ok(held.bytes.every((b) => b === 7), 'the copy still holds its bytes');
});

// Guards the prefetch flag: one refresh per entry at a time, and a late end of one never clears
// the flag of another entry that took the slot since.
t.test('startPrefetch and prefetchDone: one refresh at a time, per entry', async (t) => {
  const c = new PacketCache({ size: 1, maxBytes: 1 << 20, staleMs: 0 });
  c.store(keyOf('a.example'), tagged(1));
  const qa = query('a.example');
  const slot = c.findQuery(qa, questionOf(qa), 0);
  const token = c.startPrefetch(slot);
  t.not(token, -1);
  t.equal(c.startPrefetch(slot), -1, 'a second refresh of the same entry is not started');
  t.equal(c.entryAt(slot).prefetching, true);
  c.prefetchDone(slot, token);
  t.equal(c.entryAt(slot).prefetching, false);
  const again = c.startPrefetch(slot);
  c.store(keyOf('b.example'), tagged(2)); // evicts a: b takes its slot
  const qb = query('b.example');
  const slotB = c.findQuery(qb, questionOf(qb), 0);
  t.equal(slotB, slot, 'b reuses the slot');
  const tokenB = c.startPrefetch(slotB);
  c.prefetchDone(slot, again); // a's refresh ends late
  t.equal(c.entryAt(slotB).prefetching, true, 'b is still being refreshed');
  c.prefetchDone(slotB, tokenB);
  c.store(keyOf('s.example'), cacheEntry('servfail', Buffer.alloc(20), [], 0, 100, ''));
  const qs = query('s.example');
  t.equal(c.startPrefetch(c.findQuery(qs, questionOf(qs), 0)), -1, 'a SERVFAIL is not refreshed');
});

// Guards the prefetch token across clear(): a refresh started before a flush that ends after it
// must not clear the flag of an entry stored since in the same slot.
t.test('a prefetch token from before clear() does not touch an entry stored after it', async (t) => {
  const c = new PacketCache({ size: 4, maxBytes: 1 << 20, staleMs: 0 });
  const qa = query('a.example');
  c.store(keyOf('a.example'), tagged(1));
  const slot = c.findQuery(qa, questionOf(qa), 0);
  const old = c.startPrefetch(slot);
  c.clear();
  c.store(keyOf('a.example'), tagged(2));
  const again = c.findQuery(qa, questionOf(qa), 0);
  t.equal(again, slot, 'the same slot again');
  t.not(c.startPrefetch(again), -1, 'the new entry is being refreshed');
  c.prefetchDone(slot, old); // the refresh from before the flush ends
  t.equal(c.entryAt(again).prefetching, true, 'still marked: the old token is not the new entry\'s');
});

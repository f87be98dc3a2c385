// The `cache:` section: its validation, and the line `dnsfwd check` prints for it.
import t from 'tap';
import { describeCache } from '../../src/cache/config.js';
import { defaultConfig, validateConfig } from '../../src/config/schema.js';

// Guards the three switches of describeCache: cache off, serve-stale, prefetch.
t.test('describeCache says what is on and what is off', async (t) => {
  const on = defaultConfig().cache;
  t.equal(
    describeCache(on),
    'cache:     10000 entries, 33554432 bytes, TTL 0..86400 s, negative ≤ 300 s, SERVFAIL 0 s, ' +
      'serve stale up to 86400 s (after 1800 ms), prefetch on',
  );
  t.match(describeCache({ ...on, serveStale: false, prefetch: false }), /SERVFAIL 0 s, no serve-stale, prefetch off$/);
  t.equal(describeCache({ ...on, size: 0 }), 'cache:     off');
});

function cacheOf(raw: unknown) {
  const r = validateConfig({ cache: raw });
  if (!r.ok) throw new Error(`unexpected error: ${r.error.reason}`);
  return r.config.cache;
}

// Guards the section's `raw ?? {}`, the prefetch flag check and the `>` of min_ttl against max_ttl.
t.test('the cache section: `cache:` alone, equal TTL bounds, a prefetch that is not a boolean', async (t) => {
  t.same(cacheOf(null), defaultConfig().cache, '`cache:` alone keeps the defaults');
  const equal = cacheOf({ min_ttl: 60, max_ttl: 60 });
  t.same([equal.minTtl, equal.maxTtl], [60, 60], 'min_ttl may equal max_ttl');
  const prefetch = validateConfig({ cache: { prefetch: 'yes' } });
  t.equal(prefetch.ok, false);
  if (!prefetch.ok) t.match(prefetch.error, { key: 'cache.prefetch', reason: /expected true or false/ });
});

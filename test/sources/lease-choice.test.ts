// chooseLeases at the boundaries: a lease is live up to and including its expiry instant, and the
// choice is rechecked when the next lease expires (never when none does).
import t from 'tap';
import { chooseLeases, type LeaseServers } from '../../src/sources/lease-choice.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const server = (host: string) => ({ host, port: 53, family: 4 as const });
const lease = (link: string, host: string, expires?: number): LeaseServers => ({
  link,
  servers: [server(host)],
  ...(expires === undefined ? {} : { expires }),
});

// isLive is `expires >= now`: at its expiry instant a lease still counts, and the recheck is then.
t.test('a lease expiring right now still counts, and is rechecked now', async (t) => {
  const c = chooseLeases([lease('4/eth0', '10.0.0.1', NOW), lease('4/eth1', '10.1.0.1', NOW - 1)], NOW);
  t.same(c.servers, [server('10.0.0.1')], 'the one expiring now beats the expired one');
  t.equal(c.recheckAt, NOW);
});

t.test('the recheck is the earliest expiry still to come', async (t) => {
  const c = chooseLeases([lease('4/eth0', '10.0.0.1', NOW + 5000), lease('4/eth1', '10.1.0.1', NOW + 1000), lease('4/eth2', '10.2.0.1')], NOW);
  t.equal(c.recheckAt, NOW + 1000);
  t.equal(c.servers.length, 3);
});

// Nothing expires: nothing to recheck (no timer set at all).
t.test('no recheck when no lease expires', async (t) => {
  const c = chooseLeases([lease('4/eth0', '10.0.0.1'), lease('4/eth1', '10.1.0.1', NOW - 1)], NOW);
  t.notOk('recheckAt' in c, 'no recheckAt');
  t.same(chooseLeases([], NOW), { leases: [], servers: [] });
});

// The next expiry is found with a loop: Math.min(...list) overflows the stack past ~100,000.
t.test('half a million leases: the next expiry without a stack overflow', async (t) => {
  const many = Array.from({ length: 500_000 }, (_, i) => lease(`4/eth${i % 3}`, '10.0.0.1', NOW + 1000 + (i % 97)));
  t.equal(chooseLeases(many, NOW).recheckAt, NOW + 1000);
});

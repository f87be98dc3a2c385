// What status and explain share: a route's origin as reported and in words, times, durations,
// sizes, aligned columns.
import t from 'tap';
import { bytes, duration, originReport, originText, table, when } from '../../src/control/report-format.js';
import type { SourceView } from '../../src/sources/source.js';
import { ep } from '../helpers/route-fixture.js';

const source = (name: string, servers: string[]): SourceView => ({ name, kind: 'dhclient', path: '/x/*', files: [], changedAt: null, servers: servers.map(ep), leases: [] });

t.test('origins: the sources behind the default route, only for servers from sources', async (t) => {
  const sources = [source('a', ['10.0.0.1']), source('b', [])];
  t.same(originReport({ kind: 'default', from: 'sources' }, sources), { kind: 'default', from: 'sources', sources: ['a'] });
  t.same(originReport({ kind: 'default', from: 'upstream' }, sources), { kind: 'default', from: 'upstream' });
  t.same(originReport({ kind: 'default', from: 'none' }, sources), { kind: 'default', from: 'none' });
  t.same(originReport(undefined, sources), { kind: 'config' }, 'a zone without an origin is a configured one');
  t.same(originReport({ kind: 'link', link: 'f/4/eth0' }, sources), { kind: 'link', link: 'f/4/eth0', file: null, source: null }, 'a lease no source holds now');
  t.match(originText({ kind: 'default', from: 'upstream' }), /static upstream servers/);
  t.match(originText({ kind: 'default', from: 'none' }), /no servers/);
  t.equal(originText({ kind: 'link', link: 'f/4/eth0', file: null, source: null }), 'link domain, lease f/4/eth0');
});

t.test('times, durations, sizes, columns', async (t) => {
  const now = Date.UTC(2026, 11, 1, 12, 0, 0);
  t.equal(when('not a time', now), 'not a time');
  t.match(when(new Date(now + 12_000).toISOString(), now), /^\d\d:\d\d:\d\d \(in 12 s\)$/);
  t.match(when(new Date(now - 90_000).toISOString(), now), /^\d\d:\d\d:\d\d \(1 min 30 s ago\)$/);
  t.equal(when(new Date(now + 2 * 86_400_000).toISOString(), now), '2026-12-03T12:00:00Z (in 2 d)', 'another day: the date too');
  t.equal(duration(59_400), '59 s');
  t.equal(duration(60_000), '1 min');
  t.equal(duration(125_000), '2 min 5 s');
  t.equal(duration(3_600_000), '1 h');
  t.equal(duration(3_725_000), '1 h 2 min');
  t.equal(duration(90_000_000), '1 d 1 h');
  t.equal(duration(86_400_000), '1 d');
  t.equal(bytes(1023), '1023 B');
  t.equal(bytes(1536), '1.5 KiB');
  t.equal(bytes(3 * 1024 * 1024), '3.0 MiB');
  t.same(table([['A', 'BB', 'C'], ['long', 'x', 'last  ']]), ['A     BB  C', 'long  x   last']);
});

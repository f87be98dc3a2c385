// CNAMEs followed across routes (RFC 1034 §4.3.2, §5.3.3), with the real dig: an answer that ends
// in a CNAME into another route is completed from that route; chains inside one route are left
// alone; loops and over-long chains are SERVFAIL; a dangling target is NXDOMAIN with the CNAMEs.
import type { Answer } from 'dns-packet';
import t from 'tap';
import { startDnsfwd } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { freePort } from '../helpers/ports.js';
import { address as a, cname, doBit, rawReply, rrsig, soa, startRawUpstream, type RawQuery } from '../helpers/raw-upstream.js';

const LISTEN = '127.0.43.1';
const DEFAULT = '127.0.43.2'; // the DHCP server's resolver: knows example.test and example.org
const CONSUL = '127.0.43.3'; // Consul: TTL 0, like Consul's default
const VAGRANT = '127.0.43.4'; // libvirt's dnsmasq for vagrant.test

type Records = { answers?: Answer[]; authorities?: Answer[]; rcode?: number; ad?: boolean };

/** Builds the reply to `q` from what `zone` says about its name. */
function serve(zone: (name: string, doBit: boolean) => Records): (q: RawQuery) => Buffer {
  return (q) => rawReply(q, zone(q.decoded.questions![0]!.name.toLowerCase(), doBit(q)));
}

/** `chainN-LEN` names: step N of a chain LEN steps long, alternating between two routes. */
function chainStep(name: string, route: 'example.test' | 'service.consul'): Records | null {
  const m = /^chain(\d+)-(\d+)\./.exec(name);
  if (!m) return null;
  const [n, len] = [Number(m[1]), Number(m[2])];
  if (n === len) return { answers: [a(name, '10.43.9.9')] };
  const next = route === 'example.test' ? 'service.consul' : 'example.test';
  return { answers: [cname(name, `chain${n + 1}-${len}.${next}`)] };
}

const ports = { def: await freePort(DEFAULT), consul: await freePort(CONSUL), vagrant: await freePort(VAGRANT) };
const def = await startRawUpstream(DEFAULT, ports.def, serve((name, doBit) => {
  const chain = chainStep(name, 'example.test');
  if (chain) return chain;
  switch (name) {
    case 'cname.example.test': return { answers: [cname(name, 'web.service.consul')] };
    // A resolver that cannot see .consul: the CNAME, and NXDOMAIN for its target.
    case 'nx.example.test': return { answers: [cname(name, 'web.service.consul')], authorities: [soa('consul')], rcode: 3 };
    case 'host.example.org': return { answers: [a(name, '10.43.0.9', 300)] };
    case 'loop1.example.test': return { answers: [cname(name, 'loop2.service.consul')] };
    case 'step1.example.test': return { answers: [cname(name, 'step2.service.consul')] };
    case 'dangling.example.test': return { answers: [cname(name, 'gone.service.consul')] };
    case 'same.example.test': return { answers: [cname(name, 'other.example.test')] };
    case 'tobox.example.test': return { answers: [cname(name, 'box.vagrant.test')] };
    case 'signed.example.test': return { answers: [cname(name, 'web.service.consul'), ...(doBit ? [rrsig(name, 'CNAME')] : [])], ad: true };
    default: return { authorities: [soa('example.test')], rcode: 3 };
  }
}));
const consul = await startRawUpstream(CONSUL, ports.consul, serve((name, doBit) => {
  const chain = chainStep(name, 'service.consul');
  if (chain) return chain;
  switch (name) {
    case 'web.service.consul': return { answers: [a(name, '10.43.1.1', 0), ...(doBit ? [rrsig(name, 'A')] : [])], ad: true };
    case 'ext.service.consul': return { answers: [cname(name, 'host.example.org', 0)] };
    case 'loop2.service.consul': return { answers: [cname(name, 'loop1.example.test')] };
    case 'step2.service.consul': return { answers: [cname(name, 'step3.vagrant.test', 90)] };
    default: return { authorities: [soa('consul')], rcode: 3 };
  }
}));
const vagrant = await startRawUpstream(VAGRANT, ports.vagrant, serve((name) =>
  name === 'step3.vagrant.test' || name === 'box.vagrant.test' ? { answers: [a(name, '10.43.2.1', 120)] } : { authorities: [soa('vagrant.test')], rcode: 3 },
));

const port = await freePort(LISTEN);
const dir = t.testdir({
  'dnsfwd.yaml': [
    `listen: ["${LISTEN}:${port}"]`,
    'routes:',
    `  - { zone: consul, servers: ["${CONSUL}:${ports.consul}"] }`,
    `  - { zone: vagrant.test, servers: ["${VAGRANT}:${ports.vagrant}"] }`,
    `default: { sources: [], servers: ["${DEFAULT}:${ports.def}"] }`,
    '',
  ].join('\n'),
});
const daemon = await startDnsfwd(['--config', `${dir}/dnsfwd.yaml`]);
t.teardown(async () => {
  await daemon.stop();
  await Promise.all([def, consul, vagrant].map((u) => u.close()));
});

const shape = (r: Awaited<ReturnType<typeof dig>>) => r.answers.map((x) => `${x.name} ${x.type} ${x.data}`);

t.test('from the default route into .consul: the chain, TTL 0 from Consul, so not cached', async (t) => {
  for (const round of [1, 2]) {
    const r = await dig(LISTEN, port, 'cname.example.test');
    t.equal(r.status, 'NOERROR', r.raw);
    t.same(shape(r), ['cname.example.test. CNAME web.service.consul.', 'web.service.consul. A 10.43.1.1'], `round ${round}`);
    t.same(r.answers.map((x) => x.ttl), [0, 0], 'the smallest TTL of the parts');
  }
  t.equal(def.queriesFor('cname.example.test').length, 2, 'asked twice: the assembled answer was not cached');
  t.equal(consul.queriesFor('web.service.consul').length, 2);
});

t.test("a resolver's NXDOMAIN for a target it cannot see is replaced by the target route's answer", async (t) => {
  const r = await dig(LISTEN, port, 'nx.example.test');
  t.equal(r.status, 'NOERROR', r.raw);
  t.same(shape(r), ['nx.example.test. CNAME web.service.consul.', 'web.service.consul. A 10.43.1.1']);
});

t.test('from .consul into the default route (an external service)', async (t) => {
  const r = await dig(LISTEN, port, 'ext.service.consul');
  t.equal(r.status, 'NOERROR', r.raw);
  t.same(shape(r), ['ext.service.consul. CNAME host.example.org.', 'host.example.org. A 10.43.0.9']);
  t.same(r.answers.map((x) => x.ttl), [0, 0]);
});

t.test('three steps across three routes, cached as a whole with the smallest TTL', async (t) => {
  const r = await dig(LISTEN, port, 'step1.example.test');
  t.equal(r.status, 'NOERROR', r.raw);
  t.same(shape(r), ['step1.example.test. CNAME step2.service.consul.', 'step2.service.consul. CNAME step3.vagrant.test.', 'step3.vagrant.test. A 10.43.2.1']);
  t.same(r.answers.map((x) => x.ttl), [60, 60, 60]);
  const again = await dig(LISTEN, port, 'step1.example.test');
  t.same(shape(again), shape(r), 'the same chain');
  t.same([def.queriesFor('step1.example.test').length, consul.queriesFor('step2.service.consul').length, vagrant.queriesFor('step3.vagrant.test').length], [1, 1, 1], 'the second answer came from the cache');
});

t.test('a step can be a cache hit', async (t) => {
  const box = await dig(LISTEN, port, 'box.vagrant.test');
  t.same(shape(box), ['box.vagrant.test. A 10.43.2.1'], 'asked on its own first: now cached');
  const r = await dig(LISTEN, port, 'tobox.example.test');
  t.same(shape(r), ['tobox.example.test. CNAME box.vagrant.test.', 'box.vagrant.test. A 10.43.2.1']);
  t.equal(vagrant.queriesFor('box.vagrant.test').length, 1, 'the step came from the cache');
});

t.test('a loop across routes is SERVFAIL', async (t) => {
  const r = await dig(LISTEN, port, 'loop1.example.test');
  t.equal(r.status, 'SERVFAIL', r.raw);
  t.equal(def.queriesFor('loop1.example.test').length, 1, 'each name asked once');
  t.equal(consul.queriesFor('loop2.service.consul').length, 1);
});

t.test('a dangling target: NXDOMAIN, with the CNAME kept (RFC 6604)', async (t) => {
  const r = await dig(LISTEN, port, 'dangling.example.test');
  t.equal(r.status, 'NXDOMAIN', r.raw);
  t.same(shape(r), ['dangling.example.test. CNAME gone.service.consul.']);
  t.match(r.raw, /AUTHORITY SECTION:\n(consul\.|consul)\s+\d+\s+IN\s+SOA/, "the target zone's SOA, for negative caching");
});

t.test('a chain inside one route is left as its upstream gave it', async (t) => {
  const r = await dig(LISTEN, port, 'same.example.test');
  t.equal(r.status, 'NOERROR', r.raw);
  t.same(shape(r), ['same.example.test. CNAME other.example.test.']);
  t.equal(def.queriesFor('other.example.test').length, 0, 'the target was not asked for');
});

t.test('with DO=1: the RRSIGs of each step are kept, AD is clear', async (t) => {
  const r = await dig(LISTEN, port, 'signed.example.test', { extra: ['+dnssec', '+adflag'] });
  t.equal(r.status, 'NOERROR', r.raw);
  t.same(r.answers.map((x) => `${x.name} ${x.type}`), ['signed.example.test. CNAME', 'signed.example.test. RRSIG', 'web.service.consul. A', 'web.service.consul. RRSIG']);
  t.notOk(r.flags.includes('ad'), `AD clear: dnsfwd assembled the chain (${r.flags.join(' ')})`);
});

t.test('at most 8 steps: a chain of 8 is followed, one of 9 is SERVFAIL', async (t) => {
  const eight = await dig(LISTEN, port, 'chain0-8.example.test');
  t.equal(eight.status, 'NOERROR', eight.raw);
  t.equal(eight.answers.length, 9, 'eight CNAMEs and the address');
  t.equal(eight.answers.at(-1)?.data, '10.43.9.9');
  const nine = await dig(LISTEN, port, 'chain0-9.example.test');
  t.equal(nine.status, 'SERVFAIL', nine.raw);
});

// The CNAME stage on its own: which answers it follows, into which routes, how it stops (loops,
// MAX_STEPS, the same route), what it returns (the chain, the smallest TTL, the last RCODE, AD only
// when every step had it, the client's ID and case and EDNS), and when the result must not be cached.
import dnsPacket, { type Answer } from 'dns-packet';
import t from 'tap';
import { chaseStage, MAX_STEPS } from '../../src/pipeline/chase.js';
import { compose, type Handler } from '../../src/pipeline/handler.js';
import { Query } from '../../src/pipeline/query.js';
import { ZoneTable } from '../../src/route/zone-table.js';
import type { UpstreamGroup } from '../../src/upstream/group.js';
import { parseQuery } from '../../src/wire/question.js';
import { decode } from '../helpers/packets.js';
import { address as a, cname, rawReply } from '../helpers/raw-upstream.js';

const group = {} as UpstreamGroup;
const routes = new ZoneTable([
  { zone: '', cache: true, group },
  { zone: 'consul', cache: false, group },
  { zone: 'vagrant.test', cache: true, group },
]);

type Zone = Record<string, { answers?: Answer[]; authorities?: Answer[]; rcode?: number; ad?: boolean; raw?: Buffer }>;

/** The last stage: answers each query from `zone` (its ID, question, RD and CD echoed), and records the names asked. */
function upstream(zone: Zone, asked: string[], queries: Query[] = []): Handler {
  return (q) => {
    queries.push(q);
    const decoded = dnsPacket.decode(q.bytes);
    const name = decoded.questions![0]!.name.toLowerCase();
    asked.push(name);
    const z = zone[name] ?? { rcode: 3 };
    return z.raw ?? rawReply({ decoded }, z);
  };
}

function pipeline(zone: Zone) {
  const asked: string[] = [];
  const queries: Query[] = [];
  const top: Handler = compose([chaseStage(() => top)], upstream(zone, asked, queries));
  return { top, asked, queries };
}

function query(name: string, o: { type?: string; klass?: string; rd?: boolean; cd?: boolean; edns?: boolean; do?: boolean; id?: number } = {}): Query {
  const flags = (o.rd === false ? 0 : dnsPacket.RECURSION_DESIRED) | (o.cd ? dnsPacket.CHECKING_DISABLED : 0);
  const bytes = dnsPacket.encode({
    type: 'query',
    id: o.id ?? 0x4242,
    flags,
    questions: [{ name, type: (o.type ?? 'A') as 'A', class: (o.klass ?? 'IN') as 'IN' }],
    additionals: o.edns ? [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: o.do ? dnsPacket.DNSSEC_OK : 0 } as never] : [],
  });
  const p = parseQuery(bytes);
  if (p.kind !== 'query') throw new Error('bad test query');
  return new Query(bytes, p.question, 'udp', Date.now() + 4000, routes);
}

const lines = (b: Buffer) => (decode(b).answers ?? []).map((x) => `${x.name} ${x.type} ${(x as { data: unknown }).data} ${(x as { ttl?: number }).ttl}`);
const rcodeOf = (b: Buffer) => b[3]! & 0x0f;

const intoConsul: Zone = {
  'www.example': { answers: [cname('www.example', 'web.service.consul', 300)], ad: true },
  'web.service.consul': { answers: [a('web.service.consul', '10.0.0.1', 30)] },
};

t.test('an answer ending in a CNAME into another route gets the chain, with the smallest TTL', async (t) => {
  const { top, asked } = pipeline(intoConsul);
  const q = query('WWW.Example', { id: 7, edns: true, cd: true });
  const r = await top(q);
  t.same(lines(r), ['www.example CNAME web.service.consul 30', 'web.service.consul A 10.0.0.1 30']);
  t.equal(decode(r).questions?.[0]?.name, 'WWW.Example', "the question in the client's case");
  t.same(asked, ['www.example', 'web.service.consul']);
  const d = decode(r);
  t.equal(d.id, 7, "the client's ID");
  t.equal(rcodeOf(r), 0);
  t.same([d.flag_qr, d.flag_rd, d.flag_ra, d.flag_ad, d.flag_cd], [true, true, true, false, true], 'QR, RD, RA, CD; AD clear: the .consul step had none');
  t.ok(d.additionals?.some((x) => x.type === 'OPT'), 'our OPT for an EDNS client');
  t.equal(q.uncacheable, true, '.consul does not cache: neither does the chain into it');
});

t.test('AD on an assembled chain only when every step had it (each validated on its own route)', async (t) => {
  const both: Zone = {
    'www.example': { answers: [cname('www.example', 'box.vagrant.test')], ad: true },
    'box.vagrant.test': { answers: [a('box.vagrant.test', '10.0.0.2')], ad: true },
  };
  t.equal(decode(await pipeline(both).top(query('www.example'))).flag_ad, true, 'both secure');
  const first: Zone = { ...both, 'box.vagrant.test': { answers: [a('box.vagrant.test', '10.0.0.2')] } };
  t.equal(decode(await pipeline(first).top(query('www.example'))).flag_ad, false, 'the last step insecure');
  const last: Zone = { ...both, 'www.example': { answers: [cname('www.example', 'box.vagrant.test')] } };
  t.equal(decode(await pipeline(last).top(query('www.example'))).flag_ad, false, 'the first step insecure');
});

// Guards `!step.route.cache` and `step.uncacheable`: a chain that stays in caching routes may be cached.
t.test('a chain through caching routes may be cached; one through a chain that may not, may not', async (t) => {
  const zone: Zone = {
    'www.example': { answers: [cname('www.example', 'box.vagrant.test')] },
    'box.vagrant.test': { answers: [a('box.vagrant.test', '10.0.0.2')] },
    'two.example': { answers: [cname('two.example', 'x.vagrant.test')] },
    'x.vagrant.test': { answers: [cname('x.vagrant.test', 'web.service.consul')] },
    'web.service.consul': { answers: [a('web.service.consul', '10.0.0.1')] },
  };
  const { top } = pipeline(zone);
  const q = query('www.example');
  t.same(lines(await top(q)).length, 2);
  t.equal(q.uncacheable, false);
  const two = query('two.example');
  t.same(lines(await top(two)), ['two.example CNAME x.vagrant.test 60', 'x.vagrant.test CNAME web.service.consul 60', 'web.service.consul A 10.0.0.1 60']);
  t.equal(two.uncacheable, true, 'the second step went through .consul');
});

// Guards each term of mayFollow: RD=1, class IN, and a type other than CNAME, DNAME and ANY.
t.test('no following for RD=0, another class, or a question for CNAME, DNAME or ANY', async (t) => {
  for (const o of [{ rd: false }, { klass: 'CS' }, { type: 'CNAME' }, { type: 'DNAME' }, { type: 'ANY' }]) {
    const { top, asked } = pipeline(intoConsul);
    const r = await top(query('www.example', o));
    t.same(asked, ['www.example'], `${JSON.stringify(o)}: the target is not asked for`);
    t.equal(lines(r).length, 1);
  }
});

// Guards the RCODE check, hasCname, and the decode failure: such answers pass through untouched.
t.test('answers that are not a chain to follow pass through as they are', async (t) => {
  const badName = Buffer.from(dnsPacket.encode({ type: 'response', id: 1, flags: 0x8180, questions: [{ name: 'www.example', type: 'A' }], answers: [cname('www.example', 'x')] }));
  badName[badName.length - 3] = 0x41; // the CNAME's target: a label type 0x40, which dns-packet cannot read
  const cases: [string, Zone][] = [
    ['SERVFAIL with a CNAME', { 'www.example': { answers: [cname('www.example', 'web.service.consul')], rcode: 2 } }],
    ['no CNAME', { 'www.example': { answers: [a('www.example', '10.0.0.9')] } }],
    ['a CNAME for another name', { 'www.example': { answers: [cname('other.example', 'web.service.consul')] } }],
    ['the target\'s records are there', { 'www.example': { answers: [cname('www.example', 'web.service.consul'), a('web.service.consul', '10.0.0.1')] } }],
    ['a CNAME target that does not decode', { 'www.example': { raw: badName } }],
  ];
  for (const [what, zone] of cases) {
    const { top, asked } = pipeline(zone);
    const q = query('www.example');
    const raw = upstream(zone, [])(q) as Buffer;
    const r = await top(q);
    t.same(asked, ['www.example'], `${what}: nothing more asked`);
    t.same([...r], [...raw], `${what}: the answer as it came`);
  }
});

// Guards hasCname's walk: it reads past the records before the CNAME, whatever their type.
t.test('a CNAME after other records in the answer section is followed', async (t) => {
  const { top, asked } = pipeline({
    'www.example': { answers: [a('other.example', '10.0.0.8'), cname('www.example', 'web.service.consul')] },
    'web.service.consul': { answers: [a('web.service.consul', '10.0.0.1')] },
  });
  const r = await top(query('www.example'));
  t.same(asked, ['www.example', 'web.service.consul']);
  t.match(lines(r), ['other.example A 10.0.0.8', 'www.example CNAME web.service.consul', 'web.service.consul A 10.0.0.1']);
});

// Guards follow's fast path: a reply that starts no chain goes back as it came, with no async step.
t.test('a reply without a chain, answered at once, comes back at once as the same bytes', async (t) => {
  const zone: Zone = { 'www.example': { answers: [a('www.example', '10.0.0.9')] } };
  const { top } = pipeline(zone);
  const r = top(query('www.example'));
  t.ok(Buffer.isBuffer(r), 'a Buffer, not a promise');
  t.same(lines(r as Buffer), ['www.example A 10.0.0.9 60']);
  const late: Handler = compose([chaseStage(() => late)], (q) => Promise.resolve(upstream(zone, [])(q)));
  const reply = await late(query('www.example'));
  t.same(lines(reply), ['www.example A 10.0.0.9 60'], 'and the same through a stage that answers later');
});

// Guards `step.route === q.route`: the upstream of a route follows chains inside it.
t.test('a chain inside one route is left alone', async (t) => {
  const { top, asked } = pipeline({ 'www.example': { answers: [cname('www.example', 'other.example')] } });
  const r = await top(query('www.example'));
  t.same(asked, ['www.example']);
  t.same(lines(r), ['www.example CNAME other.example 60']);
});

// Guards chainEnd's loop check and `chain.includes(target)`: loops are SERVFAIL, not cached.
t.test('a loop in one answer, or across routes, is SERVFAIL', async (t) => {
  const inOne = pipeline({ 'www.example': { answers: [cname('www.example', 'b.example'), cname('b.example', 'www.example')] } });
  const q1 = query('www.example');
  t.equal(rcodeOf(await inOne.top(q1)), 2, 'in one answer');
  t.equal(q1.uncacheable, true);
  const across = pipeline({
    'www.example': { answers: [cname('www.example', 'loop.vagrant.test')] },
    'loop.vagrant.test': { answers: [cname('loop.vagrant.test', 'www.example')] },
  });
  const q2 = query('www.example');
  t.equal(rcodeOf(await across.top(q2)), 2, 'across two routes');
  t.same(across.asked, ['www.example', 'loop.vagrant.test'], 'each name asked once');
});

// Guards `chain.length > MAX_STEPS`.
t.test(`at most ${MAX_STEPS} steps`, async (t) => {
  const zone: Zone = {};
  const name = (i: number) => (i % 2 === 0 ? `c${i}.example` : `c${i}.vagrant.test`);
  for (let i = 0; i < 12; i++) zone[name(i)] = { answers: [cname(name(i), name(i + 1))] };
  zone[name(MAX_STEPS)] = { answers: [a(name(MAX_STEPS), '10.0.0.8')] };
  const ok = pipeline(zone);
  const r = await ok.top(query(name(0)));
  t.equal(rcodeOf(r), 0);
  t.equal(lines(r).length, MAX_STEPS + 1, `${MAX_STEPS} CNAMEs and the address`);
  zone[name(MAX_STEPS)] = { answers: [cname(name(MAX_STEPS), name(MAX_STEPS + 1))] };
  zone[name(MAX_STEPS + 1)] = { answers: [a(name(MAX_STEPS + 1), '10.0.0.9')] };
  const long = pipeline(zone);
  t.equal(rcodeOf(await long.top(query(name(0)))), 2, `${MAX_STEPS + 1} steps: SERVFAIL`);
});

// Guards the last step's RCODE: NXDOMAIN keeps the CNAMEs (RFC 6604); anything else is passed on alone.
t.test('the RCODE of the last step', async (t) => {
  const soa: Answer = { type: 'SOA', name: 'consul', ttl: 60, class: 'IN', data: { mname: 'ns.consul', rname: 'h.consul', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 30 } };
  const nx = pipeline({ 'www.example': intoConsul['www.example']!, 'web.service.consul': { authorities: [soa], rcode: 3 } });
  const r = await nx.top(query('www.example'));
  t.equal(rcodeOf(r), 3, 'NXDOMAIN');
  t.same(lines(r), ['www.example CNAME web.service.consul 300'], 'with the CNAME');
  t.equal(decode(r).authorities?.[0]?.type, 'SOA', "the last step's SOA");
  const refused = pipeline({ 'www.example': intoConsul['www.example']!, 'web.service.consul': { rcode: 5 } });
  const rr = await refused.top(query('www.example'));
  t.equal(rcodeOf(rr), 5, 'REFUSED');
  t.same(lines(rr), [], 'alone');
});

// Guards the decode of the last step: a reply that does not decode is SERVFAIL.
t.test('a last step that does not decode is SERVFAIL', async (t) => {
  const broken = Buffer.from(dnsPacket.encode({ type: 'response', id: 0, flags: 0x8180, questions: [{ name: 'web.service.consul', type: 'A' }], answers: [cname('web.service.consul', 'x')] }));
  broken[broken.length - 3] = 0x41; // as above: a label type 0x40
  const { top } = pipeline({ 'www.example': intoConsul['www.example']!, 'web.service.consul': { raw: broken } });
  t.equal(rcodeOf(await top(query('www.example'))), 2);
});

// Guards `if (edns)` in the step's query: the next step asks with the client's EDNS and DO bit, so
// a DNSSEC client gets each step's RRSIGs; a client without EDNS, a step without.
t.test("each step is asked with the client's EDNS and DO bit", async (t) => {
  for (const [o, expected] of [[{ edns: true, do: true }, { dnssecOk: true }], [{ edns: true }, { dnssecOk: false }], [{}, null]] as const) {
    const { top, queries } = pipeline(intoConsul);
    await top(query('www.example', o));
    t.match(queries[1]!.question.edns, expected, JSON.stringify(o));
  }
});

// Guards `step === null`: a target that cannot be asked (here a label dns-packet reads as text and
// writes back longer than 63 bytes) leaves the answer as it came, rather than failing.
t.test('a target that cannot be asked for leaves the answer as it came', async (t) => {
  const reply = Buffer.from(dnsPacket.encode({ type: 'response', id: 0x4242, flags: 0x8180, questions: [{ name: 'www.example', type: 'A' }], answers: [cname('www.example', 'x'.repeat(40) + '.vagrant.test')] }));
  const at = reply.indexOf(Buffer.from('x'.repeat(40)));
  reply.fill(0xff, at, at + 40); // 40 bytes 0xff: 40 replacement characters, 120 bytes once written back
  const { top, asked } = pipeline({ 'www.example': { raw: reply } });
  const r = await top(query('www.example'));
  t.same([...r], [...reply]);
  t.same(asked, ['www.example']);
});

// Guards `code !== NXDOMAIN`: a resolver that cannot see the target's route answers NXDOMAIN with
// the CNAME; the chain is still followed, and the last step's RCODE wins.
t.test('a first answer of NXDOMAIN with the CNAME is followed too', async (t) => {
  const { top, asked } = pipeline({
    'www.example': { answers: [cname('www.example', 'web.service.consul')], rcode: 3 },
    'web.service.consul': intoConsul['web.service.consul']!,
  });
  const r = await top(query('www.example'));
  t.equal(rcodeOf(r), 0, 'NOERROR: the target exists in its own route');
  t.same(asked, ['www.example', 'web.service.consul']);
  t.equal(lines(r).length, 2);
});

// Cache entries: what is stored of a reply (TTL offsets, no OPT, no AA), and a hit rendered for a client.
import t from 'tap';
import dnsPacket, { type Packet } from 'dns-packet';
import { draftEntry, makeEntry, renderEntry, renderStored, type CacheEntry } from '../../src/cache/entry.js';
import { PacketCache } from '../../src/cache/packet-cache.js';
import { questionKey } from '../../src/wire/question-key.js';
import { parseQuery, type Question } from '../../src/wire/question.js';
import { decode, query } from '../helpers/packets.js';

const policy = { minTtl: 0, maxTtl: 86400, negativeMaxTtl: 300, servfailTtl: 0 };

function question(q: Buffer): Question {
  const p = parseQuery(q);
  if (p.kind !== 'query') throw new Error('bad test query');
  return p.question;
}

/** A reply to `q` built by dns-packet (which compresses names), with an OPT record when asked. */
function reply(q: Buffer, parts: Partial<Packet> & { rcode?: number; opt?: boolean; tc?: boolean }): Buffer {
  const d = dnsPacket.decode(q);
  const b = dnsPacket.encode({
    type: 'response',
    id: d.id,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.AUTHORITATIVE_ANSWER | (parts.tc ? dnsPacket.TRUNCATED_RESPONSE : 0),
    questions: d.questions,
    answers: parts.answers ?? [],
    authorities: parts.authorities ?? [],
    additionals: [...(parts.additionals ?? []), ...(parts.opt ? [{ type: 'OPT', name: '.', udpPayloadSize: 4096 } as never] : [])],
  } as Packet);
  b[3] = (b[3]! & 0xf0) | (parts.rcode ?? 0);
  return b;
}

const A = (name: string, ttl: number, data: string) => ({ type: 'A' as const, name, ttl, class: 'IN' as const, data });
const soa = (ttl: number, minimum: number) => ({
  type: 'SOA' as const,
  name: 'example.com',
  ttl,
  class: 'IN' as const,
  data: { mname: 'ns.example.com', rname: 'admin.example.com', serial: 1, refresh: 3600, retry: 600, expiration: 86400, minimum },
});

function entry(r: Buffer, q: Buffer, p = policy, now = 1_000_000): CacheEntry {
  const e = makeEntry(r, question(q).end, '', p, now);
  if (typeof e === 'string') throw new Error(`not cached: ${e}`);
  return e;
}

t.test('TTLs age at the recorded offsets: compressed names, three sections, OPT left out', async (t) => {
  const q = query('www.example.com', 'A', { edns: 1232 });
  const r = reply(q, {
    answers: [A('www.example.com', 300, '10.0.0.1'), A('www.example.com', 300, '10.0.0.2')],
    authorities: [{ type: 'NS', name: 'example.com', ttl: 600, class: 'IN', data: 'ns.example.com' }],
    additionals: [A('ns.example.com', 900, '10.0.0.53')],
    opt: true,
  });
  const e = entry(r, q);
  t.equal(e.kind, 'positive');
  t.equal(e.expiresAt, 1_000_000 + 300_000, 'lives for the smallest TTL');
  t.equal(e.ttlFields.length, 8, 'four TTL fields (offset, TTL), the OPT record has none');
  t.ok(e.bytes.length < r.length, 'OPT record not stored');
  const client = query('WWW.Example.com', 'A', { id: 0x7777 });
  const out = decode(renderEntry(e, client, question(client), 1_000_000 + 100_400, false));
  t.equal(out.id, 0x7777);
  t.equal(out.questions?.[0]?.name, 'WWW.Example.com', 'the client\'s case');
  t.same(out.answers?.map((a) => (a as { ttl: number }).ttl), [200, 200], 'aged by 100 s (whole seconds)');
  t.equal((out.authorities?.[0] as { ttl: number }).ttl, 500);
  t.equal((out.additionals?.[0] as { ttl: number }).ttl, 800);
  t.equal(out.additionals?.length, 1, 'no OPT for a client without EDNS');
  t.equal(out.flag_aa, false, 'a cached answer is not authoritative');
  const withEdns = query('www.example.com', 'A', { edns: 4096, do: true });
  const o2 = decode(renderEntry(e, withEdns, question(withEdns), 1_000_000, false));
  const opt = o2.additionals?.find((a) => a.type === 'OPT') as { udpPayloadSize: number; flags: number } | undefined;
  t.ok(opt, 'an EDNS client gets an OPT record');
  t.equal(opt?.udpPayloadSize, 1232);
  t.equal((opt?.flags ?? 0) & dnsPacket.DNSSEC_OK, dnsPacket.DNSSEC_OK, 'DO copied from the query');
  const late = decode(renderEntry(e, client, question(client), 1_000_000 + 400_000, false));
  t.same(late.answers?.map((a) => (a as { ttl: number }).ttl), [0, 0], 'never below zero');
  const stale = decode(renderEntry(e, client, question(client), 1_000_000 + 9_000_000, true));
  t.same(stale.answers?.map((a) => (a as { ttl: number }).ttl), [30, 30], 'stale answers carry TTL 30 (RFC 8767 §4)');
});

t.test('clamps: min_ttl and max_ttl', async (t) => {
  const q = query('a.example.com');
  const e = entry(reply(q, { answers: [A('a.example.com', 5, '10.0.0.1')] }), q, { ...policy, minTtl: 60 });
  t.equal(e.expiresAt - e.storedAt, 60_000);
  const e2 = entry(reply(q, { answers: [A('a.example.com', 999999, '10.0.0.1')] }), q, { ...policy, maxTtl: 3600 });
  t.equal(e2.expiresAt - e2.storedAt, 3_600_000);
  const out = decode(renderEntry(e2, q, question(q), e2.storedAt, false));
  t.equal((out.answers?.[0] as { ttl: number }).ttl, 3600);
});

t.test('not cached: TTL 0, truncated, SERVFAIL by default, REFUSED, negative without SOA', async (t) => {
  const q = query('web.service.consul');
  const r = (p: Parameters<typeof reply>[1]) => makeEntry(reply(q, p), question(q).end, '', policy, 0);
  t.equal(r({ answers: [A('web.service.consul', 0, '10.0.0.1')] }), 'TTL 0');
  t.equal(r({ answers: [A('web.service.consul', 60, '10.0.0.1')], tc: true }), 'truncated');
  t.match(r({ rcode: 2 }), /SERVFAIL/);
  t.equal(r({ rcode: 5 }), 'rcode 5');
  t.equal(r({ rcode: 3 }), 'negative answer without SOA');
  t.equal(r({}), 'negative answer without SOA', 'NODATA without SOA');
  const sf = makeEntry(reply(q, { rcode: 2 }), question(q).end, '', { ...policy, servfailTtl: 5 }, 0);
  t.ok(typeof sf !== 'string' && sf.kind === 'servfail' && sf.expiresAt === 5000, 'SERVFAIL with servfail_ttl 5');
});

t.test('negative answers: TTL from the SOA (RFC 2308 §5), capped', async (t) => {
  const q = query('nope.example.com');
  const nx = entry(reply(q, { rcode: 3, authorities: [soa(3600, 120)] }), q);
  t.equal(nx.kind, 'negative');
  t.equal(nx.expiresAt - nx.storedAt, 120_000, 'min(SOA TTL, MINIMUM)');
  const out = decode(renderEntry(nx, q, question(q), nx.storedAt + 20_000, false));
  t.equal(out.rcode, 'NXDOMAIN');
  t.equal((out.authorities?.[0] as { ttl: number }).ttl, 100, 'the SOA TTL is the negative TTL, aged');
  const nodata = entry(reply(q, { authorities: [soa(60, 3600)] }), q);
  t.equal(nodata.expiresAt - nodata.storedAt, 60_000, 'NODATA: SOA TTL smaller than MINIMUM');
  const capped = entry(reply(q, { rcode: 3, authorities: [soa(86400, 86400)] }), q);
  t.equal(capped.expiresAt - capped.storedAt, 300_000, 'capped by negative_max_ttl');
  t.equal(makeEntry(reply(q, { rcode: 3, authorities: [soa(0, 300)] }), question(q).end, '', policy, 0), 'SOA gives TTL 0');
});

// Guards `if (!shape)`: a reply whose records run past its end is not stored.
t.test('not cached: records that do not parse', async (t) => {
  const q = query('a.example.com');
  const r = reply(q, { answers: [A('a.example.com', 60, '10.0.0.1')] });
  t.equal(makeEntry(r.subarray(0, r.length - 2), question(q).end, '', policy, 0), 'records do not parse');
});

// Guards the OPT-last check: cutting the stored bytes at the OPT record would lose what follows it.
t.test('not cached: an OPT record followed by another record', async (t) => {
  const q = query('a.example.com', 'A', { edns: 1232 });
  const d = dnsPacket.decode(q);
  const r = dnsPacket.encode({
    type: 'response',
    id: d.id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: d.questions,
    answers: [A('a.example.com', 60, '10.0.0.1')],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096 } as never, A('ns.example.com', 60, '10.0.0.53')],
  } as Packet);
  t.equal(makeEntry(r, question(q).end, '', policy, 0), 'OPT is not the last record');
});

// Guards `rcode === NXDOMAIN` and the per-record clamp: an NXDOMAIN after a CNAME is negative,
// and its records keep TTLs below the SOA's.
t.test('an NXDOMAIN with a CNAME answer is a negative entry; the CNAME TTL still bounds it', async (t) => {
  const q = query('alias.example.com');
  const r = reply(q, {
    rcode: 3,
    answers: [{ type: 'CNAME', name: 'alias.example.com', ttl: 10, class: 'IN', data: 'gone.example.com' }],
    authorities: [soa(300, 300)],
  });
  const e = entry(r, q);
  t.equal(e.kind, 'negative');
  t.equal(e.expiresAt - e.storedAt, 10_000, 'the CNAME TTL (10 s) is smaller than the negative TTL');
  const out = decode(renderEntry(e, q, question(q), e.storedAt, false));
  t.same([(out.answers?.[0] as { ttl: number }).ttl, (out.authorities?.[0] as { ttl: number }).ttl], [10, 300], 'each record keeps its own TTL');
});

// Guards `ttl === 0`: negative_max_ttl 0 turns negative caching off.
t.test('not cached: a negative answer when negative_max_ttl is 0', async (t) => {
  const q = query('nope.example.com');
  const r = reply(q, { rcode: 3, authorities: [soa(3600, 120)] });
  t.equal(makeEntry(r, question(q).end, '', { ...policy, negativeMaxTtl: 0 }, 0), 'negative caching off');
});

// Guards storing the bytes apart from any Buffer: a reply handed on by a transport is a view of
// a larger buffer that is reused, and a small Buffer is a slice of Node's shared 8 KiB pool. The
// cache keeps a copy in its own arena, not the entry's view.
t.test('the cache holds no view of the reply or of the Buffer pool: its hits survive both being reused', async (t) => {
  const q = query('a.example.com', 'A', { edns: 1232 });
  const big = Buffer.alloc(4096);
  const r = reply(q, { answers: [A('a.example.com', 60, '10.0.0.1')], opt: true });
  r.copy(big, 100);
  const upstream = big.subarray(100, 100 + r.length); // as a transport hands a reply on: a view of a larger buffer
  const e = entry(upstream, q);
  const cache = new PacketCache({ size: 10, maxBytes: 1 << 20, staleMs: 0 });
  const p = parseQuery(q);
  if (p.kind !== 'query') throw new Error('bad test query');
  cache.store(questionKey(q, p.question), e);
  big.fill(0xff);
  e.data.fill(0xff); // the entry's own bytes: a slice of the pool, which the next allocUnsafe may hand out
  const out = decode(cache.render(cache.findQuery(q, question(q), 1_000_000), q, question(q), 1_000_000, false));
  t.equal((out.answers?.[0] as { data: string }).data, '10.0.0.1', 'the cached answer is intact');
  t.equal((out.answers?.[0] as { ttl: number }).ttl, 60);
});

// Guards writing the clamped TTLs into the stored bytes: each hit ages what was stored, never the upstream's TTL.
t.test('the TTL fields report and render the clamped TTLs', async (t) => {
  const q = query('a.example.com');
  const r = reply(q, {
    answers: [A('a.example.com', 5, '10.0.0.1')],
    authorities: [{ type: 'NS', name: 'example.com', ttl: 999999, class: 'IN', data: 'ns.example.com' }],
  });
  const e = entry(r, q, { ...policy, minTtl: 60, maxTtl: 3600 });
  t.same(e.ttlFields.filter((_, i) => i % 2 === 1), [60, 3600], 'clamped into [min_ttl, max_ttl]');
  const out = decode(renderEntry(e, q, question(q), e.storedAt + 10_000, false));
  t.equal((out.answers?.[0] as { ttl: number }).ttl, 50);
  t.equal((out.authorities?.[0] as { ttl: number }).ttl, 3590);
});

// Guards the miss path's one draft: draftEntry refills the same object (no entry object per miss,
// whose class's map V8 would collect and with it the optimized code built on it), so the cache
// must copy what it stores, and a draft is rendered before the next reply is drafted.
t.test('draftEntry refills one object; the cache keeps a copy of each draft it stores', async (t) => {
  const cache = new PacketCache({ size: 10, maxBytes: 1 << 20, staleMs: 0 });
  const qa = query('a.example.com');
  const qb = query('b.example.com');
  const da = draftEntry(reply(qa, { answers: [A('a.example.com', 60, '10.0.0.1')] }), question(qa).end, policy, 1_000_000);
  if (typeof da === 'string') throw new Error(da);
  t.equal((decode(renderStored(da.bytes, 0, da.size, da.length, da.storedAt, qa, question(qa), 1_000_000, false)).answers?.[0] as { data: string } | undefined)?.data, '10.0.0.1');
  cache.storeDraft(questionKey(qa, question(qa)), da, '');
  const db = draftEntry(reply(qb, { answers: [A('b.example.com', 60, '10.0.0.2'), A('b.example.com', 60, '10.0.0.3')] }), question(qb).end, policy, 1_000_000);
  t.equal(db, da, 'the same object, refilled');
  cache.storeDraft(questionKey(qb, question(qb)), db as typeof da, '');
  const slot = cache.findQuery(qa, question(qa), 1_000_000);
  const out = decode(cache.render(slot, qa, question(qa), 1_000_000, false));
  t.same(out.answers?.map((a) => (a as { data: string }).data), ['10.0.0.1'], 'the first answer stored is intact after the draft was refilled');
  const kept = makeEntry(reply(qa, { answers: [A('a.example.com', 60, '10.0.0.9')] }), question(qa).end, '', policy, 1_000_000);
  draftEntry(reply(qb, { answers: [A('b.example.com', 60, '10.0.0.4')] }), question(qb).end, policy, 1_000_000);
  t.equal(typeof kept !== 'string' && (decode(renderEntry(kept, qa, question(qa), 1_000_000, false)).answers?.[0] as { data: string } | undefined)?.data, '10.0.0.9', 'makeEntry gives an entry of its own');
});

// The chain of trust's decisions, with signatures and denials stubbed: what is insecure without a
// query, when the anchor itself cannot be used, how long a conclusion is kept, and how a DS reply
// says "a cut", "no cut" or "insecure below". The real signatures and proofs are in the hierarchy
// test (test/integration/dnssec.test.ts).
import t from 'tap';
import { parseAnchors } from '../../src/dnssec/anchors.js';
import type { CryptoApi, DecodedMessage, DenialApi, DsAbsence } from '../../src/dnssec/api.js';
import { TrustChain, type Fetch } from '../../src/dnssec/keys.js';
import { TYPE_DNSKEY, TYPE_DS, TYPE_RRSIG, type Rr } from '../../src/dnssec/types.js';
import { presentationToWire } from '../../src/wire/name.js';

const w = (name: string) => presentationToWire(name);
const rr = (owner: string, type: number, rdata: number[]): Rr => ({ owner: w(owner), type, class: 1, ttl: 300, rdata: Uint8Array.from(rdata) });
/** A DNSKEY of algorithm 13 whose last byte is `id`; a DS naming it has the same last byte. */
const dnskey = (zone: string, id: number) => rr(zone, TYPE_DNSKEY, [1, 1, 3, 13, id]);
const ds = (zone: string, id: number, alg = 13, digest = 2) => rr(zone, TYPE_DS, [0, id, alg, digest, id]);
/** An RRSIG stub: Type Covered, then the signer's wire name (what the stubbed signerOf reads). */
const rrsig = (owner: string, covered: number, signer = owner) => rr(owner, TYPE_RRSIG, [0, covered, ...w(signer)]);

const crypto: CryptoApi = {
  isSupportedAlgorithm: (a) => a === 13,
  isSupportedDigest: (d) => d === 2,
  dsMatches: (d, k) => d.rdata[4] === k.rdata[4],
  verify: (_records, _sig, keys, now) => (keys.length ? { ok: true, labels: 1, originalTtl: 300, expiration: now + 3600 } : { ok: false, reason: 'no-key' }),
  signerOf: (sig) => sig.rdata.subarray(2),
};

function denial(verdict: DsAbsence): DenialApi {
  return { dsAbsence: () => verdict, negative: () => ({ result: 'proven', ttl: 60 }), wildcard: () => ({ result: 'proven', ttl: 60 }) };
}

const msg = (answer: Rr[], rcode = 0): DecodedMessage => ({ rcode, qname: w('x'), qtype: 0, answer, authority: [] });

/** A fetch answering from `zones` (name/type → answer records), counting what it is asked. */
function fetcher(zones: Record<string, Rr[]>, validated = (_: Uint8Array) => true): Fetch & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    validated,
    ask: async (name, type) => {
      const key = `${Buffer.from(name).toString('hex')}/${type}`;
      asked.push(key);
      const found = zones[key];
      return found ? msg(found) : null;
    },
  };
}
const at = (name: string, type: number) => `${Buffer.from(w(name)).toString('hex')}/${type}`;

function chain(anchorText: string, o: { insecure?: string[]; now?: () => number; verdict?: DsAbsence } = {}): TrustChain {
  const a = parseAnchors(anchorText);
  if (!a.ok) throw new Error(a.reason);
  const insecure = new Set(o.insecure ?? []);
  return new TrustChain({
    anchors: a.anchors,
    insecure: (n) => insecure.has(Buffer.from(n).toString('hex')),
    crypto,
    denial: denial(o.verdict ?? { result: 'no-cut', ttl: 60 }),
    now: o.now ?? (() => 1_000_000),
    skew: 0,
  });
}

const ROOT_ANCHOR = '. IN DS 1 13 2 07';
const rootKeys = { [at('', TYPE_DNSKEY)]: [dnskey('', 7), rrsig('', TYPE_DNSKEY)] };

t.test('the anchored root: its DNSKEY set checked against the DS anchor', async (t) => {
  const f = fetcher(rootKeys);
  const s = await chain(ROOT_ANCHOR).zoneOf(w(''), f);
  t.equal(s.state, 'secure');
  t.same(f.asked, [at('', TYPE_DNSKEY)]);
  const wrong = fetcher({ [at('', TYPE_DNSKEY)]: [dnskey('', 8), rrsig('', TYPE_DNSKEY)] });
  t.match(await chain(ROOT_ANCHOR).zoneOf(w(''), wrong), { state: 'bogus', atAnchor: true, why: /no DNSKEY of \. matches/ });
  t.match(await chain(ROOT_ANCHOR).zoneOf(w(''), fetcher({})), { state: 'bogus', atAnchor: true }, 'no answer: the servers give no DNSSEC');
});

t.test('an anchor with no supported algorithm or digest makes everything under it insecure, asking nothing', async (t) => {
  for (const text of ['. IN DS 1 5 2 07', '. IN DS 1 13 1 07']) {
    const f = fetcher(rootKeys);
    t.match(await chain(text).zoneOf(w('www.example'), f), { state: 'insecure', why: /no trust anchor with a supported algorithm and digest/ }, text);
    t.same(f.asked, [], 'nothing asked');
  }
});

t.test('insecure without a query: a negative trust anchor, a route that does not validate, no anchor above', async (t) => {
  const f = fetcher(rootKeys, (n) => Buffer.from(n).toString('hex') !== Buffer.from(w('consul')).toString('hex'));
  const c = chain(ROOT_ANCHOR, { insecure: [Buffer.from(w('corp.example')).toString('hex')] });
  t.match(await c.zoneOf(w('corp.example'), f), { state: 'insecure', why: /negative trust anchor/ });
  t.match(await c.zoneOf(w('consul'), f), { state: 'insecure', why: /not validated/ });
  t.same(f.asked, []);
  t.match(await chain('lab.example. IN DS 1 13 2 07').zoneOf(w('www.other'), f), { state: 'insecure', why: /no trust anchor above it/ });
});

t.test('a DS set below a secure zone leads to the child\'s keys; none, to what the denial says', async (t) => {
  const zones = { ...rootKeys, [at('example', TYPE_DS)]: [ds('example', 9), rrsig('example', TYPE_DS, '')], [at('example', TYPE_DNSKEY)]: [dnskey('example', 9), rrsig('example', TYPE_DNSKEY)] };
  const f = fetcher(zones);
  const s = await chain(ROOT_ANCHOR).zoneOf(w('example'), f);
  t.equal(s.state, 'secure');
  t.same(Buffer.from(s.zone).toString('hex'), Buffer.from(w('example')).toString('hex'), 'the zone is example.');
  const unsupported = fetcher({ ...rootKeys, [at('example', TYPE_DS)]: [ds('example', 9, 5), rrsig('example', TYPE_DS, '')] });
  t.match(await chain(ROOT_ANCHOR).zoneOf(w('example'), unsupported), { state: 'insecure', why: /no DS with a supported algorithm and digest/ });
  const noDs = fetcher({ ...rootKeys, [at('example', TYPE_DS)]: [] });
  t.match(await chain(ROOT_ANCHOR, { verdict: { result: 'insecure', why: 'a delegation without DS', ttl: 60 } }).zoneOf(w('example'), noDs), {
    state: 'insecure',
    why: 'a delegation without DS',
  });
  const noCut = await chain(ROOT_ANCHOR).zoneOf(w('example'), fetcher({ ...rootKeys, [at('example', TYPE_DS)]: [] }));
  t.equal(noCut.state, 'secure', 'no cut: still the root zone');
  t.equal(noCut.zone.length, 1, 'the root');
});

t.test('conclusions are kept: a secure one until its TTL, a bogus one for a minute', async (t) => {
  let now = 1_000_000;
  const c = chain(ROOT_ANCHOR, { now: () => now });
  const f = fetcher(rootKeys);
  await c.zoneOf(w(''), f);
  await c.zoneOf(w(''), f);
  t.equal(f.asked.length, 1, 'asked once');
  now += 301;
  await c.zoneOf(w(''), f);
  t.equal(f.asked.length, 2, 'asked again once the TTL ran out');
  const broken = chain(ROOT_ANCHOR, { now: () => now });
  const none = fetcher({});
  await broken.zoneOf(w(''), none);
  now += 59;
  await broken.zoneOf(w(''), none);
  t.equal(none.asked.length, 1, 'a bogus conclusion kept for a minute');
  now += 2;
  await broken.zoneOf(w(''), none);
  t.equal(none.asked.length, 2, 'then tried again');
  t.match(broken.describe(w('')), [{ name: '.', state: 'bogus' }], 'describe shows what is known');
  broken.clear();
  t.same(broken.describe(w('')), [], 'clear forgets it');
});

import t from 'tap';
import { generateKeyPairSync, sign } from 'node:crypto';
import { keyTag } from '../../src/dnssec/algorithms.js';
import { signedData } from '../../src/dnssec/canonical.js';
import { checkWindow, parseRrsig, verifyRrset } from '../../src/dnssec/rrsig.js';
import { TYPE_DNSKEY, TYPE_RRSIG, type Rr } from '../../src/dnssec/types.js';
import { nameText } from '../../src/wire/name.js';
import { LdnsDir } from '../helpers/ldns.js';
import { parseRr, wireName } from '../helpers/zone-text.js';

const INCEPTION = 1_700_000_000;
const EXPIRATION = INCEPTION + 30 * 86400;
const NOW = INCEPTION + 86400;

// Owners and RDATA names in mixed case, names in RDATA (NS, MX, CNAME, SOA), a wildcard.
const ZONE = `example. 3600 IN SOA ns1.Example. Host.EXAMPLE. 1 7200 3600 1209600 3600
example. 3600 IN NS ns1.example.
example. 3600 IN NS NS2.Example.
ns1.Example. 3600 IN A 192.0.2.1
NS2.example. 3600 IN AAAA 2001:db8::53
MixedCase.example. 300 IN TXT "hello world" "x"
MixedCase.example. 300 IN TXT "another"
example. 3600 IN MX 10 Mail.Example.
example. 3600 IN MX 20 mail2.example.
Mail.example. 3600 IN A 192.0.2.3
www.example. 3600 IN CNAME ns1.EXAMPLE.
*.w.example. 3600 IN A 192.0.2.7
*.w.example. 3600 IN A 192.0.2.8
`;

const key = (rr: Rr, type: number): string => `${nameText(rr.owner, 0)}/${type}`;

/** The zone's RRsets by lower-case owner and type, RRSIGs apart, by the owner and the type they cover. */
function split(records: readonly Rr[]): { rrsets: Map<string, Rr[]>; sigs: Rr[]; dnskeys: Rr[] } {
  const rrsets = new Map<string, Rr[]>();
  const sigs: Rr[] = [];
  for (const rr of records) {
    if (rr.type === TYPE_RRSIG) sigs.push(rr);
    else rrsets.set(key(rr, rr.type), [...(rrsets.get(key(rr, rr.type)) ?? []), rr]);
  }
  return { rrsets, sigs, dnskeys: records.filter((r) => r.type === TYPE_DNSKEY) };
}

const covered = (sig: Rr): number => parseRrsig(sig.rdata)!.typeCovered;
const withOwner = (rr: Rr, owner: string): Rr => ({ ...rr, owner: wireName(owner) });

const ALGORITHMS = ['RSASHA256', 'RSASHA512', 'ECDSAP256SHA256', 'ECDSAP384SHA384', 'ED25519'];

for (const algorithm of ALGORITHMS) {
  t.test(`${algorithm}: every RRSIG ldns-signzone makes verifies, a wildcard's expansions too`, async (t) => {
    const ldns = new LdnsDir();
    t.teardown(() => ldns.remove());
    const ksk = ldns.key('example.', algorithm, true);
    const zsk = ldns.key('example.', algorithm, false);
    const { rrsets, sigs, dnskeys } = split(ldns.sign(ZONE, [ksk, zsk], { inception: INCEPTION, expiration: EXPIRATION }));
    t.equal(sigs.length, 17, 'one RRSIG for each of the 17 RRsets, NSEC and DNSKEY included');
    t.equal(rrsets.size, 17);
    for (const sig of sigs) {
      const rrset = rrsets.get(key(sig, covered(sig)));
      t.ok(rrset, `an RRset for the RRSIG at ${key(sig, covered(sig))}`);
      const r = verifyRrset(rrset!, sig, dnskeys, NOW, 0);
      const want = covered(sig) === TYPE_DNSKEY ? ksk.tag : zsk.tag;
      t.same(r.ok ? keyTag(r.key.rdata) : r, want, `${key(sig, covered(sig))} verifies with key ${want}`);
    }
    const wildSig = sigs.find((s) => key(s, covered(s)) === '*.w.example/1')!;
    const wild = rrsets.get('*.w.example/1')!;
    for (const owner of ['x.w.example.', 'X.Y.w.EXAMPLE.']) {
      const r = verifyRrset(wild.map((rr) => withOwner(rr, owner)), withOwner(wildSig, owner), dnskeys, NOW, 0);
      t.equal(r.ok, true, `the wildcard expanded to ${owner} verifies (RFC 4035 §5.3.2)`);
    }
    const upper = rrsets.get('mixedcase.example/16')!.map((rr) => withOwner(rr, 'MIXEDCASE.EXAMPLE.'));
    const sig = sigs.find((s) => key(s, covered(s)) === 'mixedcase.example/16')!;
    t.equal(verifyRrset(upper.reverse(), sig, dnskeys, NOW, 0).ok, true, 'owner case and RR order do not matter');
  });
}

t.test('a changed byte, the window and the skew allowance', async (t) => {
  const ldns = new LdnsDir();
  t.teardown(() => ldns.remove());
  const zsk = ldns.key('example.', 'ECDSAP256SHA256', false);
  const { rrsets, sigs, dnskeys } = split(ldns.sign(ZONE, [zsk], { inception: INCEPTION, expiration: EXPIRATION }));
  const mx = rrsets.get('example/15')!;
  const sig = sigs.find((s) => key(s, covered(s)) === 'example/15')!;
  t.equal(verifyRrset(mx, sig, dnskeys, NOW, 0).ok, true);
  const flipped = (b: Uint8Array, at: number): Uint8Array => b.map((x, i) => (i === at ? x ^ 0x01 : x));
  const badData = [{ ...mx[0]!, rdata: flipped(mx[0]!.rdata, 1) }, mx[1]!];
  t.same(verifyRrset(badData, sig, dnskeys, NOW, 0), { ok: false, reason: 'bad-signature' }, 'a flipped bit in the data');
  const badSig = { ...sig, rdata: flipped(sig.rdata, sig.rdata.length - 5) };
  t.same(verifyRrset(mx, badSig, dnskeys, NOW, 0), { ok: false, reason: 'bad-signature' }, 'a flipped bit in the signature');
  const badTtl = { ...sig, rdata: flipped(sig.rdata, 7) };
  t.same(verifyRrset(mx, badTtl, dnskeys, NOW, 0), { ok: false, reason: 'bad-signature' }, 'a changed Original TTL');
  t.same(verifyRrset(mx, sig, dnskeys, EXPIRATION + 1, 0), { ok: false, reason: 'expired' });
  t.same(verifyRrset(mx, sig, dnskeys, INCEPTION - 1, 0), { ok: false, reason: 'not-yet-valid' });
  t.equal(verifyRrset(mx, sig, dnskeys, EXPIRATION + 299, 300).ok, true, 'expired less than the skew ago');
  t.equal(verifyRrset(mx, sig, dnskeys, INCEPTION - 299, 300).ok, true, 'valid in less than the skew');
  t.same(verifyRrset(mx, sig, dnskeys, EXPIRATION + 301, 300), { ok: false, reason: 'expired' }, 'past the skew');
  t.equal(verifyRrset(mx, sig, dnskeys, EXPIRATION, 0).ok, true, 'the expiration second itself is valid');
  t.same(verifyRrset(mx, sig, [], NOW, 0), { ok: false, reason: 'no-key' });
  const otherOwner = dnskeys.map((k) => withOwner(k, 'other.example.'));
  t.same(verifyRrset(mx, sig, otherOwner, NOW, 0), { ok: false, reason: 'no-key' }, 'a DNSKEY not at the signer');
  t.same(verifyRrset(mx, { ...sig, class: 3 }, dnskeys, NOW, 0), { ok: false, reason: 'malformed' }, 'another class');
  t.same(verifyRrset(mx, withOwner(sig, 'www.example.'), dnskeys, NOW, 0), { ok: false, reason: 'malformed' }, 'another owner');
  const a = rrsets.get('ns1.example/1')!;
  t.same(verifyRrset(a, sig, dnskeys, NOW, 0), { ok: false, reason: 'malformed' }, 'another type');
  t.same(verifyRrset(mx, { ...sig, rdata: sig.rdata.subarray(0, 20) }, dnskeys, NOW, 0), { ok: false, reason: 'malformed' });
});

t.test('RFC 1982 serial arithmetic: a window across 2^32 seconds (year 2106)', async (t) => {
  const sig = { inception: 2 ** 32 - 100, expiration: 100 };
  t.equal(checkWindow(sig, 2 ** 32 - 50, 0), 'valid');
  t.equal(checkWindow(sig, 2 ** 32 + 50, 0), 'valid');
  t.equal(checkWindow(sig, 2 ** 32 + 150, 0), 'expired');
  t.equal(checkWindow(sig, 2 ** 32 - 150, 0), 'not-yet-valid');
  t.equal(checkWindow({ inception: 10, expiration: 20 }, 2 ** 32 + 15, 0), 'valid', 'now taken modulo 2^32');
});

t.test('RSASHA1 (5) is unsupported; a signer that is not the owner\'s zone is malformed', async (t) => {
  const ldns = new LdnsDir();
  t.teardown(() => ldns.remove());
  const zsk = ldns.key('example.', 'RSASHA1', false);
  const { rrsets, sigs, dnskeys } = split(ldns.sign(ZONE, [zsk], { inception: INCEPTION, expiration: EXPIRATION }));
  const sig = sigs.find((s) => key(s, covered(s)) === 'example/6')!;
  t.equal(parseRrsig(sig.rdata)!.algorithm, 5);
  t.same(verifyRrset(rrsets.get('example/6')!, sig, dnskeys, NOW, 0), { ok: false, reason: 'unsupported-algorithm' });
  const other = parseRr('example. 3600 IN RRSIG SOA 13 1 3600 20300101000000 20200101000000 1 other. AAAA');
  t.same(verifyRrset(rrsets.get('example/6')!, other, dnskeys, NOW, 0), { ok: false, reason: 'malformed' });
  const tooMany = parseRr('example. 3600 IN RRSIG SOA 13 2 3600 20300101000000 20200101000000 1 example. AAAA');
  t.same(verifyRrset(rrsets.get('example/6')!, tooMany, dnskeys, NOW, 0), { ok: false, reason: 'malformed' }, 'Labels > the owner\'s');
});

/** An ECDSA P-256 DNSKEY with `flags` and an RRSIG by it over `rrset`, made here (ldns-signzone refuses non-zone keys). */
function selfSigned(rrset: readonly Rr[], flags: number): { dnskey: Rr; rrsig: Rr } {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = pair.publicKey.export({ format: 'jwk' });
  const pub = Buffer.concat([Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  const dnskeyRdata = Uint8Array.from([flags >> 8, flags & 0xff, 3, 13, ...pub]);
  const dnskey: Rr = { owner: wireName('example.'), type: TYPE_DNSKEY, class: 1, ttl: 3600, rdata: dnskeyRdata };
  const head = parseRr(`example. 3600 IN RRSIG SOA 13 1 3600 ${EXPIRATION} ${INCEPTION} ${keyTag(dnskeyRdata)} example.`).rdata;
  const signature = sign('sha256', signedData(head, rrset)!, { key: pair.privateKey, dsaEncoding: 'ieee-p1363' });
  const rrsig: Rr = { owner: wireName('example.'), type: TYPE_RRSIG, class: 1, ttl: 3600, rdata: Buffer.concat([head, signature]) };
  return { dnskey, rrsig };
}

t.test('a DNSKEY without the Zone Key bit is not used (RFC 4034 §2.1.1)', async (t) => {
  const soa = [parseRr('example. 3600 IN SOA ns1.example. host.example. 1 7200 3600 1209600 3600')];
  const zone = selfSigned(soa, 256);
  t.match(verifyRrset(soa, zone.rrsig, [zone.dnskey], NOW, 0), { ok: true, key: zone.dnskey }, 'the control: a zone key');
  const notZone = selfSigned(soa, 0);
  t.same(verifyRrset(soa, notZone.rrsig, [notZone.dnskey], NOW, 0), { ok: false, reason: 'no-key' });
  const revokedZone = selfSigned(soa, 256 | 0x80);
  t.equal(verifyRrset(soa, revokedZone.rrsig, [revokedZone.dnskey], NOW, 0).ok, true, 'other flag bits do not matter here');
});

t.test('a signature verified once is taken again without the cryptography, but only with the key that verified it', async (t) => {
  const ldns = new LdnsDir();
  t.teardown(() => ldns.remove());
  const ksk = ldns.key('example.', 'ECDSAP256SHA256', true);
  const zsk = ldns.key('example.', 'ECDSAP256SHA256', false);
  const { rrsets, sigs, dnskeys } = split(ldns.sign(ZONE, [ksk, zsk], { inception: INCEPTION, expiration: EXPIRATION }));
  const sig = sigs.find((s) => covered(s) === 1 && nameText(s.owner, 0) === 'ns1.example')!;
  const rrset = rrsets.get(key(sig, 1))!;
  t.match(verifyRrset(rrset, sig, dnskeys, NOW, 0), { ok: true }, 'verified');
  t.match(verifyRrset(rrset, sig, dnskeys, NOW, 0), { ok: true }, 'again, from what was kept');
  t.match(verifyRrset(rrset, sig, dnskeys, EXPIRATION + 10, 0), { ok: false, reason: 'expired' }, 'the window is still checked');
  // The signing key with two of its 16-bit words swapped: the same key tag (a sum of the words,
  // RFC 4034 Appendix B), another key. The kept signature is not taken for it.
  const signing = dnskeys.find((k) => keyTag(k.rdata) === parseRrsig(sig.rdata)!.keyTag)!;
  const other = Uint8Array.from(signing.rdata);
  [other[10], other[12]] = [other[12]!, other[10]!];
  [other[11], other[13]] = [other[13]!, other[11]!];
  t.not(Buffer.from(other).toString('hex'), Buffer.from(signing.rdata).toString('hex'));
  t.equal(keyTag(other), keyTag(signing.rdata), 'the same key tag');
  t.match(verifyRrset(rrset, sig, [{ ...signing, rdata: other }], NOW, 0), { ok: false, reason: 'bad-signature' });
});

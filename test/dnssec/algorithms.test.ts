import t from 'tap';
import { generateKeyPairSync, sign } from 'node:crypto';
import { dsDigest, dsMatches, isSupportedAlgorithm, isSupportedDigest, keyTag, verifySignature } from '../../src/dnssec/algorithms.js';
import type { Rr } from '../../src/dnssec/types.js';
import { LdnsDir } from '../helpers/ldns.js';
import { wireName } from '../helpers/zone-text.js';

const hex = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString('hex'));

t.test('only algorithms 8, 10, 13, 14, 15 and digests 2, 4 are supported', async (t) => {
  for (let n = 0; n < 256; n++) t.equal(isSupportedAlgorithm(n), [8, 10, 13, 14, 15].includes(n), `algorithm ${n}`);
  for (let n = 0; n < 256; n++) t.equal(isSupportedDigest(n), [2, 4].includes(n), `digest ${n}`);
});

const ALGORITHMS = ['RSASHA256', 'RSASHA512', 'ECDSAP256SHA256', 'ECDSAP384SHA384', 'ED25519', 'RSASHA1'];

t.test('key tags match ldns-keygen\'s file names; DS digests match ldns-key2ds -2 and -4', async (t) => {
  const ldns = new LdnsDir();
  t.teardown(() => ldns.remove());
  for (const algorithm of ALGORITHMS) {
    for (const ksk of [true, false]) {
      const key = ldns.key('Sub.Example.', algorithm, ksk);
      t.equal(keyTag(key.dnskey.rdata), key.tag, `${key.base}: tag ${key.tag}`);
      for (const [option, type] of [['-2', 2], ['-4', 4]] as const) {
        const ds = ldns.ds(key, option);
        t.equal(ds.rdata[3], type);
        t.equal(hex(dsDigest(key.dnskey.owner, key.dnskey.rdata, type)), hex(ds.rdata.subarray(4)), `${key.base} digest ${type}`);
        t.equal(dsMatches(ds, key.dnskey), true, `${key.base} matches its DS ${type}`);
      }
      const sha1 = ldns.ds(key, '-1');
      t.equal(sha1.rdata[3], 1);
      t.equal(dsDigest(key.dnskey.owner, key.dnskey.rdata, 1), null, 'SHA-1 is not computed');
      t.equal(dsMatches(sha1, key.dnskey), false, 'a SHA-1 DS matches nothing');
    }
  }
});

t.test('a DS matches only its own zone key', async (t) => {
  const ldns = new LdnsDir();
  t.teardown(() => ldns.remove());
  const key = ldns.key('example.', 'ECDSAP256SHA256', true);
  const other = ldns.key('example.', 'ECDSAP256SHA256', true);
  const ds = ldns.ds(key, '-2');
  t.equal(dsMatches(ds, key.dnskey), true);
  t.equal(dsMatches({ ...ds, owner: wireName('EXAMPLE.') }, key.dnskey), true, 'owner case does not matter');
  t.equal(dsMatches(ds, other.dnskey), false, 'another key');
  t.equal(dsMatches({ ...ds, owner: wireName('sub.example.') }, key.dnskey), false, 'another owner');
  t.equal(dsMatches({ ...ds, class: 3 }, key.dnskey), false, 'another class');
  const changed = Uint8Array.from(ds.rdata);
  changed[changed.length - 1]! ^= 1;
  t.equal(dsMatches({ ...ds, rdata: changed }, key.dnskey), false, 'a changed digest');
  t.equal(dsMatches({ ...ds, rdata: ds.rdata.subarray(0, ds.rdata.length - 1) }, key.dnskey), false, 'a short digest');
  const algo = Uint8Array.from(ds.rdata);
  algo[2] = 8;
  t.equal(dsMatches({ ...ds, rdata: algo }, key.dnskey), false, 'another algorithm');
  const notZone = Uint8Array.from(key.dnskey.rdata);
  notZone[0] = 0; // flags 257 → 1: no Zone Key bit (RFC 4034 §5.2)
  const dsOfNotZone: Rr = { ...ds, rdata: Uint8Array.from([...ds.rdata.subarray(0, 4), ...dsDigest(key.dnskey.owner, notZone, 2)!]) };
  dsOfNotZone.rdata.set([keyTag(notZone) >> 8, keyTag(notZone) & 0xff], 0);
  t.equal(dsMatches(dsOfNotZone, { ...key.dnskey, rdata: notZone }), false, 'a key without the Zone Key bit');
  t.equal(dsMatches({ ...ds, rdata: ds.rdata.subarray(0, 4) }, key.dnskey), false, 'no digest');
});

t.test('RFC 4034 Appendix B.1: the key tag of an RSA/MD5 key is from its modulus', async (t) => {
  t.equal(keyTag(Uint8Array.from([1, 0, 3, 1, 3, 1, 0, 1, 0xaa, 0xbb, 0xcc, 0xdd, 0xee])), 0xccdd);
});

const dnskey = (alg: number, key: Uint8Array): Uint8Array => Uint8Array.from([1, 0, 3, alg, ...key]);

t.test('RSA keys in both RFC 3110 exponent forms; bad keys and signatures are false, never thrown', async (t) => {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = pair.publicKey.export({ format: 'jwk' });
  const e = Buffer.from(jwk.e!, 'base64url');
  const n = Buffer.from(jwk.n!, 'base64url');
  const data = Buffer.from('signed data');
  const sig = sign('sha256', data, pair.privateKey);
  const short = dnskey(8, Uint8Array.from([e.length, ...e, ...n]));
  const long = dnskey(8, Uint8Array.from([0, 0, e.length, ...e, ...n]));
  t.equal(verifySignature(short, data, sig), true, 'a one-octet exponent length');
  t.equal(verifySignature(long, data, sig), true, 'the three-octet form');
  t.equal(verifySignature(short, Buffer.from('other data'), sig), false);
  t.equal(verifySignature(short, data, sig.subarray(1)), false, 'a short signature');
  t.equal(verifySignature(dnskey(10, Uint8Array.from([e.length, ...e, ...n])), data, sig), false, 'SHA-512 expected');
  t.equal(verifySignature(dnskey(8, Uint8Array.from([e.length, ...e, ...n.subarray(0, 32)])), data, sig), false, '256-bit modulus: too small');
  for (const bad of [[], [0], [0, 0, 0], [3, 1, 0, 1], [200, 1, 2]]) {
    t.equal(verifySignature(dnskey(8, Uint8Array.from(bad)), data, sig), false, `key ${JSON.stringify(bad)}`);
  }
  t.equal(verifySignature(Uint8Array.of(1, 0, 3), data, sig), false, 'no algorithm field');
});

t.test('ECDSA and Ed25519: a point not on the curve or a wrong length is false', async (t) => {
  const data = Buffer.from('signed data');
  const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = p256.publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  const sig = sign('sha256', data, { key: p256.privateKey, dsaEncoding: 'ieee-p1363' });
  t.equal(verifySignature(dnskey(13, point), data, sig), true);
  t.equal(verifySignature(dnskey(13, point), data, sign('sha256', data, p256.privateKey)), false, 'a DER signature is not r||s');
  const offCurve = Uint8Array.from(point);
  offCurve[63]! ^= 1;
  t.equal(verifySignature(dnskey(13, offCurve), data, sig), false, 'off the curve');
  t.equal(verifySignature(dnskey(14, point), data, sig), false, 'a P-256 point as a P-384 key');
  const ed = generateKeyPairSync('ed25519');
  const edKey = Buffer.from(ed.publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const edSig = sign(null, data, ed.privateKey);
  t.equal(verifySignature(dnskey(15, edKey), data, edSig), true);
  t.equal(verifySignature(dnskey(15, edKey), data, edSig.subarray(0, 63)), false);
  t.equal(verifySignature(dnskey(15, edKey.subarray(1)), data, edSig), false, 'a 31-octet key');
  t.equal(verifySignature(dnskey(5, edKey), data, edSig), false, 'an unsupported algorithm');
});

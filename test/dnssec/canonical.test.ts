import t from 'tap';
import { compareRdata, signedData } from '../../src/dnssec/canonical.js';
import { canonicalRdata } from '../../src/dnssec/rdata-names.js';
import type { Rr } from '../../src/dnssec/types.js';
import { parseRr, wireName } from '../helpers/zone-text.js';

const hex = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString('hex'));

/** The RRSIG RDATA of `line`'s fields up to the signer (no signature), as signedData reads it. */
const rrsigHead = (fields: string): Uint8Array => parseRr(`example. 3600 IN RRSIG ${fields}`).rdata;

/** One RR as the signed data holds it: owner, type, class, TTL, RDLENGTH, RDATA. */
function record(owner: string, type: number, ttl: number, rdata: Uint8Array): Uint8Array {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(1, 2);
  fixed.writeUInt32BE(ttl, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([wireName(owner), fixed, rdata]);
}

t.test('RFC 4034 §3.1.8.1: the RRSIG head, signer lower-cased, then the RRs lower-cased, TTL the Original TTL, sorted, once each', async (t) => {
  const head = rrsigHead('MX 13 1 7200 20300101000000 20200101000000 4242 EXAMPLE.');
  const rrset: Rr[] = [
    parseRr('Example. 60 IN MX 20 Mail2.EXAMPLE.'),
    parseRr('EXAMPLE. 60 IN MX 10 mail.example.'),
    parseRr('example. 60 IN MX 20 mail2.example.'), // the first one again, in another case
  ];
  const want = Buffer.concat([
    rrsigHead('MX 13 1 7200 20300101000000 20200101000000 4242 example.'),
    record('example.', 15, 7200, parseRr('x. 1 IN MX 10 mail.example.').rdata),
    record('example.', 15, 7200, parseRr('x. 1 IN MX 20 mail2.example.').rdata),
  ]);
  t.equal(hex(signedData(head, rrset)), hex(want));
  t.equal(hex(signedData(head, [...rrset].reverse())), hex(want), 'the order received does not matter');
});

t.test('RFC 4035 §5.3.2: an owner with more labels than the RRSIG\'s is signed as the wildcard', async (t) => {
  const head = rrsigHead('A 13 2 60 20300101000000 20200101000000 4242 example.');
  const a = parseRr('X.Y.w.Example. 60 IN A 192.0.2.1');
  const want = Buffer.concat([head, record('*.w.example.', 1, 60, a.rdata)]);
  t.equal(hex(signedData(head, [a])), hex(want));
  const exact = parseRr('w.Example. 60 IN A 192.0.2.1');
  t.equal(hex(signedData(head, [exact])), hex(Buffer.concat([head, record('w.example.', 1, 60, a.rdata)])), 'equal labels: the owner itself');
  const tooShort = parseRr('example. 60 IN A 192.0.2.1');
  t.equal(signedData(head, [tooShort]), null, 'Labels greater than the owner\'s labels');
});

t.test('RFC 6840 §5.1: NSEC next names keep their case, RRSIG, SOA, CNAME and NS names are lower-cased; TXT is left alone', async (t) => {
  const cases: [string, string][] = [
    ['a. 1 IN NSEC Next.Example. A RRSIG', 'a. 1 IN NSEC Next.Example. A RRSIG'],
    ['a. 1 IN SOA NS1.Example. Host.EXAMPLE. 1 2 3 4 5', 'a. 1 IN SOA ns1.example. host.example. 1 2 3 4 5'],
    ['a. 1 IN CNAME Target.Example.', 'a. 1 IN CNAME target.example.'],
    ['a. 1 IN NS NS.Example.', 'a. 1 IN NS ns.example.'],
    ['a. 1 IN TXT "Hello World"', 'a. 1 IN TXT "Hello World"'],
    ['a. 1 IN SRV 1 2 53 Target.EXAMPLE.', 'a. 1 IN SRV 1 2 53 target.example.'],
    ['a. 1 IN RRSIG A 13 1 60 20300101000000 20200101000000 1 Signer.EXAMPLE. AbCd', 'a. 1 IN RRSIG A 13 1 60 20300101000000 20200101000000 1 signer.example. AbCd'],
    ['a. 1 IN DNSKEY 256 3 13 QUJD', 'a. 1 IN DNSKEY 256 3 13 QUJD'],
  ];
  for (const [given, want] of cases) {
    const rr = parseRr(given);
    t.equal(hex(canonicalRdata(rr.type, rr.rdata)), hex(parseRr(want).rdata), given);
  }
  // NAPTR (RFC 3403): order, preference, three strings ("A" kept), then the replacement lower-cased.
  const naptr = Uint8Array.from([0, 1, 0, 2, 1, 0x41, 0, 0, ...wireName('Repl.EXAMPLE.')]);
  t.equal(hex(canonicalRdata(35, naptr)), hex(Uint8Array.from([0, 1, 0, 2, 1, 0x41, 0, 0, ...wireName('repl.example.')])));
  // A6 (RFC 2874): prefix length 64, 8 octets of suffix, then the prefix name.
  const a6 = Uint8Array.from([64, 0x41, 0x42, 0, 0, 0, 0, 0, 1, ...wireName('P.Example.')]);
  t.equal(hex(canonicalRdata(38, a6)), hex(Uint8Array.from([64, 0x41, 0x42, 0, 0, 0, 0, 0, 1, ...wireName('p.example.')])));
  t.equal(hex(canonicalRdata(38, Uint8Array.from([0, ...new Array<number>(16).fill(0x41)]))), hex(Uint8Array.from([0, ...new Array<number>(16).fill(0x41)])), 'A6 without a prefix name');
});

t.test('malformed input is null, never an exception', async (t) => {
  const mx = parseRr('example. 60 IN MX 10 mail.example.');
  const head = rrsigHead('MX 13 1 60 20300101000000 20200101000000 4242 example.');
  t.ok(signedData(head, [mx]));
  t.equal(signedData(head, []), null, 'an empty RRset');
  t.equal(signedData(head.subarray(0, 18), [mx]), null, 'no signer');
  t.equal(signedData(Uint8Array.from([...head.subarray(0, 18), 3, 0x61]), [mx]), null, 'a signer cut short');
  t.equal(signedData(rrsigHead('A 13 1 60 20300101000000 20200101000000 4242 example.'), [mx]), null, 'Type Covered is not MX');
  t.equal(signedData(head, [mx, parseRr('other.example. 60 IN MX 10 mail.example.')]), null, 'two owners');
  t.equal(signedData(head, [mx, { ...mx, class: 3 }]), null, 'two classes');
  t.equal(signedData(head, [{ ...mx, rdata: Uint8Array.from([0, 10, 0xc0, 0x0c]) }]), null, 'a compression pointer left in RDATA');
  t.equal(signedData(head, [{ ...mx, rdata: Uint8Array.from([0, 10, 4, 0x61]) }]), null, 'an RDATA name cut short');
  t.equal(signedData(head, [{ ...mx, rdata: Uint8Array.from([0]) }]), null, 'MX without its name');
  t.equal(canonicalRdata(35, Uint8Array.from([0, 1, 0, 2, 9, 0x41])), null, 'a NAPTR string past the end');
  t.equal(canonicalRdata(38, Uint8Array.from([200])), null, 'an A6 prefix length over 128');
  t.equal(canonicalRdata(6, Uint8Array.from(new Array<number>(300).fill(1))), null, 'a name over 255 octets');
});

t.test('RFC 4034 §6.3: RDATA compares as octet strings, a prefix before what it starts', async (t) => {
  const b = (...x: number[]): Uint8Array => Uint8Array.from(x);
  t.ok(compareRdata(b(1, 2), b(1, 3)) < 0);
  t.ok(compareRdata(b(1, 2), b(1, 2, 0)) < 0, 'absence sorts before a zero octet');
  t.ok(compareRdata(b(0xff), b(0x01, 0xff)) > 0, 'unsigned octets, left-justified');
  t.equal(compareRdata(b(7, 7), b(7, 7)), 0);
});

import t, { type Test } from 'tap';
import { type DenialResult } from '../../src/dnssec/denial.js';
import {
  base32hexDecode,
  base32hexEncode,
  NSEC3_MAX_ITERATIONS,
  nsec3Hash,
  nsec3Nodata,
  nsec3Nxdomain,
  nsec3WildcardAnswer,
  parseNsec3Rdata,
} from '../../src/dnssec/nsec3.js';
import { type Rr, TYPE_DS } from '../../src/dnssec/types.js';
import { ldnsNsec3Hash, signZone, wire } from '../helpers/denial-records.js';

const A = 1;
const MX = 15;
const TXT = 16;
const PROVEN = { result: 'proven' };
const OPT_OUT = { result: 'insecure', why: 'opt-out' };
const ITERATIONS = { result: 'insecure', why: 'iterations' };

const ZONE = `$ORIGIN example.
$TTL 3600
@ IN SOA ns1 admin 1 3600 600 86400 300
@ IN NS ns1
ns1 IN A 192.0.2.1
a IN A 192.0.2.2
b.c.d IN A 192.0.2.3
cn IN CNAME a
*.w IN TXT "wild"
sub IN NS ns.sub
ns.sub IN A 192.0.2.9
secure IN NS ns.other.test.
secure IN DS 12345 13 2 0000000000000000000000000000000000000000000000000000000000000000
z IN A 192.0.2.4
`;

const bytes = (text: string): Uint8Array => base32hexDecode(text)!;

/** A signed NSEC3 chain and the records a server would pick from it, found with ldns-nsec3-hash. */
class Chain {
  readonly records: Rr[];
  private readonly hashes = new Map<string, string>();
  constructor(
    readonly salt: string,
    readonly iterations: number,
    optOut = false,
  ) {
    this.records = signZone('example.', ZONE, { salt, iterations, optOut });
  }
  hash(name: string): string {
    let h = this.hashes.get(name);
    if (h === undefined) this.hashes.set(name, (h = ldnsNsec3Hash(name, this.salt, this.iterations)));
    return h;
  }
  /** The record whose owner is the hash of `name`. */
  at(name: string): Rr {
    const r = this.records.find((x) => label(x) === this.hash(name));
    if (!r) throw new Error(`no NSEC3 matches ${name}`);
    return r;
  }
  /** The record covering the hash of `name` (the last one wraps around). */
  cover(name: string): Rr {
    const h = this.hash(name);
    const r = this.records.find((x) => {
      const [owner, next] = [label(x), nextHash(x)];
      return owner < next ? owner < h && h < next : owner < h || h < next;
    });
    if (!r) throw new Error(`no NSEC3 covers ${name}`);
    return r;
  }
  /** The chain as an opt-out signer that leaves `name` out would sign it (RFC 5155 §6, §7.1). */
  without(name: string): Chain {
    const gone = this.at(name);
    const copy = Object.create(Chain.prototype) as Chain;
    const records = this.records.filter((r) => r !== gone).map((r) => (nextHash(r) === label(gone) ? withNext(r, nextHash(gone)) : r));
    Object.assign(copy, { records, salt: this.salt, iterations: this.iterations, hashes: this.hashes });
    return copy;
  }
}

function label(r: Rr): string {
  return String.fromCharCode(...r.owner.subarray(1, 1 + r.owner[0]!)).toLowerCase();
}
function nextHash(r: Rr): string {
  return base32hexEncode(parseNsec3Rdata(r.rdata)!.next);
}
function withNext(r: Rr, next: string): Rr {
  const rdata = Uint8Array.from(r.rdata);
  rdata.set(bytes(next), 5 + rdata[4]! + 1);
  return { ...r, rdata };
}
function withByte(r: Rr, at: number, value: number): Rr {
  const rdata = Uint8Array.from(r.rdata);
  rdata[at] = value;
  return { ...r, rdata };
}

const zone = wire('example');
const q = (qname: string, qtype = A) => ({ zone, qname: wire(qname), qtype });
function bogusWith(t: Test, r: DenialResult, phrase: string, what: string): void {
  t.equal(r.result, 'bogus', what);
  t.match(r.result === 'bogus' ? r.why : '', phrase, `${what}: why`);
}

t.test('nsec3Hash: RFC 5155 Appendix A (salt aabbccdd, 12 iterations)', async (t) => {
  const salt = Uint8Array.from([0xaa, 0xbb, 0xcc, 0xdd]);
  const vectors: [string, string][] = [
    ['example', '0p9mhaveqvm6t7vbl5lop2u3t2rp3tom'],
    ['a.example', '35mthgpgcu1qg68fab165klnsnk3dpvl'],
    ['ai.example', 'gjeqe526plbf1g8mklp59enfd789njgi'],
    ['ns1.example', '2t7b4g4vsa5smi47k61mv5bv1a22bojr'],
    ['w.example', 'k8udemvp1j2f7eg6jebps17vp3n8i58h'],
    ['*.w.example', 'r53bq7cc2uvmubfu5ocmm6pers9tk9en'],
    ['x.w.example', 'b4um86eghhds6nea196smvmlo4ors995'],
    ['xx.example', 't644ebqk9bibcna874givr6joj62mlhv'],
  ];
  for (const [name, hash] of vectors) t.equal(base32hexEncode(nsec3Hash(wire(name), salt, 12)), hash, name);
  t.equal(base32hexEncode(nsec3Hash(wire('A.EXAMPLE'), salt, 12)), '35mthgpgcu1qg68fab165klnsnk3dpvl', 'lower-cased first');
});

t.test('nsec3Hash agrees with ldns-nsec3-hash', async (t) => {
  const cases: [string, string, number][] = [
    ['example.', '', 0],
    ['www.Example.COM.', '', 0],
    ['a.b.c.d.example.org.', 'ff', 1],
    ['*.wild.test.', '0123456789abcdef', 10],
    ['x.', 'aabbccdd', 150],
    ['long-label-name-with-dashes.example.net.', 'de'.repeat(32), 7],
  ];
  for (const [name, salt, iterations] of cases) {
    const mine = base32hexEncode(nsec3Hash(wire(name), Uint8Array.from(Buffer.from(salt, 'hex')), iterations));
    t.equal(mine, ldnsNsec3Hash(name, salt, iterations), `${name} salt '${salt}' ${iterations} iterations`);
  }
});

t.test('base32hex (RFC 4648 §10 vectors, no padding)', async (t) => {
  const vectors: [string, string][] = [['', ''], ['f', 'co'], ['fo', 'cpng'], ['foo', 'cpnmu'], ['foob', 'cpnmuog'], ['fooba', 'cpnmuoj1'], ['foobar', 'cpnmuoj1e8']];
  for (const [plain, encoded] of vectors) {
    t.equal(base32hexEncode(Buffer.from(plain)), encoded, plain);
    t.same(base32hexDecode(encoded.toUpperCase()), Buffer.from(plain), `${encoded} decodes (either case)`);
  }
  for (const bad of ['c', 'cpn', 'cpnmuo', 'cw', 'c=', 'cp!g', 'cr']) t.equal(base32hexDecode(bad), null, `'${bad}' is rejected`);
});

const plain = new Chain('-', 0);

t.test('NXDOMAIN (RFC 5155 §8.4)', async (t) => {
  const proof = [plain.at('example'), plain.cover('nx.example'), plain.cover('*.example')];
  t.same(nsec3Nxdomain(q('nx.example'), proof), PROVEN);
  bogusWith(t, nsec3Nxdomain(q('nx.example'), proof.slice(1)), 'no NSEC3 matches an ancestor', 'closest encloser left out');
  bogusWith(t, nsec3Nxdomain(q('nx.example'), [proof[0]!]), 'next closer', 'next closer cover left out');
  bogusWith(t, nsec3Nxdomain(q('a.example'), [plain.at('a.example'), ...proof]), 'exists', 'qname has an NSEC3');
  const deep = [plain.at('b.c.d.example'), plain.cover('x.b.c.d.example'), plain.cover('*.b.c.d.example')];
  t.same(nsec3Nxdomain(q('x.b.c.d.example'), deep), PROVEN, 'encloser b.c.d');
  const ent = [plain.at('c.d.example'), plain.cover('e.c.d.example'), plain.cover('*.c.d.example')];
  t.same(nsec3Nxdomain(q('e.c.d.example'), ent), PROVEN, 'encloser an empty non-terminal');
  bogusWith(t, nsec3Nxdomain(q('c.d.example'), [plain.at('c.d.example'), ...proof]), 'exists', 'an ENT is not NXDOMAIN');
  bogusWith(t, nsec3Nxdomain(q('x.sub.example'), [plain.at('sub.example'), plain.cover('x.sub.example'), plain.cover('*.sub.example')]), 'delegation', 'below a cut (RFC 6840 §4.1)');
});

t.test('NXDOMAIN without the wildcard proof is bogus', async (t) => {
  // A qname whose next closer name and *.example fall in different spans of the chain.
  const name = ['nx', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7'].map((l) => `${l}.example`).find((n) => plain.cover(n) !== plain.cover('*.example'));
  t.ok(name, 'such a name exists in the chain');
  bogusWith(t, nsec3Nxdomain(q(name!), [plain.at('example'), plain.cover(name!)]), 'no NSEC3 covers the wildcard', name!);
});

t.test('NXDOMAIN proven by the record that wraps around the end of the hash order', async (t) => {
  const last = plain.records.find((r) => label(r) > nextHash(r))!;
  t.ok(last, 'the chain has a last record');
  let name = '';
  for (let i = 0; name === '' && i < 2000; i++) {
    const h = base32hexEncode(nsec3Hash(wire(`w${i}.example`), new Uint8Array(0), 0));
    if ((h > label(last) || h < nextHash(last)) && !plain.records.some((r) => label(r) === h)) name = `w${i}.example`;
  }
  t.not(name, '', 'a name hashing past the last owner');
  t.equal(plain.cover(name), last, 'ldns-nsec3-hash agrees it falls in the wrap-around span');
  t.same(nsec3Nxdomain(q(name), [plain.at('example'), last, plain.cover('*.example')]), PROVEN);
});

t.test('NODATA (§8.5), empty non-terminals, CNAME and delegations', async (t) => {
  t.same(nsec3Nodata(q('a.example', MX), [plain.at('a.example')]), PROVEN);
  bogusWith(t, nsec3Nodata(q('a.example', A), [plain.at('a.example')]), 'lists qtype', 'the type exists');
  bogusWith(t, nsec3Nodata(q('cn.example', TXT), [plain.at('cn.example')]), 'lists CNAME', 'RFC 6840 §4.3');
  t.same(nsec3Nodata(q('c.d.example', A), [plain.at('c.d.example')]), PROVEN, 'an empty non-terminal has a record with no types');
  t.same(nsec3Nodata(q('D.example', TXT), [plain.at('d.example')]), PROVEN, 'qname case ignored');
  bogusWith(t, nsec3Nodata(q('sub.example', A), [plain.at('sub.example')]), 'parent side', 'types below a cut');
  bogusWith(t, nsec3Nodata(q('a.example', MX), [plain.at('example'), plain.at('ns1.example')]), 'no NSEC3 matches qname', 'no record at qname');
});

t.test('DS NODATA (§8.6)', async (t) => {
  t.same(nsec3Nodata(q('sub.example', TYPE_DS), [plain.at('sub.example')]), PROVEN, 'unsigned delegation');
  bogusWith(t, nsec3Nodata(q('secure.example', TYPE_DS), [plain.at('secure.example')]), 'lists qtype', 'the DS exists');
  bogusWith(t, nsec3Nodata(q('example', TYPE_DS), [plain.at('example')]), 'child apex', 'the apex record');
  bogusWith(t, nsec3Nodata(q('a.example', TYPE_DS), [plain.at('a.example')]), 'no NS', 'not a delegation');
  const spliced = plain.without('sub.example');
  bogusWith(t, nsec3Nodata(q('sub.example', TYPE_DS), [spliced.at('example'), spliced.cover('sub.example')]), 'Opt-Out', 'no opt-out flag');
});

t.test('Opt-Out (§6, §8.6, §9.2)', async (t) => {
  const optOut = new Chain('-', 0, true).without('sub.example');
  const dsProof = [optOut.at('example'), optOut.cover('sub.example')];
  t.same(nsec3Nodata(q('sub.example', TYPE_DS), dsProof), OPT_OUT, 'DS of an unsigned delegation left out of the chain');
  t.same(nsec3Nodata(q('sub.example', A), dsProof), OPT_OUT, 'other types there too');
  const nx = [optOut.at('example'), optOut.cover('nx.example'), optOut.cover('*.example')];
  t.same(nsec3Nxdomain(q('nx.example'), nx), OPT_OUT, 'an NXDOMAIN in an opt-out span');
  t.same(nsec3Nodata(q('a.example', MX), [optOut.at('a.example')]), PROVEN, 'a matching record proves NODATA');
});

t.test('wildcard NODATA (§8.7) and wildcard answers (§8.8)', async (t) => {
  const base = [plain.at('w.example'), plain.cover('foo.w.example')];
  t.same(nsec3Nodata(q('foo.w.example', MX), [...base, plain.at('*.w.example')]), PROVEN);
  bogusWith(t, nsec3Nodata(q('foo.w.example', TXT), [...base, plain.at('*.w.example')]), 'wildcard', 'the wildcard has TXT');
  bogusWith(t, nsec3Nodata(q('foo.w.example', MX), base), 'wildcard', 'the wildcard record left out');
  t.same(nsec3WildcardAnswer(q('foo.w.example', TXT), 2, [plain.cover('foo.w.example')]), PROVEN);
  t.same(nsec3WildcardAnswer(q('x.foo.w.example', TXT), 2, [plain.cover('foo.w.example')]), PROVEN, 'the next closer name');
  bogusWith(t, nsec3WildcardAnswer(q('foo.w.example', TXT), 2, [plain.at('example')]), 'no NSEC3 covers', 'cover left out');
  bogusWith(t, nsec3WildcardAnswer(q('foo.w.example', TXT), 1, [plain.at('w.example')]), 'exists', 'a wrong wildcard (*.example)');
  bogusWith(t, nsec3WildcardAnswer(q('foo.w.example', TXT), 3, [plain.at('w.example')]), 'no wildcard expansion', 'labels = qname');
});

t.test('iterations above the cap give insecure (RFC 9276 §3.2)', async (t) => {
  t.equal(NSEC3_MAX_ITERATIONS, 150);
  const over = new Chain('ab', 151);
  const proof = [over.at('example'), over.cover('nx.example'), over.cover('*.example')];
  t.same(nsec3Nxdomain(q('nx.example'), proof), ITERATIONS);
  t.same(nsec3Nodata(q('a.example', MX), [over.at('a.example')]), ITERATIONS);
  t.same(nsec3WildcardAnswer(q('foo.w.example', TXT), 2, [over.cover('foo.w.example')]), ITERATIONS);
  t.same(nsec3Nxdomain(q('nx.example'), proof, { maxIterations: 151 }), PROVEN, 'a higher cap');
  const at150 = new Chain('ab', 150);
  t.same(nsec3Nodata(q('a.example', MX), [at150.at('a.example')]), PROVEN, '150 itself is allowed');
  t.same(nsec3Nodata(q('a.example', MX), [plain.at('a.example')], { maxIterations: -1 }), ITERATIONS, 'a lower cap');
});

t.test('records to ignore (§8.1, §8.2) and mixed parameters', async (t) => {
  const a = plain.at('a.example');
  bogusWith(t, nsec3Nodata(q('a.example', MX), [withByte(a, 0, 2)]), 'hash algorithm 1', 'unknown hash algorithm');
  bogusWith(t, nsec3Nodata(q('a.example', MX), [withByte(a, 1, 2)]), 'hash algorithm 1', 'unknown flag');
  t.same(nsec3Nodata(q('a.example', MX), [withByte(plain.at('example'), 0, 2), a]), PROVEN, 'an ignored record beside a good one');
  const salted = new Chain('aabbccdd', 10);
  bogusWith(t, nsec3Nodata(q('a.example', MX), [a, salted.at('a.example')]), 'different parameters', 'two parameter sets');
  const other: Rr = { ...a, owner: wire(`${label(a)}.example.net`) };
  bogusWith(t, nsec3Nodata(q('a.example', MX), [other]), 'hash algorithm 1', "another zone's record");
});

t.test('malformed NSEC3 records give bogus (null at parse), never throw', async (t) => {
  const a = plain.at('a.example');
  const saltEnd = 5 + a.rdata[4]!;
  const bad: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['cut in the fixed fields', a.rdata.subarray(0, 4)],
    ['salt length past the end', Uint8Array.from([1, 0, 0, 0, 200, 1])],
    ['hash length 0', Uint8Array.from([...a.rdata.subarray(0, saltEnd), 0])],
    ['hash cut short', a.rdata.subarray(0, saltEnd + 10)],
    ['bitmap with window length 0', Uint8Array.from([...a.rdata.subarray(0, saltEnd + 21), 0, 0])],
  ];
  for (const [what, rdata] of bad) {
    t.equal(parseNsec3Rdata(rdata), null, `${what}: parse`);
    bogusWith(t, nsec3Nodata(q('a.example', MX), [{ ...a, rdata }]), 'malformed', what);
  }
  const short = Uint8Array.from([...a.rdata.subarray(0, saltEnd), 19, ...a.rdata.subarray(saltEnd + 1, saltEnd + 20)]);
  t.ok(parseNsec3Rdata(short), 'a 19-octet hash parses');
  bogusWith(t, nsec3Nodata(q('a.example', MX), [{ ...a, rdata: short }]), 'SHA-1', 'but is no SHA-1 digest');
  bogusWith(t, nsec3Nodata(q('a.example', MX), [{ ...a, owner: wire('not-base32!.example') }]), 'SHA-1', 'owner label not base32hex');
  bogusWith(t, nsec3Nodata(q('a.example', MX), [{ ...a, owner: Uint8Array.from([32, 0x61]) }]), 'malformed', 'owner cut short');
});

t.test('names and owner labels compare without case', async (t) => {
  const upper = (r: Rr): Rr => ({ ...r, owner: Uint8Array.from(r.owner, (c) => (c >= 0x61 && c <= 0x7a ? c - 0x20 : c)) });
  const proof = [plain.at('example'), plain.cover('nx.example'), plain.cover('*.example')].map(upper);
  t.same(nsec3Nxdomain({ zone: wire('EXAMPLE'), qname: wire('Nx.Example'), qtype: A }, proof), PROVEN);
});

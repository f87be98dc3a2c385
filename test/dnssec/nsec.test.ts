import t, { type Test } from 'tap';
import { type DenialResult } from '../../src/dnssec/denial.js';
import { compareNames, nameEquals } from '../../src/dnssec/names.js';
import { nsecNodata, nsecNxdomain, nsecWildcardAnswer, parseNsecRdata } from '../../src/dnssec/nsec.js';
import { type Rr, TYPE_DS, TYPE_NSEC } from '../../src/dnssec/types.js';
import { nameText } from '../../src/wire/name.js';
import { signZone, wire } from '../helpers/denial-records.js';

const A = 1;
const TXT = 16;
const MX = 15;

const ZONE = `$ORIGIN example.
$TTL 3600
@ IN SOA ns1 admin 1 3600 600 86400 300
@ IN NS ns1
ns1 IN A 192.0.2.1
a IN A 192.0.2.2
b.c.d IN A 192.0.2.3
cn IN CNAME a
dn IN DNAME target.test.
*.w IN TXT "wild"
sub IN NS ns.sub
ns.sub IN A 192.0.2.9
secure IN NS ns.other.test.
secure IN DS 12345 13 2 0000000000000000000000000000000000000000000000000000000000000000
z IN A 192.0.2.4
`;

// example. a cn b.c.d dn ns1 secure sub *.w z, the last one's next name the apex.
const chain = signZone('example.', ZONE);
const zone = wire('example');

/** The chain's NSEC at `owner`. */
function at(owner: string): Rr {
  const r = chain.find((n) => nameEquals(n.owner, wire(owner)));
  if (!r) throw new Error(`no NSEC at ${owner}`);
  return r;
}

/** The chain's NSEC that covers `name`, computed the way a server picks it. */
function cover(name: string): Rr {
  const n = wire(name);
  const r = chain.find((x) => {
    const next = parseNsecRdata(x.rdata)!.next;
    const afterOwner = compareNames(x.owner, n) < 0;
    return compareNames(x.owner, next) < 0 ? afterOwner && compareNames(n, next) < 0 : afterOwner;
  });
  if (!r) throw new Error(`no NSEC covers ${name}`);
  return r;
}

const q = (qname: string, qtype = A) => ({ zone, qname: wire(qname), qtype });
function bogusWith(t: Test, r: DenialResult, phrase: string, what: string): void {
  t.equal(r.result, 'bogus', what);
  t.match(r.result === 'bogus' ? r.why : '', phrase, `${what}: why`);
}

t.test('the signed chain is what the zone holds', async (t) => {
  const owners = chain.map((r) => nameText(r.owner, 0));
  t.same(owners.sort(), ['*.w.example', 'a.example', 'b.c.d.example', 'cn.example', 'dn.example', 'example', 'ns1.example', 'secure.example', 'sub.example', 'z.example']);
  t.equal(nameText(parseNsecRdata(at('z.example').rdata)!.next, 0), 'example', 'the last NSEC wraps to the apex');
});

t.test('NXDOMAIN', async (t) => {
  t.same(nsecNxdomain(q('nx.example'), [cover('nx.example'), cover('*.example')]), { result: 'proven' });
  t.same(nsecNxdomain(q('x.b.c.d.example'), [at('b.c.d.example')]), { result: 'proven' }, 'one NSEC covers qname and *.b.c.d');
  bogusWith(t, nsecNxdomain(q('nx.example'), [cover('nx.example')]), 'no NSEC covers the wildcard', 'the wildcard NSEC left out');
  bogusWith(t, nsecNxdomain(q('nx.example'), [at('example')]), 'no NSEC covers qname', 'the covering NSEC left out');
  bogusWith(t, nsecNxdomain(q('a.example'), [at('a.example'), at('example')]), 'exists', 'qname has an NSEC');
  bogusWith(t, nsecNxdomain(q('nx.example'), []), 'no NSEC covers qname', 'no records');
});

t.test('NXDOMAIN below an empty non-terminal: the closest encloser comes from the next name', async (t) => {
  // e.c.d sorts between b.c.d and dn: the NSEC at b.c.d covers it and shows c.d exists, so the
  // wildcard to deny is *.c.d, which the NSEC at cn covers; *.example is not the one.
  t.equal(nameText(parseNsecRdata(cover('e.c.d.example').rdata)!.next, 0), 'dn.example');
  t.same(nsecNxdomain(q('e.c.d.example'), [cover('e.c.d.example'), cover('*.c.d.example')]), { result: 'proven' });
  t.ok(nameEquals(cover('*.c.d.example').owner, wire('cn.example')));
  bogusWith(t, nsecNxdomain(q('e.c.d.example'), [cover('e.c.d.example'), at('example')]), 'wildcard', '*.example instead of *.c.d');
  bogusWith(t, nsecNxdomain(q('c.d.example'), [cover('c.d.example'), at('example')]), 'empty non-terminal', 'an ENT is not NXDOMAIN');
  // a.c.d sorts between cn and b.c.d: only the next name shows c.d exists; the same NSEC covers *.c.d.
  t.same(nsecNxdomain(q('a.c.d.example'), [cover('a.c.d.example')]), { result: 'proven' }, 'encloser from the next name');
  t.ok(nameEquals(cover('a.c.d.example').owner, wire('cn.example')));
});

t.test('NXDOMAIN at the end of the zone: the NSEC whose next name is the apex', async (t) => {
  t.ok(nameEquals(cover('zz.example').owner, wire('z.example')));
  t.same(nsecNxdomain(q('zz.example'), [at('z.example'), at('example')]), { result: 'proven' });
  t.same(nsecNxdomain(q('a.z.example'), [at('z.example')]), { result: 'proven' }, 'qname and *.z after the last owner');
  bogusWith(t, nsecNxdomain(q('zz.example'), [at('example')]), 'no NSEC covers qname', 'without the last NSEC');
});

t.test('NXDOMAIN is not proven below a delegation or a DNAME (RFC 6840 §4.1)', async (t) => {
  bogusWith(t, nsecNxdomain(q('x.sub.example'), [at('sub.example'), at('example')]), 'delegation or DNAME', 'below the cut');
  bogusWith(t, nsecNxdomain(q('x.dn.example'), [at('dn.example'), at('example')]), 'delegation or DNAME', 'below the DNAME');
});

t.test('NODATA', async (t) => {
  t.same(nsecNodata(q('a.example', MX), [at('a.example')]), { result: 'proven' });
  bogusWith(t, nsecNodata(q('a.example', A), [at('a.example')]), 'lists qtype', 'the type exists');
  bogusWith(t, nsecNodata(q('cn.example', TXT), [at('cn.example')]), 'lists CNAME', 'RFC 6840 §4.3');
  bogusWith(t, nsecNodata(q('a.example', MX), [at('example')]), 'no NSEC', 'the NSEC at qname left out');
  bogusWith(t, nsecNodata(q('sub.example', A), [at('sub.example')]), 'parent side', 'types below a cut');
  t.same(nsecNodata(q('example', MX), [at('example')]), { result: 'proven' }, 'at the apex');
});

t.test('NODATA at an empty non-terminal', async (t) => {
  t.same(nsecNodata(q('c.d.example', A), [cover('c.d.example')]), { result: 'proven' });
  t.same(nsecNodata(q('d.example', TXT), [cover('d.example')]), { result: 'proven' });
  bogusWith(t, nsecNodata(q('c.d.example', A), [at('example')]), 'no NSEC', 'without the NSEC before it');
});

t.test('DS NODATA needs the parent side of a delegation', async (t) => {
  t.same(nsecNodata(q('sub.example', TYPE_DS), [at('sub.example')]), { result: 'proven' }, 'unsigned delegation');
  bogusWith(t, nsecNodata(q('secure.example', TYPE_DS), [at('secure.example')]), 'lists qtype', 'the DS exists');
  bogusWith(t, nsecNodata(q('example', TYPE_DS), [at('example')]), 'child apex', 'the apex NSEC (SOA) denies no DS');
  bogusWith(t, nsecNodata(q('a.example', TYPE_DS), [at('a.example')]), 'no NS', 'not a delegation');
});

t.test('wildcard NODATA', async (t) => {
  t.same(nsecNodata(q('foo.w.example', MX), [at('*.w.example')]), { result: 'proven' }, 'covers qname and is the wildcard');
  bogusWith(t, nsecNodata(q('foo.w.example', TXT), [at('*.w.example')]), 'wildcard', 'the wildcard has TXT');
  bogusWith(t, nsecNodata(q('nx.example', MX), [cover('nx.example')]), 'no NSEC at qname or at the wildcard', 'no wildcard');
});

t.test('wildcard answers (RFC 4035 §5.3.4)', async (t) => {
  t.same(nsecWildcardAnswer(q('foo.w.example', TXT), 2, [cover('foo.w.example')]), { result: 'proven' });
  t.same(nsecWildcardAnswer(q('x.foo.w.example', TXT), 2, [cover('x.foo.w.example')]), { result: 'proven' }, 'two labels expanded');
  t.same(nsecWildcardAnswer(q('*.w.example', TXT), 2, []), { result: 'proven' }, 'the wildcard asked for itself');
  bogusWith(t, nsecWildcardAnswer(q('foo.w.example', TXT), 2, []), 'no NSEC covers qname', 'no NSEC');
  bogusWith(t, nsecWildcardAnswer(q('foo.w.example', TXT), 1, [cover('foo.w.example')]), 'closest encloser', 'claims *.example');
  bogusWith(t, nsecWildcardAnswer(q('a.example', A), 1, [at('a.example')]), 'exists', 'qname exists');
  bogusWith(t, nsecWildcardAnswer(q('foo.w.example', TXT), 3, [cover('foo.w.example')]), 'no wildcard expansion', 'labels = qname');
  bogusWith(t, nsecWildcardAnswer(q('foo.w.example', TXT), 4, [cover('foo.w.example')]), 'exceeds', 'labels > qname');
  bogusWith(t, nsecWildcardAnswer(q('foo.w.example', TXT), 0, [cover('foo.w.example')]), 'above the zone', 'labels < zone');
});

t.test('names compare without case', async (t) => {
  const upper = (r: Rr): Rr => ({ ...r, owner: Uint8Array.from(r.owner, (c) => (c >= 0x61 && c <= 0x7a ? c - 0x20 : c)) });
  const mixed = { zone: wire('EXAMPLE'), qname: wire('Nx.ExAmple'), qtype: A };
  t.same(nsecNxdomain(mixed, [upper(cover('nx.example')), upper(at('example'))]), { result: 'proven' });
  t.same(nsecNodata({ zone, qname: wire('A.EXAMPLE'), qtype: MX }, [upper(at('a.example'))]), { result: 'proven' });
});

t.test('malformed records give bogus, never throw', async (t) => {
  const good = at('a.example');
  const next = parseNsecRdata(good.rdata)!.next;
  const bad: [string, Uint8Array][] = [
    ['a bitmap with a zero-length window', Uint8Array.from([...next, 0, 0])],
    ['a next name cut short', next.subarray(0, 4)],
    ['a label longer than 63', Uint8Array.from([64, ...new Array<number>(64).fill(0x61), 0])],
    ['empty RDATA', new Uint8Array(0)],
  ];
  for (const [what, rdata] of bad) {
    const r = { ...good, rdata };
    bogusWith(t, nsecNodata(q('a.example', MX), [r]), 'malformed', what);
    bogusWith(t, nsecNxdomain(q('nx.example'), [r, at('ns1.example')]), 'malformed', what);
  }
  bogusWith(t, nsecNodata(q('a.example', MX), [{ ...good, owner: Uint8Array.from([5, 0x61]) }]), 'malformed', 'owner cut short');
  bogusWith(t, nsecNodata({ zone, qname: Uint8Array.from([3, 0x61]), qtype: A }, [good]), 'malformed', 'qname cut short');
});

t.test("other zones' NSECs and other types are left out", async (t) => {
  const other: Rr = { ...at('a.example'), owner: wire('a.example.net') };
  bogusWith(t, nsecNodata(q('a.example', MX), [other]), 'no NSEC', 'an NSEC of another zone');
  const notNsec: Rr = { ...at('a.example'), type: TYPE_NSEC + 1 };
  bogusWith(t, nsecNodata(q('a.example', MX), [notNsec]), 'no NSEC', 'another type');
  bogusWith(t, nsecNodata({ zone, qname: wire('a.example.net'), qtype: A }, [at('a.example')]), 'not in the zone', 'qname elsewhere');
});

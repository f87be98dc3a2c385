import t from 'tap';
import dnsPacket from 'dns-packet';
import { decodeMessage, encodeRr } from '../../src/dnssec/message.js';
import { verifyRrset } from '../../src/dnssec/rrsig.js';
import { TYPE_RRSIG, type Rr } from '../../src/dnssec/types.js';
import { nameText } from '../../src/wire/name.js';
import { LdnsDir } from '../helpers/ldns.js';
import { parseRr, wireName } from '../helpers/zone-text.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const show = (rr: Rr): string => `${hex(rr.owner)} ${rr.type} ${rr.class} ${rr.ttl} ${hex(rr.rdata)}`;

/** Where each compressible type's names are: the offset of the first, and how many follow it. */
const NAMES_AT: Readonly<Record<number, [number, number]>> = { 2: [0, 1], 5: [0, 1], 6: [0, 2], 15: [2, 1], 33: [6, 1], 46: [18, 1], 47: [0, 1] };

/** A message with every name compressed where a suffix (same case) was written before (RFC 1035 §4.1.4). */
class Compressor {
  readonly bytes: number[] = [];
  private readonly seen = new Map<string, number>();

  name(name: Uint8Array): void {
    for (let pos = 0; name[pos] !== 0; pos += name[pos]! + 1) {
      const known = this.seen.get(hex(name.subarray(pos)));
      if (known !== undefined) {
        this.bytes.push(0xc0 | (known >> 8), known & 0xff);
        return;
      }
      if (this.bytes.length < 0x3fff) this.seen.set(hex(name.subarray(pos)), this.bytes.length);
      this.bytes.push(...name.subarray(pos, pos + name[pos]! + 1));
    }
    this.bytes.push(0);
  }

  rr(rr: Rr): void {
    this.name(rr.owner);
    this.bytes.push(rr.type >> 8, rr.type & 0xff, rr.class >> 8, rr.class & 0xff, ...[24, 16, 8, 0].map((s) => (rr.ttl >>> s) & 0xff));
    const lengthAt = this.bytes.length;
    this.bytes.push(0, 0);
    const [at, count] = NAMES_AT[rr.type] ?? [rr.rdata.length, 0];
    this.bytes.push(...rr.rdata.subarray(0, at));
    let pos = at;
    for (let i = 0; i < count; i++) {
      const len = nameLength(rr.rdata.subarray(pos));
      this.name(rr.rdata.subarray(pos, pos + len));
      pos += len;
    }
    this.bytes.push(...rr.rdata.subarray(pos));
    const len = this.bytes.length - lengthAt - 2;
    this.bytes.splice(lengthAt, 2, len >> 8, len & 0xff);
  }
}

/** The octets of the uncompressed name `a` starts with. */
function nameLength(a: Uint8Array): number {
  let pos = 0;
  while (a[pos] !== 0) pos += a[pos]! + 1;
  return pos + 1;
}

function compressed(id: number, question: Rr, sections: [Rr[], Rr[], Rr[]]): Uint8Array {
  const c = new Compressor();
  const counts = [1, ...sections.map((s) => s.length)];
  c.bytes.push(id >> 8, id & 0xff, 0x81, 0xa0, ...counts.flatMap((n) => [n >> 8, n & 0xff]));
  c.name(question.owner);
  c.bytes.push(0, question.type, 0, 1);
  for (const section of sections) for (const rr of section) c.rr(rr);
  return Uint8Array.from(c.bytes);
}

const ZONE = `Example. 3600 IN SOA ns1.Example. Host.EXAMPLE. 1 7200 3600 1209600 3600
Example. 3600 IN NS ns1.Example.
Example. 3600 IN NS ns2.example.
Example. 3600 IN MX 10 Mail.Example.
Example. 3600 IN MX 20 ns1.Example.
www.Example. 3600 IN CNAME Mail.Example.
Mail.Example. 3600 IN A 192.0.2.1
_dns._udp.Example. 3600 IN SRV 0 1 53 ns1.Example.
`;

t.test('a compressed reply with names in RDATA decodes to the signed records, which verify', async (t) => {
  const ldns = new LdnsDir();
  t.teardown(() => ldns.remove());
  const zsk = ldns.key('example.', 'ECDSAP256SHA256', false);
  const records = ldns.sign(ZONE, [zsk], { inception: 1_700_000_000, expiration: 1_800_000_000 });
  const covers = (r: Rr, type: number): boolean => r.type === type || (r.type === TYPE_RRSIG && r.rdata[1] === type);
  const answer = records.filter((r) => !covers(r, 47) && !covers(r, 48));
  const nsec = records.filter((r) => covers(r, 47));
  const dnskeys = records.filter((r) => covers(r, 48));
  const question = parseRr('Example. 1 IN MX 1 x.');
  const bytes = compressed(0xbeef, question, [answer, nsec, dnskeys]);
  const plain = [...answer, ...nsec, ...dnskeys].reduce((n, rr) => n + encodeRr(rr).length, 0);
  t.ok(bytes.length < plain * 0.9, `compressed: ${bytes.length} bytes for ${plain} of records`);
  const m = decodeMessage(bytes);
  t.ok(m);
  t.same([m!.id, m!.flags, m!.rcode, m!.opt], [0xbeef, 0x81a0, 0, null]);
  t.same(m!.question, { name: wireName('Example.'), type: 15, class: 1 });
  t.same(m!.answer.map(show), answer.map(show), 'the answer section, every name as it was written');
  t.same(m!.authority.map(show), nsec.map(show), 'NSEC next names and RRSIG signers too');
  t.same(m!.additional.map(show), dnskeys.map(show));
  let verified = 0;
  for (const sig of [...m!.answer, ...m!.authority].filter((r) => r.type === TYPE_RRSIG)) {
    const covered = (sig.rdata[0]! << 8) | sig.rdata[1]!;
    const rrset = [...m!.answer, ...m!.authority].filter((r) => r.type === covered && nameText(r.owner, 0) === nameText(sig.owner, 0));
    t.same(verifyRrset(rrset, sig, m!.additional.filter((r) => r.type === 48), 1_750_000_000, 0).ok, true, `${nameText(sig.owner, 0)}/${covered}`);
    verified++;
  }
  t.equal(verified, 10, 'SOA, NS, MX, CNAME, A, SRV and four NSEC');
  for (let cut = 0; cut < bytes.length; cut++) t.equal(decodeMessage(bytes.subarray(0, cut)), null, `cut at ${cut}`, { diagnostic: false });
});

t.test('a dns-packet message: question, sections, the OPT record reported apart', async (t) => {
  const bytes = dnsPacket.encode({
    type: 'response', id: 7, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.AUTHENTIC_DATA | 3,
    questions: [{ type: 'A', name: 'www.Example.test', class: 'IN' }],
    answers: [
      { type: 'CNAME', name: 'www.Example.test', ttl: 300, class: 'IN', data: 'Host.example.test' },
      { type: 'A', name: 'Host.example.test', ttl: 60, class: 'IN', data: '192.0.2.9' },
    ],
    authorities: [{ type: 'NS', name: 'example.test', ttl: 86400, class: 'IN', data: 'ns.example.test' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: dnsPacket.DNSSEC_OK, extendedRcode: 1, options: [] } as never],
  });
  const m = decodeMessage(bytes);
  t.ok(m);
  t.equal(m!.rcode, 3);
  t.equal(m!.flags & 0x0020, 0x0020, 'AD');
  t.same(m!.question, { name: wireName('www.Example.test.'), type: 1, class: 1 });
  t.same(m!.answer.map(show), [parseRr('www.Example.test. 300 IN CNAME Host.example.test.'), parseRr('Host.example.test. 60 IN A 192.0.2.9')].map(show));
  t.same(m!.authority.map(show), [show(parseRr('example.test. 86400 IN NS ns.example.test.'))]);
  t.same(m!.additional, []);
  t.same(m!.opt, { udpSize: 1232, do: true, rcodeHigh: 1, version: 0 });
  const cname = m!.answer[0]!;
  const first = 12 + 18 + 4; // header, www.Example.test. (dns-packet does not compress), type and class
  t.equal(hex(encodeRr(cname)), hex(bytes.subarray(first, first + encodeRr(cname).length)), 'encodeRr writes the bytes dns-packet wrote');
});

/** A header with the given counts, then `body`. */
const message = (counts: [number, number, number, number], body: number[]): Uint8Array =>
  Uint8Array.from([0, 1, 0x81, 0x80, ...counts.flatMap((n) => [n >> 8, n & 0xff]), ...body]);
const A_FIXED = [0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1];

t.test('pointer loops, pointers out of range or forward, and bad labels give null', async (t) => {
  const q = [3, 0x77, 0x77, 0x77, 0, 0, 1, 0, 1]; // www. A IN, at offset 12
  t.ok(decodeMessage(message([1, 1, 0, 0], [...q, 0xc0, 12, ...A_FIXED])), 'the control: a pointer back to the question');
  t.equal(decodeMessage(message([1, 0, 0, 0], [0xc0, 12, 0, 1, 0, 1])), null, 'a pointer to itself');
  t.equal(decodeMessage(message([1, 1, 0, 0], [...q, 0xc0, 23, ...A_FIXED])), null, 'a pointer to itself in a record');
  t.equal(decodeMessage(message([1, 1, 0, 0], [...q, 0xc0, 23 + 2, ...A_FIXED])), null, 'a pointer forward');
  t.equal(decodeMessage(message([1, 1, 0, 0], [...q, 0xff, 0xff, ...A_FIXED])), null, 'a pointer past the end');
  // The owner: a label at 21, then a pointer back to 21. Each pointer points backwards, yet the
  // label between them repeats until the name is too long.
  const loop = message([1, 1, 0, 0], [...q, 3, 0x61, 0xc0, 21, 0xc0, 21, ...A_FIXED]);
  t.equal(decodeMessage(loop), null, 'a loop through a label');
  const mxLoop = message([1, 1, 0, 0], [...q, 0xc0, 12, 0, 15, 0, 1, 0, 0, 0, 60, 0, 4, 0, 10, 0xc0, 35]);
  t.equal(decodeMessage(mxLoop), null, 'an MX name pointing to itself');
  const mxOut = message([1, 1, 0, 0], [...q, 0xc0, 12, 0, 15, 0, 1, 0, 0, 0, 60, 0, 3, 0, 10, 0xc0, 12]);
  t.equal(decodeMessage(mxOut), null, 'an MX name running past RDLENGTH');
  const mxGood = message([1, 1, 0, 0], [...q, 0xc0, 12, 0, 15, 0, 1, 0, 0, 0, 60, 0, 4, 0, 10, 0xc0, 12]);
  t.same(decodeMessage(mxGood)?.answer.map(show), [show(parseRr('www. 60 IN MX 10 www.'))], 'the control: an MX name pointing to the question');
  t.equal(decodeMessage(message([1, 0, 0, 0], [0x41, 0x61, 0, 0, 1, 0, 1])), null, 'an extended label type (0x40)');
  t.equal(decodeMessage(message([1, 0, 0, 0], [0x80, 0x61, 0, 0, 1, 0, 1])), null, 'label type 0x80');
  const long = Array.from({ length: 4 }, () => [63, ...new Array<number>(63).fill(0x61)]).flat();
  t.equal(decodeMessage(message([1, 0, 0, 0], [...long, 0, 0, 1, 0, 1])), null, 'a name of 257 octets');
  const longest = [...long.slice(0, 192), 61, ...new Array<number>(61).fill(0x62), 0]; // 255 octets
  t.same(decodeMessage(message([1, 0, 0, 0], [...longest, 0, 1, 0, 1]))?.question?.name.length, 255, 'a name of 255 octets');
});

t.test('question counts, OPT placement and header-only messages', async (t) => {
  const q = [0, 0, 2, 0, 1]; // . NS IN
  t.same(decodeMessage(message([0, 0, 0, 0], []))?.question, null, 'no question');
  t.equal(decodeMessage(message([2, 0, 0, 0], [...q, ...q])), null, 'two questions (RFC 9619)');
  t.equal(decodeMessage(Uint8Array.of(0, 1, 0x81)), null, 'shorter than a header');
  const opt = [0, 0, 41, 0x10, 0, 0, 0, 0x80, 0, 0, 0]; // DO, 4096
  t.same(decodeMessage(message([1, 0, 0, 1], [...q, ...opt]))?.opt, { udpSize: 4096, do: true, rcodeHigh: 0, version: 0 });
  t.equal(decodeMessage(message([1, 0, 0, 2], [...q, ...opt, ...opt])), null, 'two OPT records');
  t.equal(decodeMessage(message([1, 1, 0, 0], [...q, ...opt])), null, 'OPT in the answer');
  t.equal(decodeMessage(message([1, 0, 0, 1], [...q, 1, 0x61, ...opt])), null, 'OPT not at the root');
  t.equal(decodeMessage(message([1, 0, 0xff, 0xff], [...q])), null, 'counts larger than the bytes');
  t.ok(decodeMessage(message([1, 0, 0, 0], [...q, 0xde, 0xad])), 'bytes after the last record are ignored');
});

t.test('random changes to a compressed message never throw', async (t) => {
  const records = [parseRr('a.example. 60 IN MX 10 b.example.'), parseRr('a.example. 60 IN RRSIG MX 13 2 60 1 2 3 Example. AAAA')];
  const base = compressed(1, records[0]!, [records, [parseRr('example. 60 IN SOA a.example. b.example. 1 2 3 4 5')], []]);
  t.ok(decodeMessage(base));
  let seed = 12345;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  let decoded = 0;
  for (let i = 0; i < 20000; i++) {
    const b = Uint8Array.from(base);
    for (let k = 0; k <= (i % 3); k++) b[next() % b.length] = next() & 0xff;
    if (decodeMessage(b) !== null) decoded++;
  }
  t.ok(decoded > 0 && decoded < 20000, `${decoded} of 20000 decoded, the rest null`);
});

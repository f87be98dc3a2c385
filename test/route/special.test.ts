// The special-use zones dnsfwd answers itself: localhost's loopback addresses (RFC 6761 §6.3), NODATA
// with localhost's SOA for its other types, NXDOMAIN with the zone's SOA for `local` (RFC 6762 §3)
// and `invalid` (RFC 6761 §6.4).
import dnsPacket from 'dns-packet';
import t from 'tap';
import { isSpecial, SPECIAL_ZONES, type SpecialZone } from '../../src/route/special.js';
import { parseQuery } from '../../src/wire/question.js';
import { decode } from '../helpers/packets.js';

/** The TTL of every record of ours, and the negative-caching TTL (the SOA's MINIMUM). */
const SPECIAL_TTL = 10800;

const zone = (name: string): SpecialZone => {
  const z = SPECIAL_ZONES.find((s) => s.zone === name);
  if (!z) throw new Error(`no special zone ${name}`);
  return z;
};

/** dnsfwd's answer from `zone` to a query for `name`, of any type and class. */
function ask(z: SpecialZone, name: string, type: string, opts: { klass?: string; edns?: boolean } = {}) {
  const bytes = dnsPacket.encode({
    type: 'query',
    id: 0x5150,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type, class: opts.klass ?? 'IN' } as never],
    ...(opts.edns ? { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096 } as never] } : {}),
  });
  const p = parseQuery(bytes);
  if (p.kind !== 'query') throw new Error('bad test query');
  return decode(z.answer(bytes, p.question));
}

const soaOf = (name: string) => ({ name, type: 'SOA', class: 'IN', ttl: SPECIAL_TTL, data: { mname: 'localhost', rname: 'nobody.invalid', minimum: SPECIAL_TTL } });

t.test('the zones: localhost, local, invalid', async (t) => {
  t.same(SPECIAL_ZONES.map((s) => s.zone), ['localhost', 'local', 'invalid']);
});

t.test('localhost and names under it: A 127.0.0.1, AAAA ::1, owned by the name as the client wrote it', async (t) => {
  const a = ask(zone('localhost'), 'localhost', 'A');
  t.match(a, { id: 0x5150, rcode: 'NOERROR', flag_aa: true, flag_ra: true, flag_rd: true });
  t.same(a.answers, [{ name: 'localhost', type: 'A', class: 'IN', ttl: SPECIAL_TTL, flush: false, data: '127.0.0.1' }]);
  t.same(a.authorities, [], 'an answer needs no SOA');
  const aaaa = ask(zone('localhost'), 'Foo.LocalHost', 'AAAA');
  t.same(aaaa.questions, [{ name: 'Foo.LocalHost', type: 'AAAA', class: 'IN' }]);
  t.match(aaaa.answers, [{ name: 'Foo.LocalHost', type: 'AAAA', ttl: SPECIAL_TTL, data: '::1' }]);
  t.equal(aaaa.answers?.length, 1);
});

// Guards the ANY entry of localhost's records: QTYPE * gets both address records (RFC 8482 §4.2: a subset).
t.test('localhost ANY: both address records', async (t) => {
  const any = ask(zone('localhost'), 'localhost', 'ANY');
  t.same(any.answers?.map((r) => [r.type, 'data' in r ? r.data : null]), [['A', '127.0.0.1'], ['AAAA', '::1']]);
});

// Guards the `answers.length > 0 ? … : soa` choice: no answer means localhost's SOA in the authority section (RFC 2308 §3).
t.test('localhost, other types: NOERROR, no answer, the SOA of localhost.', async (t) => {
  for (const type of ['MX', 'TXT', 'SOA', 'NS', 'PTR']) {
    const r = ask(zone('localhost'), 'LocalHost', type);
    t.equal(r.rcode, 'NOERROR', type);
    t.same(r.answers, [], type);
    t.match(r.authorities, [soaOf('localhost')], `${type}: the SOA's owner is the zone, in lower case`);
  }
  t.match(ask(zone('localhost'), 'a.b.localhost', 'MX').authorities, [soaOf('localhost')], 'the zone\'s SOA, not one of the name');
});

// Guards `inClass`: address records are class IN; a question of another class gets none, QCLASS * gets them.
t.test('localhost in another class: no address records; QCLASS ANY: the IN ones', async (t) => {
  // CS (class 2): CH and HS are refused before any route (wire/question.ts), CS is not.
  const cs = ask(zone('localhost'), 'localhost', 'A', { klass: 'CS' });
  t.equal(cs.rcode, 'NOERROR');
  t.same(cs.answers, []);
  t.match(cs.authorities, [soaOf('localhost')]);
  const any = ask(zone('localhost'), 'localhost', 'A', { klass: 'ANY' });
  t.match(any.answers, [{ type: 'A', class: 'IN', data: '127.0.0.1' }]);
});

// Guards the `!this.loopback` branch: local and invalid names do not exist, whatever the type.
t.test('local and invalid: NXDOMAIN with the zone\'s SOA, for every type', async (t) => {
  for (const [z, name] of [['local', 'printer.local'], ['local', 'local'], ['invalid', 'x.invalid'], ['invalid', 'Invalid']] as const) {
    for (const type of ['A', 'AAAA', 'MX', 'ANY']) {
      const r = ask(zone(z), name, type);
      t.match(r, { rcode: 'NXDOMAIN', flag_aa: true, flag_ra: true }, `${name} ${type}`);
      t.same(r.answers, []);
      t.match(r.authorities, [soaOf(z)]);
      t.equal(r.authorities?.length, 1);
    }
  }
});

t.test('our OPT record for an EDNS client', async (t) => {
  t.match(ask(zone('local'), 'printer.local', 'A', { edns: true }).additionals, [{ type: 'OPT', udpPayloadSize: 1232 }]);
  t.same(ask(zone('local'), 'printer.local', 'A').additionals, []);
});

t.test('isSpecial: the zones and the zones under them, label by label', async (t) => {
  for (const z of ['localhost', 'a.localhost', 'local', 'corp.local', 'invalid', 'x.y.invalid']) t.equal(isSpecial(z), true, z);
  for (const z of ['notlocal', 'localhost.example', 'local.example', 'xinvalid', 'example']) t.equal(isSpecial(z), false, z);
});

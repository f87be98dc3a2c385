// Answer records in presentation form, as dig prints them (for `dnsfwd explain --query`), and
// record types read back from their names.
import dnsPacket from 'dns-packet';
import t from 'tap';
import { typeName, typeNumber } from '../../src/wire/mnemonics.js';
import { answerRecords } from '../../src/wire/presentation.js';

function reply(answers: unknown[]): Buffer {
  return dnsPacket.encode({ type: 'response', id: 1, questions: [{ type: 'A', name: 'x.test', class: 'IN' }], answers } as never);
}

t.test('each common type as dig writes it', async (t) => {
  const r = reply([
    { type: 'A', name: 'Web.Service.CONSUL', ttl: 0, class: 'IN', data: '10.0.0.5' },
    { type: 'AAAA', name: 'x.test', ttl: 5, class: 'IN', data: '2001:db8::1' },
    { type: 'CNAME', name: 'www.x.test', ttl: 60, class: 'IN', data: 'x.test' },
    { type: 'MX', name: 'x.test', ttl: 60, class: 'IN', data: { preference: 10, exchange: 'mail.x.test' } },
    { type: 'SRV', name: '_web._tcp.x.test', ttl: 60, class: 'IN', data: { priority: 1, weight: 2, port: 8080, target: 'node1.x.test' } },
    { type: 'TXT', name: 'x.test', ttl: 60, class: 'IN', data: ['v=spf1 -all', 'say "hi"'] },
    { type: 'PTR', name: '5.0.0.10.in-addr.arpa', ttl: 60, class: 'IN', data: 'web.x.test' },
    { type: 'SOA', name: 'x.test', ttl: 60, class: 'IN', data: { mname: 'ns.x.test', rname: 'h.x.test', serial: 7, refresh: 1, retry: 2, expire: 3, minimum: 4 } },
    { type: 'UNKNOWN_65400', name: 'x.test', ttl: 60, class: 'IN', data: Buffer.from([0xab, 0xcd]) },
  ]);
  t.same(answerRecords(r), [
    'web.service.consul. 0 IN A 10.0.0.5',
    'x.test. 5 IN AAAA 2001:db8::1',
    'www.x.test. 60 IN CNAME x.test.',
    'x.test. 60 IN MX 10 mail.x.test.',
    '_web._tcp.x.test. 60 IN SRV 1 2 8080 node1.x.test.',
    'x.test. 60 IN TXT "v=spf1 -all" "say \\"hi\\""',
    '5.0.0.10.in-addr.arpa. 60 IN PTR web.x.test.',
    'x.test. 60 IN SOA ns.x.test. h.x.test. 7 1 2 3 4',
    'x.test. 60 IN TYPE65400 \\# 2 abcd',
  ]);
  t.same(answerRecords(reply([])), []);
  t.equal(answerRecords(Buffer.from([1, 2, 3])), null, 'a reply that does not decode');
});

t.test('typeNumber: mnemonics in any case, TYPEnnn from 1 to 65535, nothing else', async (t) => {
  t.equal(typeNumber('A'), 1);
  t.equal(typeNumber('aaaa'), 28);
  t.equal(typeNumber('Srv'), 33);
  t.equal(typeNumber('AXFR'), 252);
  t.equal(typeNumber('TYPE65'), 65);
  t.equal(typeNumber('type1'), 1);
  t.equal(typeNumber('TYPE65535'), 65535);
  for (const bad of ['TYPE0', 'TYPE65536', 'TYPE', 'TYPE-1', 'BOGUS', '', '1', 'A ']) t.equal(typeNumber(bad), null, bad);
  for (const n of [1, 28, 33, 65, 255, 257, 1234]) t.equal(typeNumber(typeName(n)), n, `round trip ${n}`);
});

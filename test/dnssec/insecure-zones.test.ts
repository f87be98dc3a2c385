import t from 'tap';
import { INSECURE_BY_DEFAULT, insecureTest } from '../../src/dnssec/insecure-zones.js';
import { presentationToWire } from '../../src/wire/name.js';

const w = (s: string) => presentationToWire(s);

t.test('insecureTest: a zone and every name under it, label by label, in any case', async (t) => {
  const test = insecureTest(['corp.example', '10.in-addr.arpa']);
  t.ok(test(w('corp.example')));
  t.ok(test(w('www.Corp.EXAMPLE')));
  t.ok(test(w('4.3.2.10.in-addr.arpa')));
  t.notOk(test(w('notcorp.example')), 'not a label boundary');
  t.notOk(test(w('example')), 'a parent is not under it');
  t.notOk(test(w('')), 'the root');
  t.notOk(test(w('110.in-addr.arpa')));
});

t.test('the built-in list: special-use names and private reverse zones, no public zone', async (t) => {
  const test = insecureTest(INSECURE_BY_DEFAULT);
  for (const n of ['x.test', 'localhost', 'a.local', 'b.invalid', 'c.onion', 'd.home.arpa', '1.0.168.192.in-addr.arpa', '5.31.172.in-addr.arpa', '1.1.64.100.in-addr.arpa']) t.ok(test(w(n)), n);
  for (const n of ['example.com', 'example', '1.32.172.in-addr.arpa', '1.63.100.in-addr.arpa', 'arpa']) t.notOk(test(w(n)), n);
});

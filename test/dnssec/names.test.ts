import t from 'tap';
import { compareNames, isSubdomain, isWildcard, labelCount, lowerName, nameEquals, parentName, stripLabels } from '../../src/dnssec/names.js';
import { nameText, presentationToWire } from '../../src/wire/name.js';

const w = (s: string): Uint8Array => presentationToWire(s);
const text = (b: Uint8Array): string => nameText(b, 0);

t.test('RFC 4034 §6.1: the example names sort in the order the RFC lists them', async (t) => {
  const ordered = ['example', 'a.example', 'yljkjljk.a.example', 'Z.a.example', 'zABC.a.EXAMPLE', 'z.example', '\\001.z.example', '*.z.example', '\\200.z.example'];
  const shuffled = [...ordered].reverse();
  shuffled.sort((a, b) => compareNames(w(a), w(b)));
  t.same(shuffled, ordered);
  t.equal(compareNames(w('Z.a.example'), w('z.A.EXAMPLE')), 0, 'case is ignored');
  t.ok(compareNames(w(''), w('example')) < 0, 'the root first');
});

t.test('labels, wildcards and parents', async (t) => {
  t.equal(labelCount(w('')), 0);
  t.equal(labelCount(w('www.example.test')), 3);
  t.ok(isWildcard(w('*.example')));
  t.notOk(isWildcard(w('a*.example')));
  t.equal(text(parentName(w('www.example.test'))), 'example.test');
  t.equal(text(parentName(w(''))), '');
  t.equal(text(stripLabels(w('a.b.c'), 5)), '');
  t.equal(text(lowerName(w('WwW.ExAmple'))), 'www.example');
});

t.test('subdomains respect label boundaries and ignore case', async (t) => {
  t.ok(isSubdomain(w('www.Example.test'), w('example.TEST')));
  t.ok(isSubdomain(w('example.test'), w('example.test')), 'a zone is within itself');
  t.ok(isSubdomain(w('anything'), w('')), 'everything is under the root');
  t.notOk(isSubdomain(w('notexample.test'), w('example.test')));
  t.notOk(isSubdomain(w('test'), w('example.test')));
  t.ok(nameEquals(w('A.b'), w('a.B')));
  t.notOk(nameEquals(w('ab'), w('a.b')));
});

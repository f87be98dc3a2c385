import { existsSync, readFileSync } from 'node:fs';
import t from 'tap';
import { dsMatches } from '../../src/dnssec/algorithms.js';
import { builtInAnchors, mergeAnchors, parseAnchors, ROOT_ANCHORS_TEXT } from '../../src/dnssec/anchors.js';
import { TYPE_DNSKEY, TYPE_DS } from '../../src/dnssec/types.js';
import { nameText } from '../../src/wire/name.js';

/** Debian's dns-root-data: the root anchors as the distribution ships them. */
function rootData(file: string): string {
  const path = `/usr/share/dns/${file}`;
  if (!existsSync(path)) throw new Error(`${path} is required by the tests and was not found: apt-get install -y dns-root-data (or run .ci/run)`);
  return readFileSync(path, 'utf8');
}

t.test('the built-in root anchors are the DS records Debian ships in root.ds', async (t) => {
  const shipped = parseAnchors(rootData('root.ds'));
  if (!shipped.ok) throw new Error(`root.ds: line ${shipped.line}: ${shipped.reason}`);
  const ours = builtInAnchors();
  t.same([...ours.keys()], [''], 'the root only');
  t.same(ours.get('')!.ds.map((r) => Buffer.from(r.rdata).toString('hex')), shipped.anchors.get('')!.ds.map((r) => Buffer.from(r.rdata).toString('hex')));
  t.same(ours.get('')!.ds.map((r) => (r.rdata[0]! << 8) | r.rdata[1]!), [20326, 38696], 'key tags');
  t.equal(ROOT_ANCHORS_TEXT.split('\n').length, 2);
});

t.test("root.key's DNSKEY lines, with their trailing comments, parse", async (t) => {
  const r = parseAnchors(rootData('root.key'));
  if (!r.ok) throw new Error(`root.key: line ${r.line}: ${r.reason}`);
  const root = r.anchors.get('')!;
  t.equal(root.dnskey.length, 2);
  t.equal(root.ds.length, 0);
  t.ok(root.dnskey.every((k) => k.type === TYPE_DNSKEY && k.rdata[0] === 1 && k.rdata[1] === 1 && k.rdata[3] === 8), 'flags 257, algorithm 8');
  const ds = builtInAnchors().get('')!.ds;
  t.ok(ds.every((d) => root.dnskey.some((k) => dsMatches(d, k))), 'each built-in DS names one of the root KSKs Debian ships');
});

t.test('presentation forms: TTL and class in either order, parentheses, hex with spaces, case of owners', async (t) => {
  const r = parseAnchors(
    [
      '; a comment line',
      'Example.TEST. 3600 IN DS 12345 13 2 ( AABBCCDD',
      '    EEFF0011 ) ; the digest over two lines',
      'example.test. IN 7200 DNSKEY 257 3 13 ( mdsswUyr3DPW132mOi8V9xESWE8jTo0d',
      '  xCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ== )',
      'other.test. DS 1 8 4 00ff',
    ].join('\n'),
  );
  if (!r.ok) throw new Error(`line ${r.line}: ${r.reason}`);
  t.same([...r.anchors.keys()], ['example.test', 'other.test']);
  const ex = r.anchors.get('example.test')!;
  t.equal(nameText(ex.zone, 0), 'example.test', 'owner lower-cased');
  t.equal(ex.ds[0]!.type, TYPE_DS);
  t.equal(ex.ds[0]!.ttl, 3600);
  t.equal(Buffer.from(ex.ds[0]!.rdata).toString('hex'), '3039' + '0d' + '02' + 'aabbccddeeff0011');
  t.equal(ex.dnskey[0]!.ttl, 7200);
  t.equal(ex.dnskey[0]!.rdata.length, 4 + 64, 'a P-256 key is 64 octets');
  t.equal(r.anchors.get('other.test')!.ds[0]!.rdata[3], 4, 'digest type 4');
});

t.test('errors name the line and the reason', async (t) => {
  const cases: [string, number, RegExp][] = [
    ['. IN DS 20326 8 2 XYZ', 1, /hex/],
    ['\nexample.test IN DS 1 8 2 00', 2, /absolute/],
    ['. IN A 192.0.2.1', 1, /only DS and DNSKEY/],
    ['. IN DS 70000 8 2 00', 1, /key tag/],
    ['. IN DNSKEY 257 2 8 AwEAAQ==', 1, /protocol must be 3/],
    ['. IN DNSKEY 1 3 8 AwEAAQ==', 1, /Zone Key bit/],
    ['. IN DNSKEY 257 3 8 not*base64', 1, /base64/],
    ['$TTL 3600\n. IN DS 1 8 2 00', 1, /directive \$TTL/],
    ['\n\n. IN DS 1 8 2 ( 00', 3, /parenthesis left open/],
    ['. IN DS 1 8 2 00 )', 1, /closing parenthesis/],
    ['a..b. IN DS 1 8 2 00', 1, /empty label/],
    ['. 3600 IN', 1, /without a type/],
  ];
  for (const [text, line, reason] of cases) {
    const r = parseAnchors(text);
    t.equal(r.ok, false, text);
    if (!r.ok) {
      t.equal(r.line, line, `${text}: line`);
      t.match(r.reason, reason, `${text}: reason`);
    }
  }
});

t.test("a file's root anchors replace the built-in ones; its other zones add to them", async (t) => {
  const file = parseAnchors('. IN DS 1 13 2 00ff\nlab.test. IN DS 2 13 2 ffee');
  if (!file.ok) throw new Error(file.reason);
  const merged = mergeAnchors(builtInAnchors(), file.anchors);
  t.same([...merged.keys()].sort(), ['', 'lab.test']);
  t.same(merged.get('')!.ds.map((r) => (r.rdata[0]! << 8) | r.rdata[1]!), [1], 'the test root only');
  const added = parseAnchors('lab.test. IN DS 2 13 2 ffee');
  if (!added.ok) throw new Error(added.reason);
  t.same([...mergeAnchors(builtInAnchors(), added.anchors).keys()].sort(), ['', 'lab.test'], 'the root kept');
  t.equal(mergeAnchors(builtInAnchors(), added.anchors).get('')!.ds.length, 2);
});

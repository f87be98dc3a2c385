import t from 'tap';
import { bitmapTypes, encodeBitmap, hasType, parseBitmap } from '../../src/dnssec/bitmap.js';

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

t.test('RFC 4034 §4.3: the example bitmap A MX RRSIG NSEC TYPE1234', async (t) => {
  // From the RFC's example NSEC RDATA: window 0 (6 octets), window 4 (27 octets, bit 0xd2).
  const w4 = new Array<number>(27).fill(0);
  w4[26] = 0x20;
  const raw = bytes(0x00, 0x06, 0x40, 0x01, 0x00, 0x00, 0x00, 0x03, 0x04, 0x1b, ...w4);
  const map = parseBitmap(raw);
  t.ok(map);
  t.same(bitmapTypes(map!), [1, 15, 46, 47, 1234]);
  for (const ty of [1, 15, 46, 47, 1234]) t.ok(hasType(map!, ty), `has ${ty}`);
  for (const ty of [2, 5, 16, 43, 48, 1233, 1235, 256, 65535]) t.notOk(hasType(map!, ty), `lacks ${ty}`);
  t.same(encodeBitmap([1234, 1, 47, 15, 46]), raw, 'the encoder writes the same bytes');
});

t.test('an empty bitmap is valid and has no type', async (t) => {
  const map = parseBitmap(new Uint8Array(0));
  t.ok(map);
  t.notOk(hasType(map!, 1));
  t.same(bitmapTypes(map!), []);
});

t.test('types past a window block length are absent; high windows are read', async (t) => {
  const map = parseBitmap(encodeBitmap([1, 65535]))!;
  t.ok(hasType(map, 65535));
  t.notOk(hasType(map, 16), 'octet 2 is beyond window 0 length 1');
  t.notOk(hasType(map, 65534));
});

t.test('malformed bitmaps are rejected, never throw', async (t) => {
  const cases: [string, Uint8Array][] = [
    ['a lone window number', bytes(0x00)],
    ['length 0', bytes(0x00, 0x00)],
    ['length 33', bytes(0x00, 33, ...new Array<number>(33).fill(0xff))],
    ['length past the end', bytes(0x00, 0x04, 0x40)],
    ['windows out of order', bytes(0x01, 0x01, 0x80, 0x00, 0x01, 0x40)],
    ['a window twice', bytes(0x00, 0x01, 0x40, 0x00, 0x01, 0x20)],
    ['trailing byte after a valid block', bytes(0x00, 0x01, 0x40, 0x05)],
  ];
  for (const [what, raw] of cases) t.equal(parseBitmap(raw), null, what);
});

t.test('trailing zero octets add nothing and are accepted', async (t) => {
  const map = parseBitmap(bytes(0x00, 0x03, 0x40, 0x00, 0x00));
  t.ok(map);
  t.same(bitmapTypes(map!), [1]);
});

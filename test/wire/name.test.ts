// Names in wire format: ASCII case folding (only 'A'..'Z', RFC 4343) and the presentation form
// with `\DDD` escapes (RFC 1035 §5.1), and presentation names back to wire format.
import t from 'tap';
import { lowerAscii, nameText, presentationToWire } from '../../src/wire/name.js';

// Guards both ends of the 'A'..'Z' range: '@' (0x40) and '[' (0x5b) sit just outside it.
t.test("only 'A'..'Z' fold: the bytes just outside the range stay as they are", async (t) => {
  t.equal(lowerAscii(0x41), 0x61, "'A' folds");
  t.equal(lowerAscii(0x5a), 0x7a, "'Z' folds");
  t.equal(lowerAscii(0x40), 0x40, "'@' does not become '`'");
  t.equal(lowerAscii(0x5b), 0x5b, "'[' does not become '{'");
  t.equal(lowerAscii(0x03), 0x03, 'a label length byte does not change');
  t.equal(lowerAscii(0xc1), 0xc1, 'a Latin-1 capital does not fold');
});

// Guards each term of the escape test: '.', '\\', bytes up to space, bytes from DEL up.
t.test('dots, backslashes, space and DEL inside a label are escaped as \\DDD', async (t) => {
  const name = Uint8Array.from([7, 0x61, 0x2e, 0x5c, 0x20, 0x7f, 0x21, 0x7e, 3, 0x43, 0x4f, 0x4d, 0]);
  t.equal(nameText(name, 0), 'a\\046\\092\\032\\127!~.com');
  t.equal(nameText(Uint8Array.from([2, 0x1f, 0x80, 0]), 0), '\\031\\128', 'control and high bytes');
});

// Guards the root case: '' is the root name, a single zero byte, not an empty label before it.
t.test("presentationToWire: '' is the root, one zero byte", async (t) => {
  t.same([...presentationToWire('')], [0]);
  t.same([...presentationToWire('a\\046b.c')], [3, 0x61, 0x2e, 0x62, 1, 0x63, 0], 'an escaped dot stays inside its label');
});

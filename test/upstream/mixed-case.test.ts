// 0x20 randomisation of a wire-format name: letters only, each in either case.
import t from 'tap';
import { randomiseCase } from '../../src/upstream/mixed-case.js';

const wire = (name: string) => Buffer.from([...name.split('.').flatMap((l) => [l.length, ...Buffer.from(l, 'latin1')]), 0]);

t.test('only ASCII letters change, and only their case', async (t) => {
  // Bytes around the letters: '@' (0x40) and '[' (0x5b), '`' (0x60) and '{' (0x7b) flip bit 0x20 too
  // if taken for letters; digits, '-' and the length bytes must stay.
  const name = wire('a0-z@[`{Z.M9');
  const spellings = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const b = Buffer.from(name);
    randomiseCase(b, 0, b.length);
    t.equal(b.toString('latin1').toLowerCase(), name.toString('latin1').toLowerCase(), 'the same name, case aside');
    for (const at of [0, 2, 3, 5, 6, 7, 8, 10, 12, 13]) if (b[at] !== name[at]) t.fail(`byte ${at} (not a letter) changed`);
    spellings.add(b.toString('latin1'));
  }
  t.equal(spellings.size, 16, 'four letters: all 16 spellings, from 200 tries');
});

t.test('only the given range', async (t) => {
  const b = Buffer.from('xxABCDxx', 'latin1');
  for (let i = 0; i < 50; i++) randomiseCase(b, 2, 6);
  t.equal(b.subarray(0, 2).toString('latin1') + b.subarray(6).toString('latin1'), 'xxxx');
});

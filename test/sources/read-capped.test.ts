// Reading a source file under its cap: a regular file too big is not read at all; anything else is
// read to one byte past the cap and then given up; a FIFO without a writer does not block.
import { execFileSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { readCapped } from '../../src/sources/read-capped.js';

t.test('a regular file: read whole when within the cap, refused unread when over', async (t) => {
  const dir = t.testdir({ 'small.leases': 'lease {}\n', 'big.leases': 'x'.repeat(5000) });
  t.same(await readCapped(`${dir}/small.leases`, 1024, 'utf8'), { ok: true, text: 'lease {}\n' });
  t.same(await readCapped(`${dir}/big.leases`, 5000, 'utf8'), { ok: true, text: 'x'.repeat(5000) }, 'exactly the cap');
  t.same(await readCapped(`${dir}/big.leases`, 4999, 'utf8'), {
    ok: false,
    code: 'TOO_BIG',
    reason: 'larger than max_bytes (4999): 5000 bytes; not read',
  });
  t.same(await readCapped(`${dir}/none.leases`, 1024, 'utf8'), { ok: false, code: 'ENOENT' });
  t.match(await readCapped(dir, 1024, 'utf8'), { ok: false, code: 'EISDIR' });
});

t.test('/dev/zero behind a symlink: read to the cap, then given up', async (t) => {
  const dir = t.testdir({});
  symlinkSync('/dev/zero', `${dir}/zero.leases`);
  t.same(await readCapped(`${dir}/zero.leases`, 65536, 'utf8'), {
    ok: false,
    code: 'TOO_BIG',
    reason: 'larger than max_bytes (65536): not a regular file, and more than that; not read',
  });
});

t.test('a FIFO with no writer: nothing to read, at once', async (t) => {
  const dir = t.testdir({});
  execFileSync('mkfifo', [`${dir}/fifo.leases`]);
  t.same(await readCapped(`${dir}/fifo.leases`, 1024, 'utf8'), { ok: true, text: '' });
});

t.test('latin1 keeps one character per byte', async (t) => {
  const dir = t.testdir({});
  writeFileSync(`${dir}/raw.bin`, Buffer.from([0, 255, 128]));
  t.same(await readCapped(`${dir}/raw.bin`, 1024, 'latin1'), { ok: true, text: '\u0000\u00ff\u0080' });
});

// Reading the kernel's drops of our UDP listening sockets from /proc/self/net/udp and udp6: the
// columns as Linux prints them (fixture text, both byte orders), the sum over our endpoints, and
// the real file for a socket of this process.
import dgram from 'node:dgram';
import t from 'tap';
import { dropsOn, parseProcUdp, readUdpDrops } from '../../src/server/udp-drops.js';

const UDP = [
  '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops            ',
  ' 2491: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 11003197 2 00000000470da4c9 17     ',
  ' 2492: 0200007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 11003198 2 00000000470da4ca 0      ',
  ' 2493: 00000000:14E9 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 11003199 2 00000000470da4cb 5      ',
  ' 2494: 0100007F:D431 0100007F:0035 01 00000000:00000000 00:00000000 00000000     0        0 11003200 2 00000000470da4cc 100    ',
  'not a socket line',
  '',
].join('\n');

const UDP6 = [
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
  '  100: 00000000000000000000000001000000:0035 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 2001 2 0000000000000000 3',
  '  101: B80D0120000000000000000001000000:0035 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 2002 2 0000000000000000 4',
].join('\n');

const ep = (host: string, port: number) => ({ host, port, family: (host.includes(':') ? 6 : 4) as 4 | 6 });

t.test('parses local address, port and drops; lines that are no socket are skipped', async (t) => {
  const lines = parseProcUdp(UDP, 4, 'LE');
  t.equal(lines.length, 4);
  t.same(lines[0], { family: 4, address: 0x7f000001n, port: 53, drops: 17 });
  t.same(lines[2], { family: 4, address: 0n, port: 5353, drops: 5 });
  const be = parseProcUdp(UDP.replace('0100007F:0035', '7F000001:0035'), 4, 'BE');
  t.equal(be[0]!.address, 0x7f000001n, 'a big-endian host prints the address in network order');
  const v6 = parseProcUdp(UDP6, 6, 'LE');
  t.same(v6.map((l) => [l.address, l.port, l.drops]), [
    [1n, 53, 3],
    [0x20010db8000000000000000000000001n, 53, 4],
  ]);
  t.same(parseProcUdp('', 4), [], 'an empty file');
});

t.test('sums the drops of the sockets bound to our endpoints only', async (t) => {
  const lines = [...parseProcUdp(UDP, 4, 'LE'), ...parseProcUdp(UDP6, 6, 'LE')];
  t.equal(dropsOn(lines, [ep('127.0.0.1', 53)]), 17, "not the upstream socket connected to 127.0.0.1:53, nor 127.0.0.2's");
  t.equal(dropsOn(lines, [ep('127.0.0.1', 53), ep('127.0.0.2', 53), ep('::1', 53), ep('2001:db8::1', 53)]), 24);
  t.equal(dropsOn(lines, [ep('0.0.0.0', 5353)]), 5, 'a wildcard address');
  t.equal(dropsOn(lines, [ep('127.0.0.1', 5353)]), 0, 'another port');
  t.equal(dropsOn(lines, []), 0);
});

t.test('reads the real files: a socket of ours is found, with no drops', async (t) => {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  t.teardown(() => s.close());
  t.equal(readUdpDrops([ep('127.0.0.1', s.address().port)]), 0);
  const lines = parseProcUdp(await import('node:fs').then((fs) => fs.readFileSync('/proc/self/net/udp', 'utf8')), 4);
  t.ok(lines.some((l) => l.address === 0x7f000001n && l.port === s.address().port), 'listed in /proc/self/net/udp');
});

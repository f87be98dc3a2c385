// A lease file an operator would never expect to see, while a client keeps asking: a 200 MB file
// of valid blocks, a symlink to /dev/zero, then a big but allowed file. The first two are refused
// before they are read (max_bytes) and the last good servers stay; the big one is parsed off the
// main thread. The client is answered throughout, and dnsfwd stays up.
import { renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import t from 'tap';
import { startDnsfwd } from '../helpers/daemon.js';
import { aRecord, startFake } from '../helpers/fake-upstream.js';
import { leaseBlock } from '../helpers/lease.js';
import { decode, query } from '../helpers/packets.js';
import { freePort } from '../helpers/ports.js';
import { udpExchange } from '../helpers/udp-client.js';
import { requireRoot } from '../helpers/tools.js';

requireRoot('the lease chaos test runs fake DHCP-given servers on 127.0.64.x port 53');
const LISTEN = '127.0.64.1';
const FIRST = '127.0.64.2';
const SECOND = '127.0.64.3';

const first = await startFake({ address: FIRST, port: 53, answer: (name) => ({ answers: [aRecord(name, '10.64.0.2', 0)] }) });
const second = await startFake({ address: SECOND, port: 53, answer: (name) => ({ answers: [aRecord(name, '10.64.0.3', 0)] }) });
t.teardown(() => Promise.all([first.close(), second.close()]));

/** Asks `n`.example.com over and over until stopped; every answer's address and latency. */
function canary(port: number) {
  const seen: { address: string; ms: number }[] = [];
  let running = true;
  const done = (async () => {
    for (let i = 0; running; i++) {
      const started = process.hrtime.bigint();
      const reply = decode(await udpExchange(LISTEN, port, query(`c${i}.example.com`)));
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      seen.push({ address: String((reply.answers?.[0] as { data?: unknown } | undefined)?.data), ms });
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return { seen, stop: async () => ((running = false), await done) };
}

t.test('a 200 MB lease file and /dev/zero are refused unread; a big valid one is parsed; the client is answered throughout', async (t) => {
  const dir = t.testdir({});
  const leases = `${dir}/dhclient.leases`;
  writeFileSync(leases, leaseBlock([FIRST]));
  const port = await freePort(LISTEN);
  const d = await startDnsfwd(['--listen', `${LISTEN}:${port}`, '--lease-file', leases]);
  t.teardown(() => d.stop());
  const c = canary(port);

  // 200 MB of valid blocks, written beside the file and renamed over it (as dhclient rewrites).
  let since = d.logs.length;
  const block = leaseBlock([SECOND]);
  const chunk = block.repeat(Math.ceil(1_048_576 / block.length));
  // Written asynchronously: the test's own event loop keeps serving the canary meanwhile.
  const fd = await open(`${dir}/big.tmp`, 'w');
  for (let written = 0; written < 200 * 1_048_576; written += chunk.length) await fd.write(chunk);
  await fd.close();
  renameSync(`${dir}/big.tmp`, leases);
  const tooBig = await d.waitForLog((l) => l.msg === 'source file unusable; keeping the last good servers' && /larger than max_bytes/.test(String(l.reason)), 20_000, since);
  t.match(tooBig.reason, /larger than max_bytes \(2097152\): \d{9} bytes; not read/);

  // A symlink to /dev/zero: read to the cap, then given up.
  since = d.logs.length;
  rmSync(leases);
  symlinkSync('/dev/zero', leases);
  const zero = await d.waitForLog((l) => l.msg === 'source file unusable; keeping the last good servers' && /not a regular file/.test(String(l.reason)), 20_000, since);
  t.match(zero.reason, /larger than max_bytes \(2097152\): not a regular file/);

  // 1.5 MB of valid blocks naming the second server: under the cap, parsed off the main thread.
  since = d.logs.length;
  rmSync(leases);
  writeFileSync(`${dir}/ok.tmp`, block.repeat(Math.ceil(1_500_000 / block.length)));
  renameSync(`${dir}/ok.tmp`, leases);
  await d.waitForLog((l) => l.msg === 'default route servers changed' && JSON.stringify(l.new) === JSON.stringify([`${SECOND}:53`]), 20_000, since);
  const answered = await udpExchange(LISTEN, port, query('after.example.com'));
  t.equal((decode(answered).answers?.[0] as { data?: unknown } | undefined)?.data, '10.64.0.3', 'the big file\'s server answers');

  await c.stop();
  const worst = Math.max(...c.seen.map((s) => s.ms));
  t.comment(`${c.seen.length} canary queries, slowest answer ${worst.toFixed(1)} ms`);
  t.ok(c.seen.length > 10, `the canary asked ${c.seen.length} times`);
  t.ok(c.seen.every((s) => s.address === '10.64.0.2' || s.address === '10.64.0.3'), 'every canary query answered, by one of the two servers');
  const beforeSwitch = c.seen.filter((s) => s.address === '10.64.0.3').length;
  t.ok(beforeSwitch < c.seen.length, 'the first server answered while the bad files were refused (its servers kept)');
  t.ok(d.alive, 'still running');
});

// End to end at boot: the guest starts with the last boot's dhclient lease and no address yet;
// dnsfwd answers .consul, answers SERVFAIL at once while the lease's nameservers are unreachable,
// and answers through them once dhclient has configured the interface.
import { writeFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import type { DaemonProcess } from '../helpers/daemon.js';
import { leaseBlock } from '../helpers/lease.js';
import { dhclient } from './lab/clients/dhclient.js';
import { Guest } from './lab/guest.js';
import { CONSUL, startConsulDns, startGuestDnsfwd } from './lab/guest-services.js';
import { checkUntouched, snapshotHostState } from './lab/host-state.js';
import { OUTSIDE, startHostServers } from './lab/host-servers.js';
import { Lab, NET } from './lab/lab.js';
import { digGuest } from './lab/lookups.js';
import { sleep } from './lab/process.js';
import { requireRoot, requireTool } from '../helpers/tools.js';

/** How a failed attempt on an upstream is logged: the first time it fails, and after. */
const FAILED = ['upstream failed: moved to the back of the order', 'upstream failed'];

requireRoot('the end-to-end tests (test/e2e) create network namespaces and mounts');
for (const tool of [...dhclient.tools, 'dnsmasq', 'dig']) requireTool(tool);
const before = snapshotHostState();
let names: string[] = [];

await t.test('a dhclient guest boots with the last lease and no address', async (t) => {
  const lab = Lab.create(t);
  names = [lab.host, lab.guest];
  await startHostServers(lab, [NET.host1, NET.host2]);
  const guest = await Guest.start(lab, dhclient.etc());
  writeFileSync(guest.hostPath(`/var/lib/dhcp/dhclient.${NET.guestIf}.leases`), leaseBlock([NET.host1, NET.host2], NET.guestIf));
  await startConsulDns(guest);
  const daemon = await startGuestDnsfwd(guest, ['--log-level', 'debug']); // debug: each failed attempt and why
  const started = await daemon.waitForMsg('dnsfwd started');
  t.same((started.routes as Record<string, string[]>)['.'], [`${NET.host1}:53`, `${NET.host2}:53`], 'the last lease\'s nameservers from the start');

  await beforeTheNetwork(t, guest, daemon);
  t.ok(daemon.alive, 'dnsfwd keeps running');
  const client = dhclient.start(guest);
  await client.proc.waitOutput(/bound to/, 20_000);
  t.ok(await answersWithin(guest, OUTSIDE.name, OUTSIDE.viaHost1, 10_000), `${OUTSIDE.name} answered once the interface is up`);
  t.equal(await daemon.stop(), 0, 'dnsfwd exits 0 on SIGTERM');
});

t.test('the machine is as it was', async (t) => checkUntouched(t, before, names));

async function beforeTheNetwork(t: Test, guest: Guest, daemon: DaemonProcess): Promise<void> {
  const consul = await digGuest(guest, CONSUL.name);
  t.same(consul.answers.map((a) => a.data), [CONSUL.address], '.consul answers before the network is up', { raw: consul.raw });
  for (const attempt of ['', ', again']) {
    const since = daemon.logs.length;
    const outside = await digGuest(guest, OUTSIDE.name);
    t.equal(outside.status, 'SERVFAIL', `no route to the nameservers yet: SERVFAIL${attempt}`, { raw: outside.raw });
    // The daemon's lines reach us through a pipe: wait for the second server's failure.
    await daemon.waitForLog((l) => FAILED.includes(String(l.msg)) && l.server === `${NET.host2}:53`, 10_000, since);
    const failures = daemon.logs.slice(since).filter((l) => FAILED.includes(String(l.msg)));
    t.same(
      failures.map((l) => [l.server, l.reason]),
      [NET.host1, NET.host2].map((h) => [`${h}:53`, 'UPSTREAM_REFUSED']),
      `at once: both servers refused (no route), neither waited for a timeout${attempt}`,
    );
  }
}

/** Whether dig through dnsfwd gets `address` for `name` within `ms`. */
async function answersWithin(guest: Guest, name: string, address: string, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if ((await digGuest(guest, name)).answers.some((a) => a.data === address)) return true;
    await sleep(100);
  }
  return false;
}

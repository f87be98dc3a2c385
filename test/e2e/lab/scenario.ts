// The end-to-end story every DHCP client goes through: a real DHCP server hands the guest its
// nameservers, dnsfwd follows them, dig, glibc and musl resolve through dnsfwd, the server hands
// out other nameservers, dnsfwd follows again; the machine itself is left as it was.
import { statSync } from 'node:fs';
import type { Test } from 'tap';
import type { DaemonProcess } from '../../helpers/daemon.js';
import type { ClientSetup, DhcpClient } from './clients/client.js';
import { logTime, measureFollow } from './follow.js';
import { Guest } from './guest.js';
import { CONSUL, startConsulDns, startGuestDnsfwd } from './guest-services.js';
import { checkUntouched, snapshotHostState } from './host-state.js';
import { DOMAIN, NODE1, OUTSIDE, startHostServers, type HostNameserver } from './host-servers.js';
import { Lab, NET } from './lab.js';
import { pollUntil } from './process.js';
import { buildMuslLookup, digGuest, lookup, type Resolver } from './lookups.js';
import { requireRoot, requireTool } from '../../helpers/tools.js';

/**
 * How long to wait for dnsfwd's log line after a change: it reads a changed file after 100 ms of
 * quiet (400 ms at most) and sees a new directory within 300 ms; the rest is slack for a busy
 * machine. How fast it follows is printed here and measured in bench/, not asserted.
 */
const FOLLOW_BOUND_MS = 10_000;
const RESOLVERS: readonly Resolver[] = ['dig', 'getent', 'musl'];

interface World {
  readonly lab: Lab;
  readonly guest: Guest;
  readonly dhcpServer: HostNameserver;
  readonly daemon: DaemonProcess;
  readonly client: DhcpClient;
  readonly musl: string;
}

export async function clientScenario(t: Test, setup: ClientSetup): Promise<void> {
  requireRoot('the end-to-end tests (test/e2e) create network namespaces and mounts');
  for (const tool of [...setup.tools, 'dnsmasq', 'dig', 'getent', 'musl-gcc']) requireTool(tool);
  const before = snapshotHostState();
  let names: string[] = [];
  await t.test(`${setup.name} on a guest of a libvirt-like network`, async (t) => {
    const world = await buildWorld(t, setup);
    names = [world.lab.host, world.lab.guest];
    const steps: Array<[string, (t: Test) => Promise<void>]> = [
      ['the lease reaches dnsfwd', (t) => leaseReachesDnsfwd(t, world)],
      ['dig, glibc and musl resolve through dnsfwd', (t) => resolveAll(t, world, OUTSIDE.viaHost1)],
      ['other nameservers from the DHCP server are followed', (t) => followsChange(t, world, setup.name)],
      ['and resolve through dnsfwd', (t) => resolveAll(t, world, OUTSIDE.viaHost2)],
      ['dnsfwd stops', (t) => daemonStops(t, world)],
    ];
    for (const [name, step] of steps) {
      const result = await t.test(name, step);
      if (result?.ok === false) {
        t.comment(`the steps after "${name}" depend on it: not run`);
        break;
      }
    }
  });
  t.test('the machine is as it was', async (t) => checkUntouched(t, before, names));
}

async function buildWorld(t: Test, setup: ClientSetup): Promise<World> {
  const lab = Lab.create(t);
  const [dhcpServer] = await startHostServers(lab, [NET.host1, NET.host2]);
  const guest = await Guest.start(lab, setup.etc());
  const musl = buildMuslLookup(lab.dir);
  await startConsulDns(guest);
  const daemon = await startGuestDnsfwd(guest);
  const client = setup.start(guest);
  return { lab, guest, dhcpServer, daemon, client, musl };
}

async function leaseReachesDnsfwd(t: Test, w: World): Promise<void> {
  const started = await w.daemon.waitForMsg('dnsfwd started');
  t.same(started.listen, ['127.0.0.1:53', '[::1]:53'], 'the embedded default: 127.0.0.1:53 and [::1]:53');
  const servers = [NET.host1, NET.host2];
  const leased = await pollUntil(() => same(w.client.servers(), servers), 20_000);
  t.ok(leased, `the client got a lease: its state file names ${servers.join(', ')}`, { output: w.client.proc.output });
  if (!leased) return;
  const writtenAt = statSync(w.client.stateFile).mtimeMs;
  const line = await w.daemon.waitForLog((l) => l.msg === 'default route servers changed', FOLLOW_BOUND_MS);
  t.comment(`first lease: state file written -> dnsfwd's log line ${(logTime(line) - writtenAt).toFixed(0)} ms`);
  const endpoints = servers.map((s) => `${s}:53`);
  t.same(line.new, endpoints, 'dnsfwd forwards to them, in the server\'s order');
  const domains = await w.daemon.waitForMsg('link domain routes changed', FOLLOW_BOUND_MS);
  t.same(domains.new, { [DOMAIN]: endpoints }, `the lease's domain, ${DOMAIN}, goes to them too`);
  const resolv = await w.guest.exec(['cat', '/etc/resolv.conf']);
  t.equal(resolv.stdout, 'nameserver 127.0.0.1\n', 'the guest\'s resolv.conf is left at 127.0.0.1 by the client');
}

async function resolveAll(t: Test, w: World, outside: string): Promise<void> {
  const expected: Array<[string, string]> = [[CONSUL.name, CONSUL.address], [NODE1.name, NODE1.address], [OUTSIDE.name, outside]];
  for (const resolver of RESOLVERS) {
    for (const [name, address] of expected) {
      const r = await lookup(w.guest, resolver, name, w.musl);
      t.same(r.addresses, [address], `${resolver}: ${name} is ${address}`, { raw: r.raw });
    }
  }
  const ptr = await digGuest(w.guest, NODE1.address, { reverse: true });
  t.same(ptr.answers.map((a) => a.data), [`${NODE1.name}.`], 'dig -x: the reverse zone', { raw: ptr.raw });
  const v6 = await digGuest(w.guest, OUTSIDE.name, { server: '::1' });
  t.same(v6.answers.map((a) => a.data), [outside], 'dig @::1 answers too', { raw: v6.raw });
}

async function followsChange(t: Test, w: World, name: string): Promise<void> {
  const since = w.daemon.logs.length;
  await w.dhcpServer.restart([NET.host2]);
  w.client.renew();
  const times = await measureFollow({
    guest: w.guest, daemon: w.daemon, client: w.client, since, servers: [NET.host2],
    probe: { name: OUTSIDE.name, address: OUTSIDE.viaHost2 }, timeoutMs: 30_000,
  });
  t.comment(`${name}: state file changed -> dnsfwd's log line ${times.logMs.toFixed(0)} ms, -> dig answered by the new nameserver ${times.digMs.toFixed(0)} ms`);
  const domains = await w.daemon.waitForLog((l) => l.msg === 'link domain routes changed', FOLLOW_BOUND_MS, since);
  t.same(domains.new, { [DOMAIN]: [`${NET.host2}:53`] }, `${DOMAIN} follows too`);
}

async function daemonStops(t: Test, w: World): Promise<void> {
  t.equal(await w.daemon.stop(), 0, 'exit 0 on SIGTERM');
}

function same(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

// dnsfwd on the oldest Node it supports, Debian 12's own nodejs 18 (a guest's `apt install
// nodejs`), started through its one entry (bin/dnsfwd, the single-file build): it starts, answers a
// `.consul`-style route from dnsmasq and the default route from the servers of a real dhclient
// lease file, follows a change of that file, reloads its config on SIGHUP, and exits 0 on SIGTERM.
import { readFileSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { startDnsfwd } from '../helpers/daemon.js';
import { debianNode } from '../helpers/debian-node.js';
import { dig } from '../helpers/dig.js';
import { startDnsmasq } from '../helpers/dnsmasq.js';
import { freePort } from '../helpers/ports.js';
import { fixture, requireRoot } from '../helpers/tools.js';
import { nodeSettings } from '../../src/cli/node-settings.js';

requireRoot();
const node18 = debianNode(18);
const LISTEN = '127.0.79.1';
const CONSUL = '127.0.79.2';
const DHCP1 = '127.0.79.3';
const DHCP2 = '127.0.79.4';
const consul = await startDnsmasq({ address: CONSUL, records: ['--address=/service.consul/10.79.0.1'] });
const dhcp1 = await startDnsmasq({ address: DHCP1, records: ['--address=/example.com/10.79.0.3'] });
const dhcp2 = await startDnsmasq({ address: DHCP2, records: ['--address=/example.com/10.79.0.4'] });
t.teardown(() => Promise.all([consul.stop(), dhcp1.stop(), dhcp2.stop()]));

/** Debian 12's dhclient lease file, its nameservers replaced by `servers`. */
const leases = (servers: string): string =>
  fixture('dhcp/dhclient-4.4.3-debian12_after-first-bind_2dns.leases').toString('latin1').replace('192.168.121.1,192.168.121.2', servers);

const answer = async (port: number, name: string): Promise<string> => {
  const r = await dig(LISTEN, port, name, { timeout: 2 });
  return r.answers[0]?.data ?? r.status;
};

async function poll(port: number, name: string, want: string): Promise<string> {
  for (let i = 0; ; i++) {
    const got = await answer(port, name);
    if (got === want || i === 200) return got;
    await new Promise((r) => setTimeout(r, 50));
  }
}

t.test('Debian 12 nodejs 18: start, consul and lease routes, a lease change, SIGHUP, SIGTERM', async (t) => {
  const port = await freePort(LISTEN);
  const dir = t.testdir({ 'dhclient.leases': leases(DHCP1), 'dnsfwd.yaml': '' });
  const config = (zone: string) =>
    [`listen: ["${LISTEN}:${port}"]`, 'routes:', `  - zone: ${zone}`, `    servers: ["${CONSUL}"]`, 'default:', '  sources:', `    - { kind: dhclient, path: "${dir}/dhclient.leases" }`, ''].join('\n');
  writeFileSync(`${dir}/dnsfwd.yaml`, config('consul'));
  const d = await startDnsfwd(['--config', `${dir}/dnsfwd.yaml`], { prefix: node18.prefix, binEnv: [...node18.env, `DNSFWD_NODE=${node18.node}`] });
  t.teardown(() => d.stop());
  const pid = d.child.pid!;
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  const flags = nodeSettings().flags;
  t.same(argv.slice(0, flags.length + 1), [node18.node, ...flags], 'the daemon is node 18 with the settings');
  t.equal(await answer(port, 'web.service.consul'), '10.79.0.1', 'the consul route');
  t.equal(await answer(port, 'www.example.com'), '10.79.0.3', 'the lease file\'s server');

  let since = d.logs.length;
  writeFileSync(`${dir}/dhclient.leases`, leases(DHCP2));
  t.equal(await poll(port, 'www.example.com', '10.79.0.4'), '10.79.0.4', 'the new lease\'s server');
  await d.waitForMsg('default route servers changed', 10_000, since);

  since = d.logs.length;
  writeFileSync(`${dir}/dnsfwd.yaml`, config('service.consul'));
  d.child.kill('SIGHUP');
  await d.waitForMsg('configuration reloaded', 10_000, since);
  t.equal(await answer(port, 'web.service.consul'), '10.79.0.1', 'answered after the reload');

  t.equal(await d.stop(), 0, 'SIGTERM: exit 0');
});

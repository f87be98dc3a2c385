// Per-link domains: a guest on two networks, each with its own DHCP-given dnsmasq and domain,
// resolves each network's names at that network's server; other names go to all of them.
import { writeFileSync } from 'node:fs';
import t from 'tap';
import { startDnsfwd } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { startDnsmasq } from '../helpers/dnsmasq.js';
import { leaseBlock } from '../helpers/lease.js';
import { freePort } from '../helpers/ports.js';
import { requireRoot } from '../helpers/tools.js';

requireRoot();
const LISTEN = '127.0.16.1';
const NET1 = '127.0.16.2';
const NET2 = '127.0.16.3';
// Each dnsmasq knows only its own network's names (--local: no forwarding), like libvirt's.
const net1 = await startDnsmasq({ address: NET1, records: ['--local=/one.test/', '--address=/db.one.test/192.168.121.20'] });
const net2 = await startDnsmasq({ address: NET2, records: ['--local=/two.test/', '--address=/db.two.test/192.168.122.20'] });
t.teardown(() => Promise.all([net1.stop(), net2.stop()]));

t.test("two leases with their own domains: each domain at its own network's server", async (t) => {
  const dir = t.testdir({});
  writeFileSync(`${dir}/dhclient.eth0.leases`, leaseBlock([NET1], 'eth0', 'one.test'));
  writeFileSync(`${dir}/dhclient.eth1.leases`, leaseBlock([NET2], 'eth1', 'two.test'));
  const port = await freePort(LISTEN);
  const d = await startDnsfwd(['--listen', `${LISTEN}:${port}`, '--lease-file', `${dir}/dhclient*.leases`]);
  t.teardown(() => d.stop());
  const line = await d.waitForMsg('link domain routes changed');
  t.same(line.new, { 'one.test': [`${NET1}:53`], 'two.test': [`${NET2}:53`] });
  for (let i = 0; i < 4; i++) {
    t.same((await dig(LISTEN, port, `db.one.test`)).answers.map((r) => r.data), ['192.168.121.20'], `one.test, try ${i}`);
    t.same((await dig(LISTEN, port, `db.two.test`)).answers.map((r) => r.data), ['192.168.122.20'], `two.test, try ${i}`);
  }
  t.equal(net2.queries('db.one.test'), 0, "one.test never went to the other network's server");
  t.equal(net1.queries('db.two.test'), 0);
  writeFileSync(`${dir}/dhclient.eth1.leases`, leaseBlock([NET2], 'eth1', 'three.test'));
  const changed = await d.waitForMsg('link domain routes changed', 10_000, d.logs.indexOf(line) + 1);
  t.same(changed.new, { 'one.test': [`${NET1}:53`], 'three.test': [`${NET2}:53`] }, 'a new lease moves its domain');
});

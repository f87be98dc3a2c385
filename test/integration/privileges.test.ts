// Started as root: --user makes dnsfwd bind its sockets (here a port below 1024) and then run as
// that user, still following its lease file and reloading its config; without it, one warning.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { runDnsfwd, startDnsfwd } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { startDnsmasq } from '../helpers/dnsmasq.js';
import { leaseBlock } from '../helpers/lease.js';
import { requireRoot } from '../helpers/tools.js';

requireRoot();
const LISTEN = '127.0.15.1';
const PORT = 530; // privileged, and not 53: the lease's loopback servers on 53 are not dnsfwd itself
const NS1 = '127.0.15.2';
const NS2 = '127.0.15.3';
const ns = await Promise.all([NS1, NS2].map((address, i) => startDnsmasq({ address, records: [`--address=/example.org/203.0.113.${i + 1}`] })));
t.teardown(() => Promise.all(ns.map((n) => n.stop())));

/** The effective uid of a process, from /proc. */
const uidOf = (pid: number) => Number(/^Uid:\s+\d+\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);

t.test('--user nobody: binds as root, then runs as nobody and keeps following its lease file and config', async (t) => {
  const dir = t.testdir({ 'dhclient.leases': leaseBlock([NS1]), 'dnsfwd.yaml': `listen: ["${LISTEN}:${PORT}"]\nuser: nobody\n` });
  chmodSync(dir, 0o755);
  const d = await startDnsfwd(['--config', `${dir}/dnsfwd.yaml`, '--lease-file', `${dir}/dhclient.leases`]);
  t.teardown(() => d.stop());
  await d.waitForMsg('sockets bound: now running as an unprivileged user');
  t.equal(uidOf(d.child.pid!), 65534, 'the process runs as nobody');
  t.same((await dig(LISTEN, PORT, 'www.example.org')).answers.map((r) => r.data), ['203.0.113.1']);
  writeFileSync(`${dir}/dhclient.leases`, leaseBlock([NS2]));
  await d.waitForMsg('default route servers changed', 10_000, d.logs.length);
  t.same((await dig(LISTEN, PORT, 'web.example.org')).answers.map((r) => r.data), ['203.0.113.2'], 'the new lease is followed');
  const since = d.logs.length;
  writeFileSync(`${dir}/dnsfwd.yaml`, `listen: ["${LISTEN}:${PORT}"]\nuser: nobody\nlog_level: debug\n`);
  d.child.kill('SIGHUP');
  await d.waitForMsg('configuration reloaded', 10_000, since);
  t.ok(d.alive, 'the config is read again as nobody');
  t.notOk(d.logs.some((l) => l.msg?.startsWith('running as root')), 'no root warning');
});

t.test('--user nobody with a config file only root can read: a warning at start, not a surprise at the first SIGHUP', async (t) => {
  const dir = t.testdir({ 'dhclient.leases': leaseBlock([NS1]), 'dnsfwd.yaml': `listen: ["${LISTEN}:${PORT}"]\nuser: nobody\n` });
  chmodSync(dir, 0o755);
  chmodSync(`${dir}/dnsfwd.yaml`, 0o600);
  const d = await startDnsfwd(['--config', `${dir}/dnsfwd.yaml`, '--lease-file', `${dir}/dhclient.leases`]);
  t.teardown(() => d.stop());
  const warning = await d.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('the config file cannot be read'));
  t.match(warning, { level: 40, file: `${dir}/dnsfwd.yaml`, reason: 'EACCES', uid: 65534 });
  t.same((await dig(LISTEN, PORT, 'www.example.org')).answers.map((r) => r.data), ['203.0.113.1'], 'and it answers');
});

t.test('as root without --user: one warning; an unknown user: one line, exit 1', async (t) => {
  const d = await startDnsfwd(['--listen', `${LISTEN}:${PORT}`, '--lease-file', '/nonexistent/x.leases']);
  t.teardown(() => d.stop());
  const warning = await d.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('running as root'));
  t.equal(warning.level, 40);
  t.equal(d.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('running as root')).length, 1);
  await d.stop();
  const r = await runDnsfwd(['run', '--listen', `${LISTEN}:${PORT}`, '--lease-file', '/nonexistent/x.leases', '--user', 'no-such-user']);
  t.equal(r.code, 1);
  t.match(r.stderr, /^dnsfwd: user "no-such-user" does not exist/);
  t.equal(r.stderr.trim().split('\n').length, 1);
});

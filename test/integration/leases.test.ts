// The default route follows the dhclient lease file: appends (file kept open), rename
// replacement, garbage (last good kept), deletion and re-creation; our own address is dropped.
import { appendFileSync, openSync, closeSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import t from 'tap';
import { startDnsfwd, type DaemonProcess } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { startDnsmasq } from '../helpers/dnsmasq.js';
import { leaseBlock } from '../helpers/lease.js';
import { freePort } from '../helpers/ports.js';
import { requireRoot } from '../helpers/tools.js';

requireRoot();
const LISTEN = '127.0.2.1';
const NS1 = '127.0.2.3';
const NS2 = '127.0.2.4';
const ns1 = await startDnsmasq({ address: NS1, records: ['--address=/example.com/203.0.113.1'] });
const ns2 = await startDnsmasq({ address: NS2, records: ['--address=/example.com/203.0.113.2'] });
t.teardown(() => Promise.all([ns1.stop(), ns2.stop()]));

/**
 * Polls dig until the answer is `want`, for up to 10 s (dnsfwd reads a changed file after 100 ms
 * of quiet, 400 ms at most: the rest is slack for a busy machine); returns the last answer.
 */
async function poll(port: number, want: string): Promise<{ answer: string }> {
  const until = Date.now() + 10_000;
  for (;;) {
    const r = await dig(LISTEN, port, 'www.example.com', { timeout: 2 });
    const answer = r.answers[0]?.data ?? r.status;
    if (answer === want || Date.now() > until) return { answer };
    await new Promise((res) => setTimeout(res, 50));
  }
}

async function daemonOn(leases: string, listen = LISTEN, port?: number): Promise<{ d: DaemonProcess; port: number }> {
  const p = port ?? (await freePort(listen));
  const d = await startDnsfwd(['--listen', `${listen}:${p}`, '--lease-file', leases]);
  return { d, port: p };
}

t.test('append with the file held open, like dhclient', async (t) => {
  const dir = t.testdir({});
  const leases = `${dir}/dhclient.eth0.leases`;
  writeFileSync(leases, leaseBlock([NS1]));
  const { d, port } = await daemonOn(leases);
  t.teardown(() => d.stop());
  t.same((await dig(LISTEN, port, 'www.example.com')).answers.map((a) => a.data), ['203.0.113.1']);
  const fd = openSync(leases, 'a');
  const since = d.logs.length;
  writeSync(fd, leaseBlock([NS2]));
  const { answer } = await poll(port, '203.0.113.2');
  closeSync(fd);
  t.equal(answer, '203.0.113.2', 'the new server answers after the append');
  const change = await d.waitForMsg('default route servers changed', 10_000, since);
  t.same(change.old, [`${NS1}:53`]);
  t.same(change.new, [`${NS2}:53`]);
});

t.test('rename replacement, garbage, deletion and re-creation', async (t) => {
  const dir = t.testdir({});
  const leases = `${dir}/dhclient.leases`;
  writeFileSync(leases, leaseBlock([NS1]));
  const { d, port } = await daemonOn(leases);
  t.teardown(() => d.stop());
  t.equal((await poll(port, '203.0.113.1')).answer, '203.0.113.1');

  writeFileSync(`${dir}/tmp`, leaseBlock([NS2]));
  renameSync(`${dir}/tmp`, leases);
  t.equal((await poll(port, '203.0.113.2')).answer, '203.0.113.2', 'followed a rename');

  let since = d.logs.length;
  writeFileSync(leases, 'this is not a lease file {{{\n');
  const warn = await d.waitForLog((l) => l.level === 40 && JSON.stringify(l).includes(leases), 10_000, since);
  t.ok(warn.reason, `warning says why: ${String(warn.reason)}`);
  t.same((await dig(LISTEN, port, 'www.example.com')).answers.map((a) => a.data), ['203.0.113.2'], 'last good servers kept');

  since = d.logs.length;
  rmSync(leases);
  await d.waitForLog((l) => l.level === 40 && JSON.stringify(l).includes(leases), 10_000, since);
  t.same((await dig(LISTEN, port, 'www.example.com')).answers.map((a) => a.data), ['203.0.113.2'], 'kept after deletion');

  writeFileSync(leases, leaseBlock([NS1]));
  t.equal((await poll(port, '203.0.113.1')).answer, '203.0.113.1', 'followed re-creation');
  appendFileSync(leases, leaseBlock([NS2, NS1]));
  t.equal((await poll(port, '203.0.113.2')).answer, '203.0.113.2', 'followed a plain append');
});

t.test('no servers at all: SERVFAIL at once, and a warning', async (t) => {
  const dir = t.testdir({});
  const leases = `${dir}/dhclient.leases`;
  writeFileSync(leases, '');
  const { d, port } = await daemonOn(leases);
  t.teardown(() => d.stop());
  const r = await dig(LISTEN, port, 'www.example.com');
  t.equal(r.status, 'SERVFAIL');
  // The route's own answer, at once: no upstream was tried, so no timeout was waited for.
  await d.waitForMsg('route has no servers: answering SERVFAIL', 10_000);
  t.notOk(d.logs.some((l) => String(l.msg).startsWith('upstream failed')), 'no upstream attempt');
  await dig(LISTEN, port, 'www.example.com');
  t.equal(d.logs.filter((l) => l.msg === 'route has no servers: answering SERVFAIL').length, 1, 'warned once, not per query');
});

t.test('lease servers that are dnsfwd itself are dropped with a warning; static servers take over', async (t) => {
  const dir = t.testdir({});
  const leases = `${dir}/dhclient.leases`;
  // `prepend domain-name-servers 127.0.2.5;` in dhclient.conf records our own address in the lease.
  writeFileSync(leases, leaseBlock(['127.0.2.5']));
  const fallbackPort = await freePort('127.0.2.6');
  const fallback = await startDnsmasq({ address: '127.0.2.6', port: fallbackPort, records: ['--address=/example.com/203.0.113.6'] });
  t.teardown(() => fallback.stop());
  const d = await startDnsfwd(['--listen', '127.0.2.5:53', '--lease-file', leases, '--upstream', `127.0.2.6:${fallbackPort}`]);
  t.teardown(() => d.stop());
  await d.waitForMsg('not forwarding to this server: it is dnsfwd itself');
  const dropped = d.logs.filter((l) => l.msg === 'not forwarding to this server: it is dnsfwd itself').map((l) => l.server);
  t.same(dropped, ['127.0.2.5:53'], 'the address we listen on is us');
  const r = await dig('127.0.2.5', 53, 'www.example.com');
  t.same(r.answers.map((a) => a.data), ['203.0.113.6'], 'the static fallback answers');
});

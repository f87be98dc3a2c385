// Dead upstreams: ICMP-refused and silent servers answer SERVFAIL well before the client's 5 s
// timeout; a route whose first server is dead is answered by the next one.
import { execFile, spawn } from 'node:child_process';
import t from 'tap';
import { DaemonProcess, startDnsfwd } from '../helpers/daemon.js';
import { dig, parseDig } from '../helpers/dig.js';
import { aRecord, startFake } from '../helpers/fake-upstream.js';
import { freePort } from '../helpers/ports.js';
import { BIN, BIN_ENV, requireRoot, requireTool } from '../helpers/tools.js';

const LISTEN = '127.0.5.1';
const DEAD = '127.0.5.2'; // nothing listens here: the kernel answers ICMP port unreachable
const SILENT = '127.0.5.3';
const SILENT2 = '127.0.5.5';
const ALIVE = '127.0.5.4';
const deadPort = await freePort(DEAD);
const dead2Port = await freePort(DEAD);
const silent2Port = await freePort(SILENT2);
const silentPort = await freePort(SILENT);
const alivePort = await freePort(ALIVE);
const silent = await startFake({ address: SILENT, port: silentPort, answer: () => 'silent' });
t.teardown(() => silent.close());
const silent2 = await startFake({ address: SILENT2, port: silent2Port, answer: () => 'silent' });
t.teardown(() => silent2.close());
const alive = await startFake({ address: ALIVE, port: alivePort, answer: (n) => ({ answers: [aRecord(n, '10.5.0.1')] }) });
t.teardown(() => alive.close());
const port = await freePort(LISTEN);
const daemon = await startDnsfwd([
  '--listen', `${LISTEN}:${port}`,
  '--route', `dead.test=${DEAD}:${deadPort}`,
  '--route', `silent.test=${SILENT}:${silentPort}`,
  '--route', `mixed.test=${DEAD}:${dead2Port},${SILENT2}:${silent2Port},${ALIVE}:${alivePort}`,
  '--lease-file', '/nonexistent/dhclient.leases',
]);
t.teardown(() => daemon.stop());

/** Why each attempt on `server` failed, from the daemon's log lines since `since`. */
async function failures(server: string, since: number): Promise<unknown[]> {
  // The lines reach us through a pipe: wait for the first one.
  await daemon.waitForLog((l) => l.msg === 'upstream failed: moved to the back of the order' && l.server === server, 10_000, since);
  return daemon.logs.slice(since).filter((l) => String(l.msg).startsWith('upstream failed') && l.server === server).map((l) => l.reason);
}

t.test('a refused upstream → SERVFAIL at once', async (t) => {
  const since = daemon.logs.length;
  const r = await dig(LISTEN, port, 'a.dead.test');
  t.equal(r.status, 'SERVFAIL');
  t.same(await failures(`${DEAD}:${deadPort}`, since), ['UPSTREAM_REFUSED'], 'failed on the ICMP refusal, not a timeout');
});

t.test('a silent upstream → SERVFAIL within the 5 s client timeout', async (t) => {
  const since = daemon.logs.length;
  const r = await dig(LISTEN, port, 'a.silent.test', { timeout: 5 });
  t.equal(r.status, 'SERVFAIL', 'answered before dig gave up (+time=5)');
  t.same(await failures(`${SILENT}:${silentPort}`, since), ['UPSTREAM_TIMEOUT']);
  t.equal(silent.count('a.silent.test'), 1);
});

t.test('failover to the next server, and the failed ones go to the back', async (t) => {
  const r = await dig(LISTEN, port, 'a.mixed.test');
  t.same(r.answers.map((a) => a.data), ['10.5.0.1']);
  t.equal(silent2.count('a.mixed.test'), 1, 'the silent server was tried once');
  const r2 = await dig(LISTEN, port, 'b.mixed.test');
  t.same(r2.answers.map((a) => a.data), ['10.5.0.1']);
  t.equal(silent2.count('b.mixed.test'), 0, 'the next query went straight to the live server');
  const warned = daemon.logs.filter((l) => l.msg === 'upstream failed: moved to the back of the order').map((l) => l.server);
  t.ok(warned.includes(`${SILENT2}:${silent2Port}`), 'a warning named the silent server');
  t.ok(warned.includes(`${DEAD}:${dead2Port}`), 'and the refused one');
});

t.test('an upstream with no route to it (at boot, before DHCP set up the network): SERVFAIL at once, no crash', async (t) => {
  requireRoot();
  requireTool('unshare');
  requireTool('ip');
  // A network namespace with only loopback: 192.0.2.1 (TEST-NET-1) is unreachable, connect() fails.
  const script = `ip link set lo up && exec env -u NODE_OPTIONS ${BIN_ENV.join(' ')} "${BIN}" run --listen 127.0.0.1:5399 --upstream 192.0.2.1 --lease-file /nonexistent/x.leases`;
  const d = new DaemonProcess(spawn('setpriv', ['--pdeathsig', 'KILL', 'unshare', '--net', 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] }));
  t.teardown(() => d.stop());
  await d.waitForMsg('dnsfwd started', 10_000);
  for (const name of ['a.example', 'b.example']) {
    const out = await new Promise<string>((resolve) => {
      const args = [`--net=/proc/${d.child.pid}/ns/net`, requireTool('dig'), '@127.0.0.1', '-p', '5399', name, '+tries=1', '+time=3'];
      execFile(requireTool('nsenter'), args, (_err, stdout, stderr) => resolve(stdout + stderr));
    });
    t.equal(parseDig(out).status, 'SERVFAIL', name);
  }
  t.ok(d.alive, 'still running');
  t.equal(await d.stop(), 0);
});

// --workers 2: two daemons share the sockets (Node cluster); signals reach both; a bind failure
// is reported once and the primary exits 1.
import t from 'tap';
import { runDnsfwd, startDnsfwd } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { aRecord, startFake } from '../helpers/fake-upstream.js';
import { freePort } from '../helpers/ports.js';
import { requireRoot } from '../helpers/tools.js';

const LISTEN = '127.0.13.1';
const UP = '127.0.13.2';
const upPort = await freePort(UP);
const up = await startFake({ address: UP, port: upPort, answer: (n) => ({ answers: [aRecord(n, '10.13.0.1', 0)] }) });
t.teardown(() => up.close());

t.test('two workers answer on UDP and TCP; SIGHUP and SIGUSR1 reach both; SIGTERM stops all', async (t) => {
  const port = await freePort(LISTEN);
  const d = await startDnsfwd(['--workers', '2', '--listen', `${LISTEN}:${port}`, '--upstream', `${UP}:${upPort}`, '--lease-file', '/nonexistent/x.leases']);
  await d.waitForMsg('all workers started', 10_000);
  // A worker's own log line may reach stdout after the primary heard from it over IPC.
  const started = () => d.logs.filter((l) => l.msg === 'dnsfwd started');
  await d.waitForLog(() => started().length >= 2, 10_000);
  const pids = new Set(started().map((l) => l.worker));
  t.equal(pids.size, 2, 'two workers started');
  for (let i = 0; i < 20; i++) t.equal((await dig(LISTEN, port, `n${i}.example`, { tcp: i % 2 === 1 })).answers[0]?.data, '10.13.0.1');
  d.child.kill('SIGUSR1');
  await t.resolves(d.waitForLog(() => d.logs.filter((l) => l.msg === 'cache statistics').length === 2, 10_000), 'statistics from both');
  d.child.kill('SIGHUP');
  await t.resolves(d.waitForLog(() => d.logs.filter((l) => l.msg === 'configuration reloaded').length === 2, 10_000), 'both reloaded');
  t.equal(await d.stop('SIGTERM'), 0, 'exit code 0');
  t.equal(d.logs.filter((l) => l.msg === 'shutting down').length, 2);
});

t.test('port 53 without privilege: one line, exit 1, with workers too', async (t) => {
  requireRoot();
  const r = await runDnsfwd(['run', '--workers', '2', '--listen', '127.0.13.3:53', '--lease-file', '/nonexistent/x.leases'], { uid: 65534, gid: 65534 });
  t.equal(r.code, 1);
  t.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  t.match(r.stderr, /CAP_NET_BIND_SERVICE/);
});

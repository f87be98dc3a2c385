// The control socket of a cluster (--workers 2) against the built daemon: the primary owns the
// socket and asks each worker; status lists them, flush adds up, reload reloads each.
import { lstatSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runDnsfwd, startDnsfwd, type DaemonProcess } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { aRecord, startFake } from '../helpers/fake-upstream.js';
import { freePort } from '../helpers/ports.js';

const LISTEN = '127.0.73.21';
const UP = '127.0.73.22';
const upPort = await freePort(UP);
const up = await startFake({ address: UP, port: upPort, answer: (name) => ({ answers: [aRecord(name, '10.73.0.1', 300)] }) });
t.teardown(() => up.close());
const dir = t.testdir({});

t.test('--workers 2: the primary owns the socket and asks each worker', async (t) => {
  const workersFile = join(dir, 'workers.yaml');
  const workersPort = await freePort(LISTEN);
  writeFileSync(workersFile, [`listen: ["${LISTEN}:${workersPort}"]`, `routes: [{zone: example.test, servers: ["${UP}:${upPort}"]}]`, 'default: {sources: []}', ''].join('\n'));
  const d = await startCluster(['--config', workersFile, '--workers', '2']);
  t.teardown(() => d.stop());
  const path = d.controlSocket!;
  const status = await runDnsfwd(['status', '--json', '--control-socket', path]);
  t.equal(status.code, 0, status.stderr);
  const workers = (JSON.parse(status.stdout) as { workers: { pid: number }[] }).workers;
  t.equal(workers.length, 2, 'one entry per worker');
  t.ok(workers.every((w) => Number.isInteger(w.pid) && w.pid !== d.child.pid), 'each with its pid');
  t.equal(new Set(workers.map((w) => w.pid)).size, 2);
  t.equal((await runDnsfwd(['explain', 'a.example.test', '--control-socket', path])).code, 0, 'explain: the first worker answers');

  // Each worker caches what it answered: ask until both have one (the kernel spreads the queries).
  for (let i = 0; i < 40; i++) await dig(LISTEN, workersPort, `w${i}.example.test`);
  const flushed = await runDnsfwd(['flush', '--control-socket', path]);
  t.same([flushed.code, flushed.stdout], [0, 'flushed 40 answers\n'], 'the sum over the workers');
  const workerFlushes = d.logs.filter((l) => l.msg === 'cache flushed');
  t.equal(workerFlushes.length, 2, 'both workers flushed');

  const ok = await runDnsfwd(['reload', '--control-socket', path]);
  t.same([ok.code, ok.stdout], [0, `reloaded ${workersFile}\n`]);
  t.equal(d.logs.filter((l) => l.msg === 'configuration reloaded').length, 2, 'each worker reloaded');
  writeFileSync(workersFile, 'listen: nope\n');
  const bad = await runDnsfwd(['reload', '--control-socket', path]);
  t.equal(bad.code, 2);
  t.match(bad.stderr, new RegExp(`^dnsfwd: worker \\d+: ${workersFile}:1:\\d+: listen: `));
  t.equal(await d.stop(), 0);
  t.throws(() => lstatSync(path), { code: 'ENOENT' }, 'the primary removed its socket');
});


/** A cluster's primary with a socket of its own; resolves once every worker has started. */
async function startCluster(args: string[]): Promise<DaemonProcess> {
  const d = await startDnsfwd(args);
  await d.waitForMsg('all workers started', 20_000);
  return d;
}

// SIGHUP reloads the config file (a bad one is rejected and the old kept); SIGTERM stops
// listening, lets the query in flight finish, and exits 0.
import { readFileSync, writeFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { spawnDnsfwd, startDnsfwd } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { aRecord, startFake } from '../helpers/fake-upstream.js';
import { freePort } from '../helpers/ports.js';

const LISTEN = '127.0.6.1';
const A = '127.0.6.2';
const B = '127.0.6.3';
const aPort = await freePort(A);
const bPort = await freePort(B);
/** Answers to `slow…` names wait for the test: they are in flight for as long as it needs. */
let releaseSlow = () => {};
let slowHeld = Promise.resolve();
const holdSlow = () => (slowHeld = new Promise<void>((resolve) => (releaseSlow = resolve)));
const a = await startFake({
  address: A,
  port: aPort,
  answer: (n) => ({ answers: [aRecord(n, '10.6.0.1')], ...(n.startsWith('slow') ? { heldUntil: slowHeld } : {}) }),
});
const b = await startFake({ address: B, port: bPort, answer: (n) => ({ answers: [aRecord(n, '10.6.0.2')] }) });
t.teardown(() => Promise.all([a.close(), b.close()]));
const port = await freePort(LISTEN);

const config = (server: string) =>
  [`listen: ["${LISTEN}:${port}"]`, 'routes:', '  - zone: svc.test', `    servers: ["${server}"]`, 'default: { sources: [] }', ''].join('\n');

t.test('SIGHUP: a bad config is rejected with file and line, the old one keeps working; a good one applies', async (t) => {
  const dir = t.testdir({ 'dnsfwd.yaml': config(`${A}:${aPort}`) });
  const file = `${dir}/dnsfwd.yaml`;
  const d = await startDnsfwd(['--config', file]);
  t.teardown(() => d.stop());
  t.same((await dig(LISTEN, port, 'x.svc.test')).answers.map((r) => r.data), ['10.6.0.1']);

  writeFileSync(file, config(`${B}:${bPort}`).replace('routes:', 'routes:\n  - zone: svc.test\n    servers: ["not-an-ip"]'));
  let since = d.logs.length;
  d.child.kill('SIGHUP');
  const rejected = await d.waitForMsg('new configuration rejected: keeping the old one', 10_000, since);
  t.match(String(rejected.error), new RegExp(`^${file}:\\d+:\\d+: `), 'the error names FILE:LINE:COL');
  t.same((await dig(LISTEN, port, 'x.svc.test')).answers.map((r) => r.data), ['10.6.0.1'], 'old config still in force');

  writeFileSync(file, config(`${B}:${bPort}`));
  since = d.logs.length;
  d.child.kill('SIGHUP');
  await d.waitForMsg('configuration reloaded', 10_000, since);
  t.same((await dig(LISTEN, port, 'x.svc.test')).answers.map((r) => r.data), ['10.6.0.2'], 'new route in force');
  t.ok(d.alive);
});

t.test('SIGTERM: the query in flight is answered, then exit 0', async (t) => {
  const dir = t.testdir({ 'dnsfwd.yaml': config(`${A}:${aPort}`) });
  const d = await startDnsfwd(['--config', `${dir}/dnsfwd.yaml`, '--upstream', `${B}:${bPort}`]);
  // Traffic to two servers first, so shutdown closes upstream sockets of more than one server.
  t.same((await dig(LISTEN, port, 'x.svc.test')).answers.map((r) => r.data), ['10.6.0.1']);
  t.same((await dig(LISTEN, port, 'elsewhere.example')).answers.map((r) => r.data), ['10.6.0.2']);
  holdSlow();
  const inFlight = dig(LISTEN, port, 'slow.svc.test');
  await a.queried('slow.svc.test'); // forwarded: in flight
  const since = d.logs.length;
  d.child.kill('SIGTERM');
  await d.waitForMsg('shutting down', 10_000, since);
  releaseSlow();
  const code = await d.exited;
  const r = await inFlight;
  t.equal(code, 0, 'exit code 0');
  t.same(r.answers.map((x) => x.data), ['10.6.0.1'], 'the query in flight got its answer');
  const after = await dig(LISTEN, port, 'x.svc.test', { timeout: 1 });
  t.equal(after.status, 'TIMEOUT', 'nothing listens any more');
});

for (const [first, second] of [['SIGTERM', 'SIGTERM'], ['SIGINT', 'SIGTERM']] as const) {
  t.test(`${first} then ${second} while draining: one graceful shutdown, the query in flight answered`, async (t) => {
    const dir = t.testdir({ 'dnsfwd.yaml': config(`${A}:${aPort}`) });
    const d = await startDnsfwd(['--config', `${dir}/dnsfwd.yaml`]);
    holdSlow();
    const name = `slow-${first}-${second}.svc.test`.toLowerCase();
    const inFlight = dig(LISTEN, port, name);
    await a.queried(name); // forwarded: in flight
    d.child.kill(first);
    await d.waitForMsg('shutting down');
    d.child.kill(second);
    await d.waitForMsg('already shutting down');
    releaseSlow();
    const code = await d.exited;
    t.equal(code, 0, 'exit code 0');
    t.same((await inFlight).answers.map((x) => x.data), ['10.6.0.1'], 'the query in flight got its answer');
    t.equal(d.logs.filter((l) => l.msg === 'shutting down').length, 1, 'one shutdown');
  });
}

t.test('SIGHUP that adds a zone: names under it stop coming from the old route\'s cached answers', async (t) => {
  const dir = t.testdir({ 'dnsfwd.yaml': config(`${A}:${aPort}`) });
  const file = `${dir}/dnsfwd.yaml`;
  const d = await startDnsfwd(['--config', file]);
  t.teardown(() => d.stop());
  t.same((await dig(LISTEN, port, 'x.sub.svc.test')).answers.map((r) => r.data), ['10.6.0.1'], 'cached via svc.test');
  writeFileSync(file, config(`${A}:${aPort}`).replace('default:', `  - zone: sub.svc.test\n    servers: ["${B}:${bPort}"]\ndefault:`));
  const since = d.logs.length;
  d.child.kill('SIGHUP');
  await d.waitForMsg('configuration reloaded', 10_000, since);
  t.same((await dig(LISTEN, port, 'x.sub.svc.test')).answers.map((r) => r.data), ['10.6.0.2'], 'the new zone answers');
});

/** True once `pid` catches `signal` (its bit in SigCgt of /proc/PID/status). */
/**
 * Spawns `dnsfwd ARGS` and waits (up to 10 s) until it catches signal number `signal`: the early
 * hold is in place. `startedBefore`: whether it had already started by then.
 */
async function spawnCatching(t: Test, args: string[], signal: number) {
  const d = spawnDnsfwd(args);
  t.teardown(() => d.stop());
  const until = Date.now() + 10_000;
  while (!catches(d.child.pid!, signal) && Date.now() < until) await new Promise((r) => setTimeout(r, 2));
  return { d, startedBefore: d.logs.some((l) => l.msg === 'dnsfwd started') };
}

function catches(pid: number, signal: number): boolean {
  try {
    const mask = /SigCgt:\s*([0-9a-f]+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '0';
    return (BigInt(`0x${mask}`) >> BigInt(signal - 1)) % 2n === 1n;
  } catch {
    return false;
  }
}

t.test('a SIGHUP during start-up is held and acted on once started, not fatal', async (t) => {
  const dir = t.testdir({ 'dnsfwd.yaml': config(`${A}:${aPort}`) });
  const { d, startedBefore } = await spawnCatching(t, ['run', '--config', `${dir}/dnsfwd.yaml`], 1);
  d.child.kill('SIGHUP');
  await d.waitForMsg('configuration reloaded', 10_000);
  t.ok(d.alive, 'still running');
  t.notOk(startedBefore, 'the signal came before the daemon had started');
  t.same((await dig(LISTEN, port, 'x.svc.test')).answers.map((r) => r.data), ['10.6.0.1']);
});

// Signals dnsfwd has no use for, whose default action would end it, are ignored with a debug line.
t.test('SIGALRM, SIGVTALRM and SIGIO are ignored, with a debug line each', async (t) => {
  const dir = t.testdir({ 'dnsfwd.yaml': config(`${A}:${aPort}`) });
  const d = await startDnsfwd(['--config', `${dir}/dnsfwd.yaml`, '--log-level', 'debug']);
  t.teardown(() => d.stop());
  for (const signal of ['SIGALRM', 'SIGVTALRM', 'SIGIO'] as const) {
    d.child.kill(signal);
    await d.waitForLog((l) => l.msg === 'signal not used by dnsfwd: ignored' && l.signal === signal, 10_000);
    t.ok(d.alive, `${signal}: still running`);
  }
  t.same((await dig(LISTEN, port, 'y.svc.test')).answers.map((r) => r.data), ['10.6.0.1'], 'and answering');
  t.equal(await d.stop(), 0, 'SIGTERM still ends it, exit 0');
});

// SIGUSR2 reopens the log file (test/integration/log-file.test.ts); without one it is harmless.
t.test('SIGUSR2 without a log file: a debug line, still running', async (t) => {
  const dir = t.testdir({ 'dnsfwd.yaml': config(`${A}:${aPort}`) });
  const d = await startDnsfwd(['--config', `${dir}/dnsfwd.yaml`, '--log-level', 'debug']);
  t.teardown(() => d.stop());
  d.child.kill('SIGUSR2');
  await d.waitForMsg('SIGUSR2: no log file to reopen (the lines go to stdout)');
  t.ok(d.alive, 'still running');
  t.same((await dig(LISTEN, port, 'w.svc.test')).answers.map((r) => r.data), ['10.6.0.1'], 'and answering');
});

t.test('a SIGUSR2 during start-up is held, then handled, not fatal', async (t) => {
  const dir = t.testdir({ 'dnsfwd.yaml': config(`${A}:${aPort}`) });
  const { d, startedBefore } = await spawnCatching(t, ['run', '--config', `${dir}/dnsfwd.yaml`, '--log-level', 'debug'], 12);
  d.child.kill('SIGUSR2');
  await d.waitForMsg('SIGUSR2: no log file to reopen (the lines go to stdout)');
  t.ok(d.alive, 'still running');
  t.notOk(startedBefore, 'the signal came before the daemon had started');
  t.same((await dig(LISTEN, port, 'z.svc.test')).answers.map((r) => r.data), ['10.6.0.1']);
});

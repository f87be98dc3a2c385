// One launch profile for every way to start dnsfwd: bin/dnsfwd (npm start, the package bin, the
// service files) replaces itself with node and the settings of its config (the daemon keeps the
// PID it was started with); `node dist/dnsfwd.mjs run` and `node dist/cli/main.js run`, started
// without them, run the daemon again with them (the single-file build, for both), pass signals on
// and exit as it exits. A reload
// asking for a bigger cache than the running heap limit covers is rejected with one line.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { DaemonProcess, startDnsfwd, tempControlSocket } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { aRecord, startFake } from '../helpers/fake-upstream.js';
import { freePort } from '../helpers/ports.js';
import { requireBuild, ROOT } from '../helpers/tools.js';
import { nodeSettings } from '../../src/cli/node-settings.js';

requireBuild();
const LISTEN = '127.0.79.21';
const UP = '127.0.79.22';
const upPort = await freePort(UP);
const up = await startFake({ address: UP, port: upPort, answer: (n) => ({ answers: [aRecord(n, '10.79.1.1')] }) });
t.teardown(() => up.close());

const config = (port: number, size: number) =>
  [`listen: ["${LISTEN}:${port}"]`, 'default:', '  sources: []', `  servers: ["${UP}:${upPort}"]`, 'cache:', `  size: ${size}`, ''].join('\n');
/** The settings bin/dnsfwd gives the daemon. */
const settings = (): string[] => [...nodeSettings().flags];
const cmdline = (pid: number): string[] => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
const children = (pid: number): number[] =>
  readdirSync(`/proc/${pid}/task`).flatMap((task) => readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number));

t.test('bin/dnsfwd: the daemon is the process started, node with the settings of its config', async (t) => {
  const port = await freePort(LISTEN);
  const dir = t.testdir({ 'dnsfwd.yaml': config(port, 200000) });
  const d = await startDnsfwd(['--config', join(dir, 'dnsfwd.yaml')]);
  t.teardown(() => d.stop());
  t.same(cmdline(d.child.pid!).slice(0, settings().length + 2), [process.execPath, ...settings(), join(ROOT, 'dist/dnsfwd.mjs')], 'same PID, node and the settings');
  t.same(children(d.child.pid!), [], 'no other dnsfwd process');
  t.same((await dig(LISTEN, port, 'a.example')).answers.map((a) => a.data), ['10.79.1.1']);
});

for (const entry of ['dist/dnsfwd.mjs', 'dist/cli/main.js']) {
  t.test(`node ${entry} run: runs again with the settings, passes signals on, exits as it exits`, async (t) => {
    const port = await freePort(LISTEN);
    const dir = t.testdir({ 'dnsfwd.yaml': config(port, 50000) });
    const args = [join(ROOT, entry), 'run', '--config', join(dir, 'dnsfwd.yaml'), '--control-socket', tempControlSocket()];
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const d = new DaemonProcess(spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env }));
    t.teardown(() => d.stop());
    await d.waitForMsg('dnsfwd started', 20_000);
    const [daemon] = children(d.child.pid!);
    t.ok(daemon, 'the daemon is a child of the process started');
    // The tsc build's entry runs the single-file build beside it: the same daemon as every other entry.
    const script = join(ROOT, 'dist/dnsfwd.mjs');
    t.same(cmdline(daemon!), [process.execPath, ...settings(), script, ...args.slice(1)], 'node, the settings, the single-file build, the same arguments');
    t.same((await dig(LISTEN, port, 'b.example')).answers.map((a) => a.data), ['10.79.1.1']);
    const since = d.logs.length;
    d.child.kill('SIGHUP');
    const reloaded = await d.waitForMsg('configuration reloaded', 10_000, since);
    t.equal(reloaded.file, join(dir, 'dnsfwd.yaml'), 'SIGHUP reached the daemon: it read its file again');
    t.same(children(d.child.pid!), [daemon], 'the same daemon, reloaded rather than started again');
    t.equal(await d.stop(), 0, 'SIGTERM reached it too: it shut down, and exit 0 was passed on');
  });
}

// Guards the heap limit being the same for every cache: a reload to the largest cache a config
// allows is taken without a restart (it was refused while the limit grew with cache.size).
t.test('a reload to the largest cache is taken: the heap limit does not depend on the cache', async (t) => {
  const port = await freePort(LISTEN);
  const dir = t.testdir({ 'dnsfwd.yaml': config(port, 1000) });
  const file = join(dir, 'dnsfwd.yaml');
  const d = await startDnsfwd(['--config', file]);
  t.teardown(() => d.stop());
  writeFileSync(file, config(port, 1000000));
  const since = d.logs.length;
  d.child.kill('SIGHUP');
  const reloaded = await d.waitForMsg('configuration reloaded', 10_000, since);
  t.equal(reloaded.file, file, 'cache.size 1000000 taken');
  t.same((await dig(LISTEN, port, 'c.example')).answers.map((a) => a.data), ['10.79.1.1'], 'and answers with it');
  t.ok(d.alive, 'still running');
});


// Guards the settings step's cost: bin/dnsfwd asks for the settings at every start, and the
// answer is a constant, so the entry script gives it without loading the program.
t.test('--node-settings is answered without the program: the entry script alone prints the settings', async (t) => {
  const dir = t.testdir({});
  copyFileSync(join(ROOT, 'dist/dnsfwd.mjs'), join(dir, 'dnsfwd.mjs')); // no dnsfwd-program.mjs beside it
  for (const command of ['run', 'check']) {
    const r = spawnSync(process.execPath, [join(dir, 'dnsfwd.mjs'), '--node-settings', command, '--config', '/nonexistent.yaml'], { encoding: 'utf8' });
    t.equal(r.status, 0, `${command}: exit 0`, { stderr: r.stderr });
    t.equal(r.stdout, nodeSettings().flags.join(' ') + '\n', `${command}: the daemon's settings`);
  }
});

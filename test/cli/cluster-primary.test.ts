// The primary of `--workers N` (cluster.ts), run with stand-in workers: it exits once its workers
// have, even when a worker's IPC channel outlives the worker; and a signal that arrives while a
// worker is still starting reaches that worker once it has started, instead of meeting Node's
// default actions (SIGHUP ends the process, SIGUSR1 opens the inspector).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { until, WAIT_MS } from '../helpers/wait.js';

const CLUSTER = new URL('../../src/cli/cluster.js', import.meta.url).href;

/** The primary: runPrimary(COUNT) with WORKER as every worker's program; log lines as JSON. */
const PRIMARY = `
import cluster from 'node:cluster';
import { runPrimary } from '${CLUSTER}';
cluster.setupPrimary({ exec: process.argv[2] });
const line = (level) => (o, msg) => console.log(JSON.stringify({ level, ...o, msg }));
const log = { info: line('info'), warn: line('warn'), error: line('error'), debug: () => {} };
runPrimary(Number(process.argv[3]), log, () => console.log('ALL STARTED'));
`;

interface Primary {
  readonly dir: string;
  readonly child: ChildProcess;
  readonly out: () => string;
  readonly exited: Promise<number | null>;
}

function startPrimary(t: Test, worker: string, count: number): Primary {
  const dir = mkdtempSync(join(tmpdir(), 'dnsfwd-cluster-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'primary.mjs'), PRIMARY);
  writeFileSync(join(dir, 'worker.mjs'), worker);
  const { NODE_OPTIONS: _, ...rest } = process.env;
  const child = spawn(process.execPath, [join(dir, 'primary.mjs'), join(dir, 'worker.mjs'), String(count)], {
    env: { ...rest, DIR: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.teardown(() => void child.kill('SIGKILL'));
  return { dir, child, out: () => out, exited };
}

/** Resolves with the exit code, or null if the process has not exited within WAIT_MS (the bug). */
const exitWithin = (p: Primary) => Promise.race([p.exited, new Promise<null>((r) => setTimeout(() => r(null), WAIT_MS).unref())]);

t.test('the primary exits after SIGTERM when the workers exited before their IPC channels closed', async (t) => {
  // Each worker leaves a process behind that holds its end of the IPC channel (fd 3), so the
  // primary sees the worker exit but not the channel close: cluster.workers still lists it.
  const worker = `
import { spawn } from 'node:child_process';
import { reportStarted } from '${CLUSTER}';
const holder = spawn('sleep', ['300'], { stdio: ['ignore', 'ignore', 'ignore', 3], detached: true });
holder.unref();
console.log('HOLDER ' + holder.pid);
process.on('SIGTERM', () => process.exit(0));
reportStarted();
`;
  const p = startPrimary(t, worker, 2);
  t.teardown(() => {
    for (const m of p.out().matchAll(/^HOLDER (\d+)$/gm)) {
      try {
        process.kill(Number(m[1]), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  await until('both workers started', () => p.out().includes('ALL STARTED'));
  t.equal(p.out().match(/^HOLDER \d+$/gm)?.length, 2, 'each worker left a process holding its channel');
  p.child.kill('SIGTERM');
  t.equal(await exitWithin(p), 0, 'the primary exited with 0 (null: it was still running after the wait)');
  t.notMatch(p.out(), /worker died/, 'no worker was restarted');
});

t.test('a signal that arrives while a worker starts is delivered once it has started', async (t) => {
  // Worker 2 waits for a file before it sets its handlers and says it started: a window where
  // Node's default actions apply to it.
  const worker = `
import cluster from 'node:cluster';
import { existsSync } from 'node:fs';
import { reportStarted } from '${CLUSTER}';
const id = cluster.worker.id;
if (id === 2) {
  console.log('WORKER 2 WAITING');
  const cell = new Int32Array(new SharedArrayBuffer(4));
  while (!existsSync(process.env.DIR + '/go')) Atomics.wait(cell, 0, 0, 10);
}
for (const s of ['SIGHUP', 'SIGUSR1', 'SIGUSR2']) process.on(s, () => console.log('WORKER ' + id + ' ' + s));
process.on('SIGTERM', () => process.exit(0));
reportStarted();
`;
  const p = startPrimary(t, worker, 2);
  await until('worker 2 waiting', () => p.out().includes('WORKER 2 WAITING'));
  for (const s of ['SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const) {
    p.child.kill(s);
    await until(`worker 1 got ${s} from the primary`, () => p.out().includes(`WORKER 1 ${s}`));
  }
  writeFileSync(join(p.dir, 'go'), '');
  await until('both workers started', () => p.out().includes('ALL STARTED'));
  for (const s of ['SIGHUP', 'SIGUSR1', 'SIGUSR2']) {
    await until(`worker 2 got ${s}`, () => p.out().includes(`WORKER 2 ${s}`) || /worker died/.test(p.out()));
    t.match(p.out(), `WORKER 2 ${s}`, `worker 2 got the ${s} sent while it was starting`);
  }
  t.notMatch(p.out(), /worker died/, 'worker 2 was not ended by SIGHUP');
  t.notMatch(p.out(), /Debugger listening/, 'no inspector was opened by SIGUSR1');
  p.child.kill('SIGTERM');
  t.equal(await exitWithin(p), 0, 'the primary exited with 0');
});

// npm start and npm run check build dist/ themselves (scripts/build-if-stale.sh) when a part of it
// is missing or older than src/, package.json or package-lock.json, so they work whether or not npm
// ran the install scripts (`prepare`); with dist/ up to date they build nothing. npm is a stand-in
// that records what it is asked to run.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ROOT } from '../helpers/tools.js';

const PARTS = ['dist/dnsfwd.mjs', 'dist/dnsfwd-program.mjs', 'dist/cli/main.js', 'dist/cli/program.js'];

function checkout(t: Test): { dir: string; run: () => string[] } {
  const dir = t.testdir({ src: { 'a.ts': 'x' }, 'package.json': '{}', 'package-lock.json': '{}', scripts: {}, stub: {} });
  copyFileSync(join(ROOT, 'scripts/build-if-stale.sh'), join(dir, 'scripts/build-if-stale.sh'));
  writeFileSync(join(dir, 'stub/npm'), `#!/bin/sh\necho "$*" >>"${dir}/npm.log"\n`, { mode: 0o755 });
  const run = (): string[] => {
    rmSync(join(dir, 'npm.log'), { force: true });
    const r = spawnSync('sh', [join(dir, 'scripts/build-if-stale.sh')], { encoding: 'utf8', env: { PATH: `${dir}/stub:/usr/bin:/bin` } });
    t.equal(r.status, 0, 'exit 0', { stderr: r.stderr });
    return existsSync(join(dir, 'npm.log')) ? readFileSync(join(dir, 'npm.log'), 'utf8').trim().split('\n') : [];
  };
  return { dir, run };
}

function built(dir: string, at: number): void {
  mkdirSync(join(dir, 'dist/cli'), { recursive: true });
  for (const p of PARTS) {
    writeFileSync(join(dir, p), '');
    utimesSync(join(dir, p), at, at);
  }
}

t.test('no dist/: it builds', async (t) => {
  const { run } = checkout(t);
  t.same(run(), ['run build', 'run bundle']);
});

t.test('a part missing: it builds', async (t) => {
  const { dir, run } = checkout(t);
  built(dir, Date.now() / 1000 + 60);
  rmSync(join(dir, 'dist/dnsfwd-program.mjs'));
  t.same(run(), ['run build', 'run bundle']);
});

t.test('dist/ newer than every source: nothing to do', async (t) => {
  const { dir, run } = checkout(t);
  built(dir, Date.now() / 1000 + 60);
  t.same(run(), []);
});

t.test('a source file newer than dist/: it builds', async (t) => {
  const { dir, run } = checkout(t);
  built(dir, Date.now() / 1000 - 60);
  t.same(run(), ['run build', 'run bundle']);
});

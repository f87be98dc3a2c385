// systemd/dnsfwd.service passes `systemd-analyze verify` without a word, and `systemd-analyze
// security` scores it no worse than the figure its header records (and the README quotes).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { directive, recordedScore, UNIT } from '../helpers/systemd-unit.js';
import { requireTool } from '../helpers/tools.js';

requireTool('systemd-analyze');

/** A root with the host's unit files, the unit and stand-ins for the programs it runs. */
function verifyRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'dnsfwd-verify-'));
  mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
  cpSync(UNIT, join(root, 'etc/systemd/system/dnsfwd.service'));
  const units = existsSync('/usr/lib/systemd/system') ? '/usr/lib/systemd/system' : '/lib/systemd/system';
  cpSync(units, join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
  for (const program of ['usr/sbin/dnsfwd', 'bin/kill']) {
    mkdirSync(join(root, program, '..'), { recursive: true });
    writeFileSync(join(root, program), '#!/bin/sh\n', { mode: 0o755 });
  }
  return root;
}

t.test('systemd-analyze verify: no error, no warning', async (t) => {
  const root = verifyRoot();
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const r = spawnSync('systemd-analyze', ['verify', `--root=${root}`, 'dnsfwd.service'], { encoding: 'utf8' });
  t.equal(r.status, 0, 'exit status 0', { stderr: r.stderr });
  t.equal(r.stdout + r.stderr, '', 'nothing to say');
});

t.test('systemd-analyze security: at most the recorded exposure', async (t) => {
  const r = spawnSync('systemd-analyze', ['security', '--offline=true', '--no-pager', UNIT], { encoding: 'utf8' });
  t.equal(r.status, 0, 'exit status 0', { stderr: r.stderr });
  const m = /Overall exposure level for dnsfwd\.service: (\d+\.\d) (\S+)/.exec(r.stdout);
  t.ok(m, 'an overall exposure level', { stdout: r.stdout });
  const score = Number(m?.[1]);
  t.ok(score <= recordedScore(), `${score} ${m?.[2]} is at most the recorded ${recordedScore()}`, { stdout: r.stdout });
  t.notMatch(r.stdout, /✗ (User=|NoNewPrivileges=|ProtectSystem=|ProtectHome=|SystemCallFilter=|CapabilityBoundingSet=~CAP_SYS_ADMIN)/);
});

t.test('the unit runs what the README says, as dnsfwd with CAP_NET_BIND_SERVICE only', async (t) => {
  t.same(directive('User'), ['dnsfwd']);
  t.same(directive('AmbientCapabilities'), ['CAP_NET_BIND_SERVICE']);
  t.same(directive('CapabilityBoundingSet'), ['CAP_NET_BIND_SERVICE']);
  t.same(directive('ExecStart'), ['/usr/sbin/dnsfwd run $DNSFWD_OPTS'], 'the one entry, bin/dnsfwd as install.sh installs it');
  t.same(directive('ExecReload'), ['/usr/sbin/dnsfwd reload --pid $MAINPID $DNSFWD_OPTS']);
  t.same([directive('RuntimeDirectory'), directive('RuntimeDirectoryMode')], [['dnsfwd'], ['0750']], '/run/dnsfwd for the control socket');
  t.same(directive('Type'), ['notify'], 'ready when dnsfwd says so (systemd-ready.test.ts)');
  t.same(directive('NotifyAccess'), ['all'], 'which it says through a child, systemd-notify');
  t.same(directive('Before'), ['nss-lookup.target']);
  t.same(directive('Wants'), ['nss-lookup.target']);
  t.same(directive('Restart'), ['on-failure']);
  t.same(directive('MemoryDenyWriteExecute'), [], 'not set: V8 writes the machine code it runs');
});

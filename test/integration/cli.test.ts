// The command line: --help, --version, `check` (effective config or FILE:LINE:COL: reason, exit
// 2), the embedded default, and a clear one-line failure when port 53 needs privilege.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { DaemonProcess, runDnsfwd, startDnsfwd, tempControlSocket } from '../helpers/daemon.js';
import { parseDig } from '../helpers/dig.js';
import { BIN, BIN_ENV, ROOT, requireRoot, requireTool } from '../helpers/tools.js';

t.test('--help and --version', async (t) => {
  const help = await runDnsfwd(['--help']);
  t.equal(help.code, 0);
  for (const flag of ['--config', '--listen', '--route', '--lease-file', '--upstream', '--log-level', 'check']) {
    t.match(help.stdout, flag);
  }
  const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')).version;
  const version = await runDnsfwd(['--version']);
  t.equal(version.code, 0);
  t.same(version.stdout.trim().split('\n'), [`dnsfwd ${pkg}`, `node ${process.version} (${process.execPath})`, 'config (embedded default)'], 'version, the Node it runs on, the config in use');
  const withConfig = await runDnsfwd(['--config', '/etc/dnsfwd/dnsfwd.yaml', '--version']);
  t.equal(withConfig.stdout.trim().split('\n')[2], 'config /etc/dnsfwd/dnsfwd.yaml');
  t.equal((await runDnsfwd(['-v', '-c', 'x.yaml'])).stdout.trim().split('\n')[2], 'config x.yaml', '-v and -c');
});

t.test('check prints the effective configuration of the example file', async (t) => {
  const r = await runDnsfwd(['check', '--config', `${ROOT}/config/dnsfwd.example.yaml`]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, '127.0.0.1:53');
  t.match(r.stdout, 'consul');
  t.match(r.stdout, '127.0.0.1:8600');
  t.match(r.stdout, '/var/lib/dhcp/dhclient*.leases');
});

t.test('check with flags shows them applied', async (t) => {
  const r = await runDnsfwd(['check', '--route', 'vagrant.test=192.168.121.1', '--listen', '127.0.0.9:5353']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, 'vagrant.test');
  t.match(r.stdout, '192.168.121.1:53');
  t.match(r.stdout, '127.0.0.9:5353');
});

t.test('check on a bad file: FILE:LINE:COL: reason, exit 2', async (t) => {
  const dir = t.testdir({ 'bad.yaml': 'listen: ["127.0.0.1:53"]\nroutes:\n  - zone: consul\n    servers: ["127.0.0.1:99999"]\n' });
  const r = await runDnsfwd(['check', '--config', `${dir}/bad.yaml`]);
  t.equal(r.code, 2);
  t.match(r.stderr, new RegExp(`^${dir}/bad\\.yaml:4:\\d+: .*port`));
  const missing = await runDnsfwd(['check', '--config', `${dir}/nope.yaml`]);
  t.equal(missing.code, 2);
  t.match(missing.stderr, `${dir}/nope.yaml:`);
  const badFlag = await runDnsfwd(['check', '--route', 'consul']);
  t.equal(badFlag.code, 2);
  t.match(badFlag.stderr, '--route');
});

t.test('flags without their value, a repeated --config, a repeated listen address: one line, exit 2', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['check', '--listen'], /Not enough arguments following: listen/],
    [['check', '--route'], /Not enough arguments following: route/],
    [['check', '--config'], /Not enough arguments following: config/],
    [['check', '--config', ''], /--config: needs a file name/],
    [['check', '-c', 'a.yaml', '-c', 'b.yaml'], /--config: given more than once/],
    [['check', '--listen', '127.0.0.9:5353', '--listen', '127.0.0.9:5353'], /"127\.0\.0\.9:5353" is given twice/],
    [['check', '--lease-file', '/var/lib/../x.leases'], /"\." and "\.\." are not allowed/],
    [['check', '--workers', 'abc'], /^<command line>: --workers: "abc": must be a whole number from 1 to 64\n/],
    [['run', '--workers', '2x'], /^dnsfwd: <command line>: --workers: "2x": must be a whole number from 1 to 64\n/],
    [['check', '--log-level', 'loud'], /^dnsfwd: Invalid values: Argument: log-level, Given: "loud", Choices: "fatal",[^\n]*\nRun "dnsfwd --help" for the options\.\n$/],
  ];
  for (const [args, reason] of cases) {
    const r = await runDnsfwd(args);
    t.equal(r.code, 2, args.join(' '));
    t.match(r.stderr, reason);
    t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

t.test('run on a bad file exits 2 without starting', async (t) => {
  const dir = t.testdir({ 'bad.yaml': 'listen: ["127.0.0.1:53"]\nbogus_key: 1\n' });
  const r = await runDnsfwd(['run', '--config', `${dir}/bad.yaml`]);
  t.equal(r.code, 2);
  t.match(r.stderr, `${dir}/bad.yaml:2:1:`);
});

t.test('port 53 without privilege: one clear line, exit 1', async (t) => {
  requireRoot();
  const r = await runDnsfwd(['run', '--listen', '127.0.7.1:53', '--lease-file', '/nonexistent/x.leases'], { uid: 65534, gid: 65534 });
  t.equal(r.code, 1);
  const lines = r.stderr.trim().split('\n');
  t.equal(lines.length, 1, `one line: ${r.stderr}`);
  t.match(lines[0], /127\.0\.7\.1:53/);
  t.match(lines[0], /CAP_NET_BIND_SERVICE/);
  t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

t.test('the embedded default: 127.0.0.1:53 (+ ::1), .consul to 127.0.0.1:8600, dhclient leases', async (t) => {
  requireRoot();
  const d = await startDnsfwd([]);
  t.teardown(() => d.stop());
  const line = await d.waitForMsg('dnsfwd started');
  t.ok((line.listen as string[]).includes('127.0.0.1:53'));
  t.same((line.routes as Record<string, string[]>).consul, ['127.0.0.1:8600']);
  t.match(JSON.stringify(line.sources), '/var/lib/dhcp/dhclient*.leases');
  t.match(JSON.stringify(line.sources), '/var/lib/dhclient/dhclient*.leases');
  t.equal(await d.stop(), 0);
});

t.test('the embedded default on a host without IPv6: ::1 skipped with a warning, 127.0.0.1:53 answers', async (t) => {
  requireRoot();
  // A network namespace of the test's own (removed with its last process), IPv6 switched off in it.
  requireTool('ip');
  requireTool('unshare');
  const script = [
    'ip link set lo up',
    'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6',
    'echo 1 > /proc/sys/net/ipv6/conf/lo/disable_ipv6',
    // The host's /run/dnsfwd stays untouched: the control socket goes to a directory of the tests.
    `exec env -u NODE_OPTIONS ${BIN_ENV.join(' ')} "${BIN}" run --control-socket ${tempControlSocket()}`,
  ].join(' && ');
  const d = new DaemonProcess(spawn('setpriv', ['--pdeathsig', 'KILL', 'unshare', '--net', 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] }));
  t.teardown(() => d.stop());
  const started = await d.waitForMsg('dnsfwd started', 10_000);
  t.same(started.listen, ['127.0.0.1:53'], 'only the IPv4 loopback');
  t.ok(d.logs.some((l) => l.msg === 'no IPv6 on this host: not listening on ::1' && l.level === 40), 'a warning says why');
  const inside = await new Promise<string>((resolve) => {
    const args = [`--net=/proc/${d.child.pid}/ns/net`, requireTool('dig'), '@127.0.0.1', 'web.service.consul', '+tries=1', '+time=3'];
    execFile(requireTool('nsenter'), args, (_err, stdout, stderr) => resolve(stdout + stderr));
  });
  const r = parseDig(inside);
  t.equal(r.status, 'SERVFAIL', 'answered (no Consul there: SERVFAIL at once)');
  t.ok(r.flags.includes('ra'));
  t.equal(await d.stop(), 0);
});

t.test('the tsc build (dist/cli/main.js, the package bin) runs the same commands', async (t) => {
  const run = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string }>((resolve) => {
      execFile(process.execPath, [`${ROOT}/dist/cli/main.js`, ...args], (err, stdout) => resolve({ code: err ? (err.code as number) : 0, stdout }));
    });
  const version = await run(['--version']);
  t.equal(version.stdout.trim().split('\n')[0], `dnsfwd ${JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')).version}`);
  const check = await run(['check', '--listen', '127.0.0.9:5353']);
  t.equal(check.code, 0);
  t.match(check.stdout, 'listen:    127.0.0.9:5353');
});

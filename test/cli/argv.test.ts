// plainRun: a plain `dnsfwd [run] --flag VALUE ...` is read without yargs; anything else (help,
// version, check, an unknown flag, a missing or empty value) is left to yargs (null).
import t from 'tap';
import { OPTIONS, plainRun } from '../../src/cli/argv.js';

t.test('plain runs: every option, repeated arrays, aliases, --flag=value', async (t) => {
  t.same(plainRun([]), {});
  t.same(plainRun(['run']), {});
  t.same(
    plainRun([
      'run', '-c', '/etc/dnsfwd.yaml', '--listen', '127.0.0.1:53', '--listen=[::1]:53', '--route', 'consul=127.0.0.1:8600',
      '--lease-file', '/var/lib/dhcp/dhclient*.leases', '--upstream', '9.9.9.9', '--log-level', 'debug', '--workers', '2',
    ]),
    {
      config: '/etc/dnsfwd.yaml',
      listen: ['127.0.0.1:53', '[::1]:53'],
      route: ['consul=127.0.0.1:8600'],
      leaseFile: ['/var/lib/dhcp/dhclient*.leases'],
      upstream: ['9.9.9.9'],
      logLevel: 'debug',
      workers: 2,
    },
  );
  t.same(plainRun(['--config', 'a.yaml']), { config: 'a.yaml' }, 'run is the default command');
  t.same(plainRun(['--log-queries', '--workers', '2']), { logQueries: true, workers: 2 }, 'a flag without a value');
  t.same(plainRun(['--control-socket', '/tmp/c.sock']), { controlSocket: '/tmp/c.sock' }, '--control-socket PATH');
  // Guards emptyOk: a daemon without a control socket (as the benchmarks run it) does not load yargs.
  t.same(plainRun(['run', '--control-socket', '', '--listen', '127.0.0.1:53']), { controlSocket: '', listen: ['127.0.0.1:53'] }, '--control-socket "": none');
  t.same(plainRun(['--control-socket=']), { controlSocket: '' }, '--control-socket=');
  t.same(plainRun(['--log-format', 'text', '--log-file', '/var/log/dnsfwd.log']), { logFormat: 'text', logFile: '/var/log/dnsfwd.log' });
});

t.test('left to yargs: help, version, check, unknown flags, missing or bad values', async (t) => {
  const cases = [
    ['--help'], ['-h'], ['--version'], ['-v'], ['check'], ['check', '--listen', '127.0.0.1:53'], ['run', 'extra'],
    ['--bogus'], ['--listen'], ['--listen', ''], ['--config'], ['--config', ''], ['-c', 'a', '-c', 'b'],
    ['--log-level', 'loud'], ['--workers', 'many'], ['--workers'],
    // The control commands, and --control-socket without a value.
    ['status'], ['explain', 'a.consul'], ['flush'], ['reload', '--control-socket', '/tmp/c.sock'], ['--control-socket'],
    ['--control-socket', '--listen', '127.0.0.1:53'],
    ['--log-level', 'loud'], ['--workers', 'many'], ['--workers'], ['--log-format', 'pretty'], ['--log-format'], ['--log-file'],
    ['--log-file', ''],
  ];
  for (const args of cases) t.equal(plainRun(args), null, args.join(' '));
});

t.test('the table names every flag once', async (t) => {
  const names = OPTIONS.flatMap((o) => [o.name, ...(o.alias ? [o.alias] : [])]);
  t.equal(new Set(names).size, names.length);
  t.same(OPTIONS.map((o) => o.name), ['config', 'listen', 'route', 'lease-file', 'upstream', 'log-level', 'log-queries', 'log-format', 'log-file', 'workers', 'user', 'control-socket']);
});

// The commands: `dnsfwd [run]` starts the daemon, `dnsfwd check` validates and prints the
// effective configuration. Turns flags into ConfigOverrides; main.ts does the rest.
import { readFileSync } from 'node:fs';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { applyOverrides, COMMAND_LINE, defaultConfig, describeConfig, formatConfigError, loadConfigFile } from './config/load.js';
import type { ConfigOverrides, ConfigResult } from './config/types.js';
import { isWorker, reportStarted, runPrimary } from './cluster.js';
import { releaseEarlySignals, replayEarlySignals } from './early-signals.js';
import { isDnsfwdError } from './errors.js';
import { createLogger, LOG_LEVELS, type Logger } from './log.js';
import { Daemon } from './main.js';

const SHUTDOWN_GRACE_MS = 2000;

interface Flags extends ConfigOverrides {
  readonly config?: string;
}

function options(y: Argv): Argv<Flags> {
  return y
    .option('config', { alias: 'c', type: 'string', requiresArg: true, describe: 'YAML config file (default: the embedded default)' })
    .option('listen', { type: 'string', array: true, requiresArg: true, describe: 'listen on ADDR[:PORT] (UDP+TCP), e.g. 127.0.0.1:53 or [::1]:53; replaces the configured list' })
    .option('route', { type: 'string', array: true, requiresArg: true, describe: 'ZONE=SERVER[,SERVER...]: forward ZONE to these servers (SERVER is ADDR[:PORT], port 53 by default); adds to or replaces a configured route' })
    .option('lease-file', { type: 'string', array: true, requiresArg: true, describe: 'dhclient lease file naming the default route servers (* allowed in the file name); replaces the configured sources' })
    .option('upstream', { type: 'string', array: true, requiresArg: true, describe: 'static server for the default route, used when no source gives any; replaces the configured list' })
    .option('log-level', { type: 'string', requiresArg: true, choices: LOG_LEVELS as unknown as string[], describe: 'log level' })
    .option('workers', { type: 'number', requiresArg: true, describe: 'processes answering queries (cluster; each has its own cache)' }) as Argv<Flags>;
}

async function loadConfig(flags: Flags): Promise<ConfigResult> {
  const file: unknown = flags.config;
  if (Array.isArray(file)) return flagError('--config', 'given more than once');
  if (file === '') return flagError('--config', 'needs a file name');
  const base: ConfigResult = typeof file === 'string' ? await loadConfigFile(file) : { ok: true, config: defaultConfig() };
  return base.ok ? applyOverrides(base.config, flags) : base;
}

async function check(flags: Flags): Promise<void> {
  releaseEarlySignals(); // a check is over in a moment: signals take their default action again
  const result = await loadConfig(flags);
  if (!result.ok) {
    process.stderr.write(formatConfigError(result.error) + '\n');
    process.exit(2);
  }
  process.stdout.write(describeConfig(result.config) + '\n');
}

async function run(flags: Flags): Promise<void> {
  const result = await loadConfig(flags);
  if (!result.ok) {
    process.stderr.write(`dnsfwd: ${formatConfigError(result.error)}\n`);
    process.exit(2);
  }
  const log = createLogger(result.config.logLevel);
  if (result.config.server.workers > 1 && !isWorker()) return runPrimary(result.config.server.workers, log);
  const daemon = new Daemon(result.config, { log: isWorker() ? log.child({ worker: process.pid }) : log });
  const started = daemon.start();
  // Signals that arrive while starting wait for the start to finish.
  handleSignals(daemon, flags, log, started);
  try {
    await started;
  } catch (err) {
    await daemon.shutdown(0);
    if (!isDnsfwdError(err)) throw err;
    process.stderr.write(`dnsfwd: ${err.message}\n`);
    process.exit(1);
  }
  reportStarted();
}

/**
 * SIGTERM/SIGINT: one graceful shutdown, however many signals arrive during it. SIGHUP: reloads,
 * one at a time, in order. SIGUSR1: cache statistics.
 */
function handleSignals(daemon: Daemon, flags: Flags, log: Logger, started: Promise<void>): void {
  const afterStart = started.catch(() => undefined);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.info({ signal }, 'already shutting down');
      return;
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    afterStart
      .then(() => daemon.shutdown(SHUTDOWN_GRACE_MS))
      .then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGUSR1', () => daemon.logStats());
  let reloading = afterStart;
  process.on('SIGHUP', () => {
    reloading = reloading.then(() => (stopping ? undefined : reload(daemon, flags, log)));
  });
  replayEarlySignals();
}

async function reload(daemon: Daemon, flags: Flags, log: Logger): Promise<void> {
  log.info({ file: flags.config ?? '(embedded default)' }, 'SIGHUP: reloading configuration');
  const result = await loadConfig(flags);
  if (!result.ok) {
    log.error({ error: formatConfigError(result.error) }, 'new configuration rejected: keeping the old one');
    return;
  }
  try {
    await daemon.reload(result.config);
  } catch (err) {
    log.error({ error: (err as Error).message }, 'new configuration could not be applied: keeping the old one');
  }
}

function flagError(flag: string, reason: string): ConfigResult {
  return { ok: false, error: { file: COMMAND_LINE, line: 0, col: 0, key: flag, reason } };
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

await yargs(hideBin(process.argv))
  .scriptName('dnsfwd')
  .usage('$0 [run|check] [options]\n\nLocal DNS forwarder: routes each query by zone to Consul, libvirt\'s dnsmasq or the DHCP nameservers.')
  .command(['run', '$0'], 'run the daemon (the default command)', options, (argv) => run(argv))
  .command('check', 'validate the configuration and print it; exit 2 with FILE:LINE:COL: reason on error', options, (argv) => check(argv))
  .version(version())
  .strict()
  .fail((msg, err) => {
    if (err && err.name !== 'YError') throw err; // a bug: let Node print the stack
    process.stderr.write(`dnsfwd: ${msg ?? err?.message}\nRun "dnsfwd --help" for the options.\n`);
    process.exit(2);
  })
  .help()
  .alias('h', 'help')
  .alias('v', 'version')
  .parseAsync();

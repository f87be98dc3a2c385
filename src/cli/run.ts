// The two commands, `run` and `check`, given flags already read from the command line (by
// yargs, or by argv.ts for a plain `dnsfwd run`): load the config, then start or print it.
import { applyOverrides, defaultConfig, describeConfig, flagError, formatConfigError, loadConfigFile } from '../config/load.js';
import type { Config, ConfigResult } from '../config/types.js';
import type { Flags } from './argv.js';
import { isWorker, reportStarted, runPrimary } from './cluster.js';
import { ignoreUnusedSignals, releaseEarlySignals, replayEarlySignals } from './early-signals.js';
import { isDnsfwdError } from '../errors.js';
import { createLogger, type ProcessLog } from '../log.js';
import { Daemon } from '../daemon.js';
import { hostProblems } from './host-checks.js';
import { checkConfigReadable, dropPrivileges } from './privileges.js';

const SHUTDOWN_GRACE_MS = 2000;

/** The config the file (or the embedded default) gives, before the flags. */
async function loadBase(flags: Flags): Promise<ConfigResult> {
  const file: unknown = flags.config;
  if (Array.isArray(file)) return flagError('--config', 'given more than once');
  if (file === '') return flagError('--config', 'needs a file name');
  return typeof file === 'string' ? await loadConfigFile(file) : { ok: true, config: defaultConfig() };
}

async function loadConfig(flags: Flags): Promise<ConfigResult> {
  const base = await loadBase(flags);
  return base.ok ? applyOverrides(base.config, flags) : base;
}

/**
 * Prints the effective config; exit 2 with FILE:LINE:COL when it is invalid, or when `run` would
 * drop or refuse part of it on this host (hostProblems), one line each.
 */
export async function check(flags: Flags): Promise<void> {
  releaseEarlySignals(); // a check is over in a moment: signals take their default action again
  const base = await loadBase(flags);
  const result = base.ok ? applyOverrides(base.config, flags) : base;
  if (!result.ok) {
    process.stderr.write(formatConfigError(result.error) + '\n');
    process.exit(2);
  }
  const problems = base.ok ? hostProblems(result.config, base.config, base.locate) : [];
  if (problems.length > 0) {
    process.stderr.write(problems.map((p) => formatConfigError(p) + '\n').join(''));
    process.exit(2);
  }
  process.stdout.write(describeConfig(result.config) + '\n');
}

export async function run(flags: Flags): Promise<void> {
  const result = await loadConfig(flags);
  if (!result.ok) {
    process.stderr.write(`dnsfwd: ${formatConfigError(result.error)}\n`);
    process.exit(2);
  }
  const processLog = openLog(result.config);
  const log = processLog.logger;
  if (result.config.server.workers > 1 && !isWorker()) {
    // Each process writes the log file itself: the primary reopens its own and forwards SIGUSR2.
    process.on('SIGUSR2', () => processLog.reopen());
    // The primary holds the shared sockets: it too drops privileges once every worker listens.
    return runPrimary(result.config.server.workers, log, () => {
      try {
        dropPrivileges(result.config.user, log);
      } catch (err) {
        process.stderr.write(`dnsfwd: ${(err as Error).message}\n`);
        process.exit(1);
      }
    });
  }
  const daemon = new Daemon(result.config, isWorker() ? log.child({ worker: process.pid }) : log);
  const started = daemon.start();
  // Signals that arrive while starting wait for the start to finish.
  handleSignals(daemon, flags, processLog, started);
  try {
    await started;
    dropPrivileges(result.config.user, log);
    checkConfigReadable(flags.config, log);
  } catch (err) {
    await daemon.shutdown(0);
    if (!isDnsfwdError(err)) throw err;
    process.stderr.write(`dnsfwd: ${err.message}\n`);
    process.exit(1);
  }
  reportStarted();
}

/** The process logger the config asks for; a log file that cannot be opened ends the start, exit 1. */
function openLog(config: Config): ProcessLog {
  try {
    return createLogger({ level: config.logLevel, format: config.logFormat, file: config.logFile });
  } catch (err) {
    if (!isDnsfwdError(err)) throw err;
    process.stderr.write(`dnsfwd: ${err.message}\n`);
    process.exit(1);
  }
}

/**
 * SIGTERM/SIGINT: one graceful shutdown, however many signals arrive during it. SIGHUP: reloads,
 * one at a time, in order. SIGUSR1: cache statistics. SIGUSR2: reopens the log file. The unused
 * signals whose default would end the process: ignored (early-signals.ts).
 */
function handleSignals(daemon: Daemon, flags: Flags, processLog: ProcessLog, started: Promise<void>): void {
  const log = processLog.logger;
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
  process.on('SIGUSR2', () => processLog.reopen());
  let reloading = afterStart;
  process.on('SIGHUP', () => {
    reloading = reloading.then(() => (stopping ? undefined : reload(daemon, flags, processLog)));
  });
  ignoreUnusedSignals(log);
  replayEarlySignals();
}

async function reload(daemon: Daemon, flags: Flags, processLog: ProcessLog): Promise<void> {
  const log = processLog.logger;
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
    return;
  }
  applyLogSettings(processLog, result.config);
}

/**
 * A reload's log settings: a new log_format applies from the next line on; the log file is opened
 * at start only (dnsfwd may no longer have the privilege to create another), so a new log_file
 * waits for a restart, which a warning says.
 */
function applyLogSettings(processLog: ProcessLog, config: Config): void {
  const log = processLog.logger;
  if (config.logFormat !== processLog.format) {
    processLog.setFormat(config.logFormat);
    log.info({ format: config.logFormat }, 'log format changed');
  }
  if (config.logFile !== processLog.file) {
    log.warn({ file: processLog.file || 'stdout', configured: config.logFile || 'stdout' }, 'log_file changed: it takes effect at the next restart');
  }
}


// The two commands, `run` and `check`, given flags already read from the command line (by
// yargs, or by argv.ts for a plain `dnsfwd run`): load the config, then start or print it. The
// daemon's control socket is opened here, and its reloads (SIGHUP or `dnsfwd reload`) queued.
import { applyOverrides, describeConfig, formatConfigError } from '../config/load.js';
import type { Config } from '../config/types.js';
import { loadBase, loadConfig } from './load-config.js';
import type { Worker } from 'node:cluster';
import { answer, type ControlTarget, type ReloadResult, type Request } from '../control/protocol.js';
import { CONTROL_TOPIC, relayTarget } from '../control/relay.js';
import { ControlServer } from '../control/server.js';
import type { Flags } from './argv.js';
import { isWorker, reportStarted, runPrimary } from './cluster.js';
import { answerMetricsRequests, clusterMetricsText } from '../metrics/cluster.js';
import { MetricsServer } from '../metrics/server.js';
import { ignoreUnusedSignals, releaseEarlySignals, replayEarlySignals } from './early-signals.js';
import { isDnsfwdError } from '../errors.js';
import { createLogger, type Logger, type ProcessLog } from '../log.js';
import { Daemon } from '../daemon.js';
import { hostProblems } from './host-checks.js';
import { checkConfigReadable, dropPrivileges, socketOwner } from './privileges.js';
import { answerAsks } from './worker-ask.js';
import { notifyReady, takeNotifySocket } from './notify.js';
import { needsRelaunch, nodeSettings, relaunch } from './node-settings.js';
import { startHeapPacer } from '../heap-pacer.js';

const SHUTDOWN_GRACE_MS = 2000;

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

/**
 * Starts the daemon. Once every listener is bound, the sources are read and privileges are dropped,
 * it is ready: a cluster worker tells its primary, and the process systemd started (the primary,
 * with workers) tells systemd (notify.ts).
 */
export async function run(flags: Flags): Promise<void> {
  const result = await loadConfig(flags);
  if (!result.ok) {
    process.stderr.write(`dnsfwd: ${formatConfigError(result.error)}\n`);
    process.exit(2);
  }
  // Started without the Node settings (`node dist/dnsfwd.mjs run`): again, with them.
  const settings = nodeSettings();
  if (!isWorker() && needsRelaunch(settings)) return relaunch(settings, releaseEarlySignals());
  const notifySocket = takeNotifySocket();
  const processLog = openLog(result.config);
  const log = processLog.logger;
  if (result.config.server.workers > 1 && !isWorker()) return runClusterPrimary(flags, result.config, processLog, notifySocket);
  const daemon = new Daemon(result.config, isWorker() ? log.child({ worker: process.pid }) : log, { serveMetrics: !isWorker() });
  if (isWorker()) answerMetricsRequests(() => daemon.metrics());
  const reloads = new ReloadQueue(daemon, flags, result.config, processLog);
  const target = daemonTarget(daemon, reloads);
  let control: ControlServer | null = null;
  // In a cluster the primary owns the control socket and relays requests to each worker.
  if (isWorker()) answerAsks(CONTROL_TOPIC, (request) => answer(target, request as Request));
  const started = daemon.start(async () => {
    if (isWorker() || result.config.controlSocket === '') return;
    control = await openControl(result.config, target, log);
  });
  // Signals that arrive while starting wait for the start to finish.
  handleSignals(daemon, reloads, processLog, started, () => control?.close());
  try {
    await started;
    dropPrivileges(result.config.user, log);
    checkConfigReadable(flags.config, log);
  } catch (err) {
    (control as ControlServer | null)?.close();
    await daemon.shutdown(0);
    if (!isDnsfwdError(err)) throw err;
    process.stderr.write(`dnsfwd: ${err.message}\n`);
    process.exit(1);
  }
  reportStarted();
  notifyReady(notifySocket, `answering on ${daemon.endpoints().join(', ')}`, log);
  if (!startHeapPacer(() => reloads.current.server.heapPacingMib)) log.debug('node runs without --expose-gc: the heap is not paced');
}

/** The control socket of `config`, owned by the user dnsfwd is about to become (if it is root). */
function openControl(config: Config, target: ControlTarget, log: Logger): Promise<ControlServer> {
  return ControlServer.open(config.controlSocket, target, log.child({ component: 'control' }), socketOwner(config.user));
}

/** What the control socket's commands do to this daemon. */
function daemonTarget(daemon: Daemon, reloads: ReloadQueue): ControlTarget {
  return {
    status: () => daemon.status(),
    explain: (name, type, live) => daemon.explain(name, type, live),
    flush: async (zone) => daemon.flush(zone),
    reload: () => reloads.reload('control socket'),
  };
}

/**
 * Reloads, one at a time and in order, whether asked by SIGHUP or over the control socket: each
 * reads the config file again (the same flags on top) and applies it, or keeps the old config.
 */
class ReloadQueue {
  private last: Promise<unknown> = Promise.resolve();
  private stopped = false;
  /** The config in force: the first, then each one a reload applied. */
  current: Config;

  constructor(
    private readonly daemon: Daemon,
    private readonly flags: Flags,
    private readonly first: Config,
    private readonly processLog: ProcessLog,
  ) {
    this.current = first;
  }

  private get log(): Logger {
    return this.processLog.logger;
  }

  /** Waits for the daemon's start (reloads asked during it run after it). */
  after(started: Promise<void>): void {
    this.last = started.catch(() => undefined);
  }

  /** No reload starts from now on (shutting down). */
  stop(): void {
    this.stopped = true;
  }

  /** Queues a reload asked by `by`; resolves with its outcome once done. */
  reload(by: string): Promise<ReloadResult> {
    const next = this.last.then(() => (this.stopped ? { ok: false as const, error: 'shutting down' } : this.once(by)));
    this.last = next;
    return next;
  }

  private async once(by: string): Promise<ReloadResult> {
    const file = this.flags.config ?? '(embedded default)';
    this.log.info({ file }, `${by}: reloading configuration`);
    const result = await loadConfig(this.flags);
    if (!result.ok) {
      const error = formatConfigError(result.error);
      this.log.error({ error }, 'new configuration rejected: keeping the old one');
      return { ok: false, error };
    }
    try {
      await this.daemon.reload(result.config);
    } catch (err) {
      const error = (err as Error).message;
      this.log.error({ error }, 'new configuration could not be applied: keeping the old one');
      return { ok: false, error: `new configuration could not be applied: ${error}` };
    }
    if (result.config.controlSocket !== this.first.controlSocket) {
      this.log.warn({ now: this.first.controlSocket, configured: result.config.controlSocket }, 'control_socket changed: it takes effect at the next start');
    }
    applyLogSettings(this.processLog, result.config);
    this.current = result.config;
    return { ok: true, file };
  }
}

/**
 * The primary of `server.workers` daemons: it holds the shared sockets, the control socket
 * (relaying to the workers) and the metrics endpoint (summing the workers' counters), each bound
 * first (a failure is one line and exit 1), and drops privileges once every worker listens. On
 * SIGHUP (forwarded to the workers too) it applies a changed `metrics.listen`.
 */
async function runClusterPrimary(flags: Flags, config: Config, processLog: ProcessLog, notifySocket: string | undefined): Promise<void> {
  const log = processLog.logger;
  // Each process writes the log file itself: the primary reopens its own and forwards SIGUSR2.
  process.on('SIGUSR2', () => processLog.reopen());
  let serving: () => Worker[] = () => [];
  const metrics = new MetricsServer(() => clusterMetricsText(serving()), log.child({ component: 'metrics' }));
  let control: ControlServer | null = null;
  try {
    if (config.controlSocket !== '') control = await openControl(config, relayTarget(), log);
    await metrics.apply(config.metrics.listen);
  } catch (err) {
    control?.close();
    if (!isDnsfwdError(err)) throw err;
    process.stderr.write(`dnsfwd: ${err.message}\n`);
    process.exit(1);
  }
  process.on('exit', () => control?.close());
  process.on('SIGHUP', () => {
    void loadConfig(flags)
      .then((next) => (next.ok ? metrics.apply(next.config.metrics.listen) : undefined))
      .catch((err: unknown) => log.error({ error: (err as Error).message }, 'new metrics.listen could not be applied: keeping the old one'));
  });
  serving = runPrimary(config.server.workers, log, () => {
    try {
      dropPrivileges(config.user, log);
    } catch (err) {
      process.stderr.write(`dnsfwd: ${(err as Error).message}\n`);
      process.exit(1);
    }
    notifyReady(notifySocket, `${config.server.workers} workers answering`, log);
  });
}

/**
 * SIGTERM/SIGINT: one graceful shutdown, however many signals arrive during it. SIGHUP: reloads,
 * one at a time, in order. SIGUSR1: cache statistics. SIGUSR2: reopens the log file. The other unused signals whose
 * default would end the process: ignored (early-signals.ts).
 */
function handleSignals(daemon: Daemon, reloads: ReloadQueue, processLog: ProcessLog, started: Promise<void>, closeControl: () => void): void {
  const log = processLog.logger;
  const afterStart = started.catch(() => undefined);
  reloads.after(started);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.info({ signal }, 'already shutting down');
      return;
    }
    stopping = true;
    reloads.stop();
    log.info({ signal }, 'shutting down');
    afterStart
      .then(() => {
        closeControl();
        return daemon.shutdown(SHUTDOWN_GRACE_MS);
      })
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
  process.on('SIGHUP', () => void reloads.reload('SIGHUP'));
  ignoreUnusedSignals(log);
  replayEarlySignals();
}

/** The process's logger, as the config says (a log file that cannot be opened: one line, exit 1). */
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

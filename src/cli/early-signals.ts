// Signals that arrive while the modules load and the daemon starts are held, not fatal (SIGHUP's
// and SIGTERM's default action is to end the process): the daemon replays them once its own
// handlers are in place (SIGUSR2 too: a log rotation during start-up still reopens the log file).
// Signals dnsfwd has no use for, whose default action would also end it (SIGALRM sent by mistake,
// say), are ignored with a debug line.
import type { Logger } from '../log.js';

/**
 * Signals dnsfwd does not use whose default action ends a process. Not SIGPROF (V8's profiler
 * uses it), nor the faults (SIGSEGV, SIGBUS...), nor the job-control stops.
 */
export const UNUSED_SIGNALS: readonly NodeJS.Signals[] = ['SIGALRM', 'SIGVTALRM', 'SIGIO'];
const HELD: readonly NodeJS.Signals[] = ['SIGHUP', 'SIGTERM', 'SIGINT', 'SIGUSR1', 'SIGUSR2', ...UNUSED_SIGNALS];
const held: NodeJS.Signals[] = [];
const hold = (signal: NodeJS.Signals): void => void held.push(signal);

/** What main.ts held while the program loaded. */
interface LauncherHold {
  readonly names: NodeJS.Signals[];
  readonly signals: NodeJS.Signals[];
  readonly hold: (signal: NodeJS.Signals) => void;
}

/** Holds the signals from now on, taking over those main.ts held while the program loaded. */
export function holdEarlySignals(): void {
  for (const s of HELD) process.on(s, hold);
  const key = Symbol.for('dnsfwd.early-signals');
  const launcher = (globalThis as unknown as Record<symbol, LauncherHold | undefined>)[key];
  if (launcher === undefined) return;
  for (const s of launcher.names) process.off(s, launcher.hold);
  held.unshift(...launcher.signals.splice(0));
  delete (globalThis as unknown as Record<symbol, unknown>)[key];
}

/** Stops holding; the signals received so far, in order, for the caller to act on. */
export function releaseEarlySignals(): NodeJS.Signals[] {
  for (const s of HELD) process.off(s, hold);
  return held.splice(0);
}

/** Stops holding and delivers the held signals to the handlers now installed. */
export function replayEarlySignals(): void {
  for (const s of releaseEarlySignals()) process.emit(s, s);
}

/** Ignores UNUSED_SIGNALS from now on, each with a debug line. */
export function ignoreUnusedSignals(log: Logger): void {
  for (const s of UNUSED_SIGNALS) process.on(s, () => log.debug({ signal: s }, 'signal not used by dnsfwd: ignored'));
}

// Signals that arrive while the modules load and the daemon starts are held, not fatal (SIGHUP's
// and SIGTERM's default action is to end the process): the daemon replays them once its own
// handlers are in place.
const HELD: readonly NodeJS.Signals[] = ['SIGHUP', 'SIGTERM', 'SIGINT', 'SIGUSR1'];
const held: NodeJS.Signals[] = [];
const hold = (signal: NodeJS.Signals): void => void held.push(signal);

export function holdEarlySignals(): void {
  for (const s of HELD) process.on(s, hold);
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

// `server.workers` > 1: the primary process forks that many workers, each a whole daemon, and
// Node's cluster module shares the listening sockets among them. The primary only supervises:
// it forwards signals (and reopens its own log file on SIGUSR2, see run.ts), restarts a worker that
// dies, and exits when they have stopped, and it serves the metrics endpoint for them all
// (metrics/cluster.ts).
import cluster, { type Worker } from 'node:cluster';
import { ignoreUnusedSignals, replayEarlySignals } from './early-signals.js';
import type { Logger } from '../log.js';

/** The message a worker sends once its daemon is listening. */
const STARTED = 'dnsfwd:started';

const FORWARDED: NodeJS.Signals[] = ['SIGHUP', 'SIGUSR1', 'SIGUSR2'];

export function isWorker(): boolean {
  return cluster.isWorker;
}

/** Tells the primary this worker is serving (no-op outside a cluster). */
export function reportStarted(): void {
  if (cluster.isWorker) process.send?.(STARTED);
}

/**
 * Forks `count` workers, the first alone: if it cannot start (say, port 53 without privilege),
 * the primary exits with its exit code and the operator sees its one error line, not `count`.
 * Returns what lists the workers serving now (started, not yet exited).
 */
export function runPrimary(count: number, log: Logger, allStarted: () => void = () => {}): () => Worker[] {
  let stopping = false;
  let started = 0;
  const serving = new Set<Worker>();
  // Signals for a worker still starting, sent once it has said it started. Before its handlers
  // are in place, Node's default actions apply: SIGHUP ends it, SIGUSR1 opens the inspector.
  const pending = new Map<Worker, Set<NodeJS.Signals>>();
  const fork = (): Worker => {
    const w = cluster.fork();
    pending.set(w, new Set());
    w.on('message', (m: unknown) => {
      if (m !== STARTED) return;
      serving.add(w);
      for (const signal of pending.get(w) ?? []) w.process.kill(signal);
      pending.delete(w);
      started++;
      if (started < count) fork();
      else if (started === count) {
        log.info({ workers: count }, 'all workers started');
        allStarted();
      }
    });
    return w;
  };
  cluster.on('exit', (w, code, signal) => {
    serving.delete(w);
    pending.delete(w);
    // cluster.workers keeps a worker until its IPC channel has closed too, which can come after
    // its exit (or never, while a process it started holds the channel): count the living.
    const alive = Object.values(cluster.workers ?? {}).filter((x) => x !== undefined && !x.isDead()).length;
    if (stopping || started === 0) {
      stopping = true;
      if (alive === 0) process.exit(stopping && started > 0 ? 0 : (code ?? 1));
      return;
    }
    log.warn({ worker: w.process.pid, code, signal }, 'worker died: starting another');
    fork();
  });
  let signalled = false;
  const stop = () => {
    if (signalled) return; // one shutdown, however many signals
    signalled = true;
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  for (const signal of FORWARDED) {
    process.on(signal, () => {
      for (const w of Object.values(cluster.workers ?? {})) {
        if (w === undefined || w.isDead()) continue;
        const held = pending.get(w);
        if (held) held.add(signal);
        else w.process.kill(signal);
      }
    });
  }
  ignoreUnusedSignals(log);
  replayEarlySignals();
  fork();
  return () => [...serving];
}

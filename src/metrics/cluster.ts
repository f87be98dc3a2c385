// The metrics of a cluster (server.workers > 1): each worker is a whole daemon with its own
// counters, so the primary serves the endpoint and, on each scrape, asks every worker that has
// started for its snapshot over the cluster's IPC channel and sums them (snapshot.ts). A worker
// never binds the endpoint itself: Node's cluster module would share it and hand each scrape to
// one worker in turn, each showing its own counters.
import type { Worker } from 'node:cluster';
import { buildInfo, render } from './exposition.js';
import { processSnapshot, sumSnapshots, type MetricsSnapshot } from './snapshot.js';

const ASK = 'dnsfwd:metrics?';
const REPLY = 'dnsfwd:metrics';
/** A worker busy with a burst of queries still answers well within this. */
export const WORKER_REPLY_MS = 3000;

interface Ask {
  readonly type: typeof ASK;
  readonly id: number;
}
interface Reply {
  readonly type: typeof REPLY;
  readonly id: number;
  readonly snapshot: MetricsSnapshot;
}

/** In a worker: answers the primary's requests with `snapshot()`. */
export function answerMetricsRequests(snapshot: () => MetricsSnapshot): void {
  process.on('message', (m: unknown) => {
    if (!isMessage<Ask>(m, ASK)) return;
    process.send?.({ type: REPLY, id: m.id, snapshot: snapshot() } satisfies Reply);
  });
}

let nextId = 0;

/**
 * In the primary: the snapshots of `workers`, in their order. Rejects when one does not reply
 * within `timeoutMs` or exits first: a sum without it would look like a counter reset.
 */
export function workerSnapshots(workers: readonly Worker[], timeoutMs = WORKER_REPLY_MS): Promise<MetricsSnapshot[]> {
  const id = ++nextId;
  return Promise.all(
    workers.map(
      (w) =>
        new Promise<MetricsSnapshot>((resolve, reject) => {
          const done = () => {
            clearTimeout(timer);
            w.off('message', onMessage);
            w.off('exit', onExit);
          };
          const onMessage = (m: unknown) => {
            if (!isMessage<Reply>(m, REPLY) || m.id !== id) return;
            done();
            resolve(m.snapshot);
          };
          const onExit = () => {
            done();
            reject(new Error(`worker ${w.process.pid} exited before sending its metrics`));
          };
          const timer = setTimeout(() => {
            done();
            reject(new Error(`worker ${w.process.pid} sent no metrics within ${timeoutMs} ms`));
          }, timeoutMs);
          w.on('message', onMessage);
          w.on('exit', onExit);
          w.send({ type: ASK, id } satisfies Ask);
        }),
    ),
  );
}

/** In the primary: the exposition of `workers` summed, with the primary's own process figures in the process sums. */
export async function clusterMetricsText(workers: readonly Worker[]): Promise<string> {
  if (workers.length === 0) throw new Error('no worker has started yet');
  const parts = await workerSnapshots(workers);
  return render(sumSnapshots(parts, [processSnapshot(), ...parts.map((p) => p.process)]), buildInfo());
}

function isMessage<T extends { type: string }>(m: unknown, type: T['type']): m is T {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type;
}

// Questions from the cluster's primary to its workers over the cluster IPC channel: the primary
// asks every worker (askWorkers) and gets one reply per worker, or for a worker that died or did
// not answer in time, why not; a worker answers the questions of a topic with a handler
// (answerAsks). The control socket uses the topic "control".
import cluster, { type Worker } from 'node:cluster';

/** How long the primary waits for a worker's reply. */
export const ASK_TIMEOUT_MS = 20_000;

interface Ask {
  readonly dnsfwdAsk: number;
  readonly topic: string;
  readonly body: unknown;
}

/** A worker's answer: the handler's result, or the message of its exception. */
type Reply = { readonly dnsfwdReply: number; readonly body: unknown } | { readonly dnsfwdReply: number; readonly error: string };

/** One worker's reply, or why there is none. */
export type WorkerReply = { readonly pid: number; readonly ok: true; readonly body: unknown } | { readonly pid: number; readonly ok: false; readonly error: string };

let nextId = 1;

export interface AskOptions {
  readonly timeoutMs?: number;
  /** Ask only the first live worker. */
  readonly firstOnly?: boolean;
}

/** Asks every live worker `body` under `topic`; one reply each, in the order of the workers' ids. */
export function askWorkers(topic: string, body: unknown, { timeoutMs = ASK_TIMEOUT_MS, firstOnly = false }: AskOptions = {}): Promise<WorkerReply[]> {
  const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.isConnected());
  return Promise.all(workers.slice(0, firstOnly ? 1 : undefined).map((w) => askOne(w, topic, body, timeoutMs)));
}

function askOne(w: Worker, topic: string, body: unknown, timeoutMs: number): Promise<WorkerReply> {
  const pid = w.process.pid ?? 0;
  const id = nextId++;
  return new Promise((resolve) => {
    const done = (reply: WorkerReply) => {
      clearTimeout(timer);
      w.off('message', onMessage);
      w.off('exit', onExit);
      resolve(reply);
    };
    const onMessage = (m: unknown) => {
      if (m === null || typeof m !== 'object' || (m as Reply).dnsfwdReply !== id) return;
      const reply = m as Reply;
      done('error' in reply ? { pid, ok: false, error: `worker ${pid}: ${reply.error}` } : { pid, ok: true, body: reply.body });
    };
    const onExit = () => done({ pid, ok: false, error: `worker ${pid} exited before answering` });
    const timer = setTimeout(() => done({ pid, ok: false, error: `worker ${pid} did not answer within ${timeoutMs / 1000} s` }), timeoutMs);
    w.on('message', onMessage);
    w.on('exit', onExit);
    const ask: Ask = { dnsfwdAsk: id, topic, body };
    w.send(ask, (err: Error | null) => {
      if (err) done({ pid, ok: false, error: `worker ${pid}: ${err.message}` });
    });
  });
}

/** In a worker: answers the primary's questions of `topic` with `handler` (an exception is sent as its message). */
export function answerAsks(topic: string, handler: (body: unknown) => Promise<unknown>): void {
  process.on('message', (m: unknown) => {
    if (m === null || typeof m !== 'object' || (m as Ask).topic !== topic || typeof (m as Ask).dnsfwdAsk !== 'number') return;
    const id = (m as Ask).dnsfwdAsk;
    const send = (reply: Reply) => process.send?.(reply);
    Promise.resolve()
      .then(() => handler((m as Ask).body))
      .then(
        (body) => send({ dnsfwdReply: id, body }),
        (err: unknown) => send({ dnsfwdReply: id, error: err instanceof Error ? err.message : String(err) }),
      );
  });
}

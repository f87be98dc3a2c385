// The control socket of a cluster (server.workers > 1): the primary owns the socket and relays
// each request to every worker (each is a whole daemon with its own cache and server states),
// then combines the replies: status lists each worker's, flush adds up, reload reports the first
// worker's error. explain asks only the first worker: routes and servers are the same in every
// worker, the cache and server states shown are that worker's.
import { askWorkers, type WorkerReply } from '../cli/worker-ask.js';
import { oneLine, type ControlTarget, type Request, type Response } from './protocol.js';

/** The IPC topic of relayed control requests. */
export const CONTROL_TOPIC = 'control';

/** The primary's ControlTarget: every command relayed to the workers. */
export function relayTarget(ask: (request: Request, first?: boolean) => Promise<WorkerReply[]> = askAll): ControlTarget {
  return {
    async status() {
      const replies = await ask({ command: 'status' });
      return { workers: replies.map((r) => ({ pid: r.pid, ...settled(r, (result) => (isObject(result) ? result : { status: result })) })) };
    },
    async explain(name, type, live) {
      const [first] = await ask({ command: 'explain', name, type, query: live }, true);
      if (!first) throw new Error('no worker is running');
      return resultOf(first);
    },
    async flush(zone) {
      const replies = await ask({ command: 'flush', zone });
      let sum = 0;
      for (const r of replies) sum += (resultOf(r) as { flushed: number }).flushed;
      return sum;
    },
    async reload() {
      const replies = await ask({ command: 'reload' });
      if (replies.length === 0) return { ok: false, error: 'no worker is running' };
      for (const r of replies) {
        const response = responseOf(r);
        if (!response.ok) return { ok: false, error: `worker ${r.pid}: ${response.error}` };
      }
      return { ok: true, file: (resultOf(replies[0]!) as { file: string }).file };
    },
  };
}

function askAll(request: Request, first = false): Promise<WorkerReply[]> {
  return askWorkers(CONTROL_TOPIC, request, { firstOnly: first });
}

/** A worker's reply as a control response; no reply (a dead or stuck worker) is an error. */
function responseOf(r: WorkerReply): Response {
  if (!r.ok) return { ok: false, error: r.error };
  const body = r.body as Response;
  return body !== null && typeof body === 'object' && typeof body.ok === 'boolean' ? body : { ok: false, error: `worker ${r.pid}: not a control response` };
}

/** The worker's result; throws its error (one line). */
function resultOf(r: WorkerReply): unknown {
  const response = responseOf(r);
  if (!response.ok) throw new Error(oneLine(response.error));
  return response.result;
}

/** The worker's result as `shape` makes it, or `{error}`. */
function settled(r: WorkerReply, shape: (result: unknown) => object): object {
  const response = responseOf(r);
  return response.ok ? shape(response.result) : { error: response.error };
}

function isObject(v: unknown): v is object {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// The coalescing stage: identical misses in flight share one upstream query (musl asks A and
// AAAA at once; many processes look up one name together). Each client still gets its own ID,
// RD bit and question bytes.
import { stampClient } from '../wire/client-reply.js';
import type { Stage } from './handler.js';

/** What the coalescing stage counts, for an operator (SIGUSR1). */
export class CoalesceCounters {
  /** Queries answered by another query's upstream trip. */
  coalesced = 0;
}

export function coalesceStage(counters: CoalesceCounters): Stage {
  const inFlight = new Map<string, Promise<Buffer>>();
  return (next) => (q) => {
    // Whether the client sent EDNS decides if the reply may carry an OPT record (RFC 6891 §7).
    const key = q.question.edns ? `${q.key}/e` : q.key;
    const first = inFlight.get(key);
    if (first) {
      counters.coalesced++;
      if (q.note) q.note.from = 'coalesced';
      return first.then((reply) => {
        const out = Buffer.from(reply);
        stampClient(out, q.bytes, q.question);
        return out;
      });
    }
    const pending = Promise.resolve(next(q));
    inFlight.set(key, pending);
    const done = () => inFlight.delete(key);
    pending.then(done, done);
    return pending;
  };
}

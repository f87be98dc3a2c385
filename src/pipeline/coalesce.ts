// Shares one upstream query among identical misses in flight (musl asks A and AAAA at once; many
// processes look up one name together). Each client still gets its own ID and question bytes.
import type { Counters } from '../metrics.js';
import { HEADER_SIZE } from '../wire/header.js';
import type { Query, Stage } from './handler.js';

export function coalesceStage(counters: Counters): Stage {
  const inFlight = new Map<string, Promise<Buffer>>();
  return (next) => (q) => {
    // Whether the client sent EDNS decides if the reply may carry an OPT record (RFC 6891 §7).
    const key = q.question.edns ? `${q.key}/e` : q.key;
    const first = inFlight.get(key);
    if (first) {
      counters.coalesced++;
      return first.then((reply) => forClient(reply, q));
    }
    const pending = Promise.resolve(next(q));
    inFlight.set(key, pending);
    const done = () => inFlight.delete(key);
    pending.then(done, done);
    return pending;
  };
}

/** A copy of the shared reply with this client's ID, RD bit and question name bytes. */
function forClient(reply: Buffer, q: Query): Buffer {
  const out = Buffer.from(reply);
  out[0] = q.bytes[0]!;
  out[1] = q.bytes[1]!;
  out[2] = (out[2]! & 0xfe) | (q.bytes[2]! & 0x01);
  q.bytes.copy(out, HEADER_SIZE, HEADER_SIZE, q.question.end - 4);
  return out;
}

// The last stage: pick the route by zone, send the query to its upstream group, and turn the
// upstream's reply into the client's (its ID, its question bytes, RA). Failures become SERVFAIL.
import type { Logger } from '../log.js';
import type { ZoneTable } from '../router/zone-table.js';
import type { UpstreamGroup } from '../upstream/group.js';
import { HEADER_SIZE, Rcode, rcode, setRecursionAvailable } from '../wire/header.js';
import { summariseReply } from '../wire/codec.js';
import { withClientOpt } from '../wire/opt.js';
import { errorReply } from '../wire/replies.js';
import type { Handler, Query } from './handler.js';

/** How often (at most) "route has no servers" is logged per zone. */
const NO_SERVERS_WARN_INTERVAL_MS = 60_000;

export function routeHandler(table: () => ZoneTable<UpstreamGroup>, log: Logger, now = Date.now): Handler {
  const lastWarned = new Map<string, number>();
  const warnNoServers = (zone: string) => {
    const t = now();
    if (t - (lastWarned.get(zone) ?? -Infinity) < NO_SERVERS_WARN_INTERVAL_MS) return;
    lastWarned.set(zone, t);
    log.warn({ zone: zone || '.' }, 'route has no servers: answering SERVFAIL');
  };

  return (q: Query) => {
    const { group } = table().lookupWire(q.bytes, HEADER_SIZE);
    if (group.upstreams.length === 0) {
      warnNoServers(group.zone);
      return errorReply(q.bytes, Rcode.SERVFAIL, q.question);
    }
    const started = log.isLevelEnabled('trace') ? now() : 0;
    const optOffset = q.question.edns ? q.question.edns.offset : -1;
    return group.resolve({ bytes: q.bytes, questionEnd: q.question.end, optOffset, deadline: q.deadline }).then(
      (reply) => {
        if (started) {
          const fields = { zone: group.zone || '.', qname: q.question.name, qtype: q.question.type, ms: now() - started };
          log.trace({ ...fields, rcode: rcode(reply), reply: summariseReply(reply) }, 'forwarded');
        }
        return toClient(reply, q);
      },
      (err: unknown) => {
        log.debug({ zone: group.zone || '.', qname: q.question.name, err: (err as Error).message }, 'every server failed: SERVFAIL');
        return errorReply(q.bytes, Rcode.SERVFAIL, q.question);
      },
    );
  };
}

/**
 * The upstream's reply (ours to change) with the client's ID and question bytes (its 0x20 case),
 * RA set, and an OPT record for this client in place of the upstream's (RFC 6891 §7).
 */
function toClient(reply: Buffer, q: Query): Buffer {
  const out = withClientOpt(reply, q.question.end, q.question.edns);
  out[0] = q.bytes[0]!;
  out[1] = q.bytes[1]!;
  out.set(q.bytes.subarray(12, q.question.end), 12);
  setRecursionAvailable(out);
  return out;
}

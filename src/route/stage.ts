// The route stage, the last one: send the query to its route's upstream group, and turn the
// upstream's reply into the client's (its ID and question bytes, RA, our OPT record: RFC 6891
// §6.1.1, the OPT record is hop-by-hop). A route without servers, or every server failing, is SERVFAIL.
// A special-use name's built-in route is answered here, never forwarded (special.ts).
import type { Logger } from '../log.js';
import { ThrottledLog } from '../log-throttle.js';
import type { Handler } from '../pipeline/handler.js';
import type { Query } from '../pipeline/query.js';
import { stampClient } from '../wire/client-reply.js';
import { arcount, Rcode, rcode, setRecursionAvailable } from '../wire/header.js';
import { findOpt } from '../wire/question.js';
import { withClientOpt } from '../wire/opt.js';
import { errorReply } from '../wire/replies.js';
import { summariseReply } from '../wire/trace-summary.js';
import type { Outgoing } from '../upstream/group.js';
import { SpecialZone } from './special.js';

export function routeStage(log: Logger, now = Date.now): Handler {
  // Each query to such a route would log it: once a minute per zone, with the count.
  const throttled = new ThrottledLog(log, now);
  const warnNoServers = (zone: string) => {
    const msg = 'route has no servers: answering SERVFAIL';
    throttled.warn({ zone: zone || '.' }, msg, `${msg} ${zone}`);
  };

  const answerLocally = (zone: SpecialZone, q: Query) => {
    const reply = zone.answer(q.bytes, q.question);
    if (log.isLevelEnabled('trace')) {
      const fields = { zone: zone.zone, qname: q.question.name, qtype: q.question.type, rcode: rcode(reply) };
      log.trace({ ...fields, reply: summariseReply(reply) }, 'special-use name answered locally');
    }
    return reply;
  };

  return (q: Query) => {
    const { group } = q.route;
    if (q.note) q.note.route = group.zone || '.';
    if (group instanceof SpecialZone) {
      if (q.note) q.note.from = 'local';
      return answerLocally(group, q);
    }
    if (group.upstreams.length === 0) {
      warnNoServers(group.zone);
      return errorReply(q.bytes, Rcode.SERVFAIL, q.question);
    }
    const tracing = log.isLevelEnabled('trace');
    const started = tracing ? now() : 0;
    const dnssecOk = q.question.edns?.dnssecOk ?? false;
    const out: Outgoing = { bytes: q.bytes, questionEnd: q.question.end, dnssecOk, deadline: q.deadline };
    return group.resolve(out).then(
      (reply) => {
        if (q.note) q.note.from = out.server;
        if (q.validating) {
          q.answeredBy = out.server ?? '';
          const opt = arcount(reply) > 0 ? findOpt(reply, q.question.end) : null;
          q.upstreamDnssecOk = opt !== null && (reply[opt.ttl + 2]! & 0x80) !== 0;
        }
        if (tracing) {
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

/** The upstream's reply (ours to change), made the client's: RA set, our OPT record in place of the upstream's. */
function toClient(reply: Buffer, q: Query): Buffer {
  const out = withClientOpt(reply, q.question.end, q.question.edns);
  stampClient(out, q.bytes, q.question);
  setRecursionAvailable(out);
  return out;
}

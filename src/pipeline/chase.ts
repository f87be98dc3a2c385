// The CNAME stage (RFC 1034 §3.6.2, §4.3.2, §5.3.3). A guest's stub resolver (glibc, musl) does not
// follow CNAMEs: it expects its recursive resolver to hand it the whole chain. When an answer to
// an RD=1 query ends in a CNAME whose target another route serves, and carries no records for that
// target, the target is asked through the whole pipeline (so a step can be a cache hit, and is
// itself followed), and the client gets the chain: the CNAMEs in order, then the final records,
// the TTL of the whole the smallest of its parts, the RCODE of the last step (NXDOMAIN with the
// CNAMEs kept, RFC 6604), AD set only when every step had it (each step validated on its own route,
// dnssec/stage.ts). A chain inside one route is left as that
// route's upstream gave it. At most MAX_STEPS steps; a name met twice is a loop: SERVFAIL.
// Replies are decoded with dns-packet here, on this slow path only.
import dnsPacket, { type Answer } from 'dns-packet';
import { stampClient } from '../wire/client-reply.js';
import * as h from '../wire/header.js';
import { appendOpt, OPT_SIZE, withClientOpt } from '../wire/opt.js';
import { parseQuery } from '../wire/question.js';
import { CLASS_IN, TYPE_ANY, TYPE_CNAME, TYPE_DNAME, skipName } from '../wire/records.js';
import { errorReply } from '../wire/replies.js';
import type { Handler, Reply, Stage } from './handler.js';
import type { Query } from './query.js';

/** The most steps (queries after the client's own) one answer may take. */
export const MAX_STEPS = 8;

/** `top` is the whole pipeline, for the next step of a chain (known once it is composed). */
export function chaseStage(top: () => Handler): Stage {
  return (next) => (q) => {
    if (!mayFollow(q)) return next(q);
    const r = next(q);
    // A reply without a chain is passed on as it is: no async step for nearly every answer.
    return Buffer.isBuffer(r) ? follow(r, q, top) : r.then((reply) => follow(reply, q, top));
  };
}

/** A query whose answer may be a chain to follow: RD=1, class IN, not asking for the CNAME itself. */
function mayFollow(q: Query): boolean {
  const { type } = q.question;
  return (q.bytes[2]! & 0x01) !== 0 && q.question.class === CLASS_IN && type !== TYPE_CNAME && type !== TYPE_DNAME && type !== TYPE_ANY;
}

/**
 * Whether the answer section holds a CNAME: the one check every reply to such a query gets, so it
 * reads each record's type in place, allocating nothing. A record that does not parse ends the
 * search (the decode in followChain would fail on it too).
 */
function hasCname(reply: Buffer, questionEnd: number): boolean {
  const count = h.ancount(reply);
  let pos = questionEnd;
  for (let i = 0; i < count; i++) {
    const afterName = skipName(reply, pos);
    if (afterName < 0 || afterName + 10 > reply.length) return false;
    if (((reply[afterName]! << 8) | reply[afterName + 1]!) === TYPE_CNAME) return true;
    pos = afterName + 10 + ((reply[afterName + 8]! << 8) | reply[afterName + 9]!);
  }
  return false;
}

const lower = (name: string) => name.toLowerCase();

/** Where the CNAMEs in `answers` lead from `name`: the last target, or null for a loop. */
function chainEnd(answers: readonly Answer[], name: string): string | null {
  const seen = new Set([lower(name)]);
  let at = lower(name);
  for (;;) {
    const cname = answers.find((a) => a.type === 'CNAME' && lower(a.name) === at) as { data: string } | undefined;
    if (!cname) return at;
    at = lower(cname.data);
    if (seen.has(at)) return null;
    seen.add(at);
  }
}

/** The reply with the chain it starts followed: at once when there is none to follow. */
function follow(reply: Buffer, q: Query, top: () => Handler): Reply {
  const code = h.rcode(reply);
  if (code !== h.Rcode.NOERROR && code !== h.Rcode.NXDOMAIN) return reply;
  // Fast path: without a CNAME in the answer section there is no chain (the decode below would
  // find none), and nearly every answer is such a one.
  if (!hasCname(reply, q.question.end)) return reply;
  return followChain(reply, q, top);
}

async function followChain(reply: Buffer, q: Query, top: () => Handler): Promise<Buffer> {
  let first: dnsPacket.Packet;
  try {
    first = dnsPacket.decode(reply);
  } catch {
    return reply;
  }
  const answers = first.answers ?? [];
  const target = chainEnd(answers, q.question.name);
  if (target === null) return broken(q);
  if (target === lower(q.question.name)) return reply;
  if (answers.some((a) => lower(a.name) === target && a.type !== 'CNAME' && a.type !== 'RRSIG')) return reply;
  const chain = [...q.chain, lower(q.question.name)];
  if (chain.includes(target) || chain.length > MAX_STEPS) return broken(q);
  const step = stepQuery(q, target, chain);
  if (step === null || step.route === q.route) return reply; // the same route: its upstream followed what it could
  const last = await top()(step);
  if (step.uncacheable || !step.route.cache) q.uncacheable = true;
  const lastCode = h.rcode(last);
  if (lastCode !== h.Rcode.NOERROR && lastCode !== h.Rcode.NXDOMAIN) return errorReply(q.bytes, lastCode, q.question);
  let rest: dnsPacket.Packet;
  try {
    rest = dnsPacket.decode(last);
  } catch {
    return errorReply(q.bytes, h.Rcode.SERVFAIL, q.question);
  }
  const ad = (reply[3]! & 0x20) !== 0 && (last[3]! & 0x20) !== 0;
  return assemble(first, rest, lastCode, ad, q);
}

/**
 * SERVFAIL for a loop or a chain too long. It depends on how the query was reached (the chain so
 * far), so it is not cached under the query's own name.
 */
function broken(q: Query): Buffer {
  q.uncacheable = true;
  return errorReply(q.bytes, h.Rcode.SERVFAIL, q.question);
}

/** The next step's query: the target, the client's type and class, RD=1, its CD, its EDNS DO bit. */
function stepQuery(q: Query, target: string, chain: readonly string[]): Query | null {
  const cd = (q.bytes[3]! & 0x10) !== 0 ? dnsPacket.CHECKING_DISABLED : 0;
  const head = dnsPacket.encode({ type: 'query', id: 0, flags: dnsPacket.RECURSION_DESIRED | cd, questions: [{ name: target, type: 'A', class: 'IN' }] });
  const edns = q.question.edns;
  const bytes = Buffer.alloc(head.length + (edns ? OPT_SIZE : 0));
  head.copy(bytes);
  bytes.writeUInt16BE(q.question.type, head.length - 4);
  if (edns) appendOpt(bytes, head.length, edns.dnssecOk);
  const parsed = parseQuery(bytes);
  return parsed.kind === 'query' ? q.derive(bytes, parsed.question, chain) : null;
}

/** The client's reply: the first answer's records, then the last step's, every TTL the smallest. */
function assemble(first: dnsPacket.Packet, rest: dnsPacket.Packet, code: number, ad: boolean, q: Query): Buffer {
  const answers = [...(first.answers ?? []), ...(rest.answers ?? [])];
  const ttl = Math.min(...answers.map((a) => ('ttl' in a && typeof a.ttl === 'number' ? a.ttl : 0)));
  for (const a of answers) if ('ttl' in a) a.ttl = ttl;
  const flags = dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | ((first.flags ?? 0) & dnsPacket.CHECKING_DISABLED);
  const encoded = dnsPacket.encode({ type: 'response', id: 0, flags, questions: first.questions, answers, authorities: rest.authorities ?? [] });
  encoded[3] = (encoded[3]! & 0xf0) | code | (ad ? 0x20 : 0);
  const out = withClientOpt(encoded, q.question.end, q.question.edns);
  stampClient(out, q.bytes, q.question);
  return out;
}


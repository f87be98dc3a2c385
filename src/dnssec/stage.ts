// The validation stage, between coalescing and the route: a query whose route validates goes
// upstream with DO and CD set (RFC 4035 §3.2.1, §4.6: we validate, so we want the records and the
// data even where an upstream validator would refuse it), and its reply is validated once for
// every client that shares it. Secure: AD=1 (the client sees it if it asked, client-reply.ts);
// insecure: AD=0; bogus: SERVFAIL with an Extended DNS Error. A client's CD=1 gets the answer
// unvalidated (RFC 4035 §3.2.2), under a cache key of its own. DS and DNSKEY queries of the chain
// of trust go through the whole pipeline, so they are cached and coalesced like any other.
import type { Logger } from '../log.js';
import type { Handler, Stage } from '../pipeline/handler.js';
import type { Query } from '../pipeline/query.js';
import { stampClient } from '../wire/client-reply.js';
import * as h from '../wire/header.js';
import { recursiveQuery } from '../wire/loop-probe.js';
import { appendOpt, OPT_SIZE, withClientOpt } from '../wire/opt.js';
import { errorReply } from '../wire/replies.js';
import { parseQuery } from '../wire/question.js';
import type { Checkers, DecodedMessage, Sections } from './api.js';
import type { DnssecMode } from './config.js';
import type { Fetch, TrustChain } from './keys.js';
import { shapeReply } from './reply.js';
import { Ede, TYPE_DS, TYPE_NSEC, TYPE_NSEC3, TYPE_RRSIG } from './types.js';
import { validateReply, type Verdict } from './validate.js';

/** What the stage needs while validation is on; null turns it off (mode off). */
export interface Validation extends Checkers {
  readonly mode: Exclude<DnssecMode, 'off'>;
  readonly chain: TrustChain;
  readonly decode: (reply: Uint8Array) => (DecodedMessage & Sections) | null;
}

export interface DnssecStageDeps {
  readonly validation: () => Validation | null;
  /** The pipeline's first handler (the cache), for the chain's DS and DNSKEY queries. */
  readonly first: () => Handler;
  readonly log: Logger;
}

/** How long a server found to give no DNSSEC is taken at that before it is tried again. */
const DOWNGRADE_MS = 3_600_000;

/** Servers found to give no DNSSEC records (allow-downgrade): each logged once, then not validated for an hour. */
export class Downgrades {
  private readonly since = new Map<string, number>();

  has(server: string, now: number): boolean {
    const t = this.since.get(server);
    return t !== undefined && now - t < DOWNGRADE_MS;
  }

  note(server: string, why: string, log: Logger): void {
    const known = this.since.has(server);
    this.since.set(server, Date.now());
    if (!known) log.info({ server: server || '?', why }, 'DNSSEC: this server gives no DNSSEC records; its answers are not validated (dnssec: allow-downgrade)');
  }

  clear(): void {
    this.since.clear();
  }
}

const CD = 0x10;

export function dnssecStage(deps: DnssecStageDeps, downgrades = new Downgrades()): Stage {
  return (next) => (q) => {
    const v = deps.validation();
    if (v === null || (q.bytes[3]! & CD) !== 0 || !q.route.dnssec) return next(q);
    const up = upstreamQuery(q);
    return Promise.resolve(next(up)).then((reply) =>
      finish(v, q, up, reply).catch((err: unknown) => {
        // A fault of ours on some reply: the client still gets an answer, and the log says what.
        deps.log.error({ qname: q.question.name, err: (err as Error).stack ?? String(err) }, 'DNSSEC: validation failed');
        return bogus(q, Ede.DNSSEC_INDETERMINATE, 'validation failed');
      }),
    );
  };

  async function finish(v: Validation, q: Query, up: Query, reply: Buffer): Promise<Buffer> {
    const rc = h.rcode(reply);
    if (rc !== h.Rcode.NOERROR && rc !== h.Rcode.NXDOMAIN) return toClient(reply, q);
    const msg = v.decode(reply);
    if (msg === null) {
      if (v.mode === 'validate') return bogus(q, Ede.DNSSEC_INDETERMINATE, 'a reply that does not decode');
      return toClient(reply, q);
    }
    const server = up.answeredBy;
    if (v.mode === 'allow-downgrade' && downgrades.has(server, Date.now())) return unvalidated(reply, q, msg);
    if (!up.upstreamDnssecOk) {
      const why = 'no DO bit in its replies (RFC 3225 §3)';
      if (v.mode === 'validate') return bogus(q, Ede.RRSIGS_MISSING, `${server || 'the server'} gives no DNSSEC records: ${why}`);
      downgrades.note(server, why, deps.log);
      return unvalidated(reply, q, msg);
    }
    const fetch = fetchVia(v, q);
    const verdict = await validateReply(msg, {
      ...v,
      zoneOf: (name) => v.chain.zoneOf(name, fetch),
      insecure: (name) => v.chain.insecure(name) || !fetch.validated(name),
    });
    if (verdict.security === 'bogus' && verdict.downgradable && v.mode === 'allow-downgrade') {
      downgrades.note(server, verdict.why, deps.log);
      return unvalidated(reply, q, msg);
    }
    if (verdict.security === 'bogus') return bogus(q, verdict.ede, verdict.why);
    if (verdict.security === 'insecure') {
      if (deps.log.isLevelEnabled('debug')) deps.log.debug({ qname: q.question.name, why: verdict.why }, 'DNSSEC: insecure');
      return unvalidated(reply, q, msg);
    }
    return shaped(reply, q, msg, verdict);
  }

  function bogus(q: Query, ede: number, why: string): Buffer {
    deps.log.debug({ qname: q.question.name, qtype: q.question.type, ede, why }, 'DNSSEC: bogus, answering SERVFAIL');
    q.uncacheable = true;
    return errorReply(q.bytes, h.Rcode.SERVFAIL, q.question, q.question.edns, { code: ede, text: why });
  }

  /** DS and DNSKEY queries asked on `q`'s behalf, through the whole pipeline, with DO and CD. */
  function fetchVia(v: Validation, q: Query): Fetch {
    return {
      validated: (name) => q.routeOf(name, 0).dnssec === true,
      ask: async (name, type) => {
        const bytes = questionBytes(name, type);
        const parsed = parseQuery(bytes);
        if (parsed.kind !== 'query') return null;
        const sub = q.derive(bytes, parsed.question, q.chain);
        // RFC 4035 §4.2: a DS record is the parent's; ask it where the parent's names go.
        if (type === TYPE_DS && name.length > 1) sub.routeAs(q.routeOf(name, name[0]! + 1));
        const reply = await Promise.resolve(deps.first()(sub)).catch(() => null);
        if (!reply || h.rcode(reply) === h.Rcode.SERVFAIL) return null;
        return v.decode(reply);
      },
    };
  }
}

/** An insecure answer: AD clear, passed on as it came, but without DNSSEC records for a client that did not set DO. */
function unvalidated(reply: Buffer, q: Query, msg: DecodedMessage & Sections): Buffer {
  const dnssec = msg.answer.some(isDnssec) || msg.authority.some(isDnssec) || msg.additional.some(isDnssec);
  return dnssec && !q.question.edns?.dnssecOk ? shaped(reply, q, msg, { security: 'insecure', why: 'downgraded' }) : toClient(reply, q);
}

const isDnssec = (r: { type: number }) => r.type === TYPE_RRSIG || r.type === TYPE_NSEC || r.type === TYPE_NSEC3;

function shaped(reply: Buffer, q: Query, msg: DecodedMessage & Sections, verdict: Exclude<Verdict, { security: 'bogus' }>): Buffer {
  const out = shapeReply(reply, q.question.end, q.question.type, msg, {
    ad: verdict.security === 'secure',
    keepDnssec: q.question.edns?.dnssecOk ?? false,
    caps: verdict.security === 'secure' ? verdict.caps : null,
    edns: q.question.edns,
  });
  stampClient(out, q.bytes, q.question);
  return out;
}

/** A reply passed on as it came (an error RCODE, or not validated): AD cleared, the client's OPT record. */
function toClient(reply: Buffer, q: Query): Buffer {
  const out = withClientOpt(reply, q.question.end, q.question.edns);
  out[3] = out[3]! & 0xdf;
  stampClient(out, q.bytes, q.question);
  return out;
}

/**
 * The header and question of `query` (up to `end`) with CD set and our OPT record with DO: how
 * validation asks, for a client's query and for the chain's DS and DNSKEY queries alike.
 */
function askingForDnssec(query: Uint8Array, end: number): Buffer {
  const bytes = Buffer.alloc(end + OPT_SIZE);
  bytes.set(query.subarray(0, end));
  bytes[3] = bytes[3]! | CD;
  h.writeCounts(bytes, 1, 0, 0, 0);
  appendOpt(bytes, end, true);
  return bytes;
}

/** The client's query as it goes up to be validated: its route, CD set, DO in our OPT record. */
function upstreamQuery(q: Query): Query {
  const bytes = askingForDnssec(q.bytes, q.question.end);
  const parsed = parseQuery(bytes);
  const up = q.derive(bytes, parsed.kind === 'query' ? parsed.question : q.question, q.chain);
  up.routeAs(q.route);
  up.validating = true;
  return up;
}

/** A query for `name` (wire) and `type`: RD (recursiveQuery), CD, and DO. */
function questionBytes(name: Uint8Array, type: number): Buffer {
  return askingForDnssec(recursiveQuery(name, type), h.HEADER_SIZE + name.length + 4);
}

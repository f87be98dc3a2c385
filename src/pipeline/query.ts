// A client's query as the stages see it: its bytes and question, its cache key, how it came, when
// its answer is due, and its route. The route is looked up once, the first time a stage asks: a
// cache hit never asks, a miss asks in the cache stage and the route stage reuses the answer.
import type { RouteTarget } from '../route/build.js';
import type { Route } from '../route/zone-table.js';
import { HEADER_SIZE } from '../wire/header.js';
import type { Question } from '../wire/question.js';
import { questionKey } from '../wire/question-key.js';

export type Transport = 'udp' | 'tcp';

/** The zone table as the query needs it: the route of the name at `offset` of a message. */
export interface RouteLookup {
  lookup(message: Uint8Array, offset: number): Route<RouteTarget>;
}

/**
 * What the query log says of an answer, filled in by the stage that answered: the route, and where
 * the answer came from (a server, `cache`, `stale`, `coalesced`, `local`). Only made when the query
 * log (or debug) is on: the hit path makes nothing.
 */
export interface AnswerNote {
  route?: string;
  from?: string;
}

/** The chain of a client's own query: none (one shared array, not one per query). */
const NO_CHAIN: readonly string[] = Object.freeze([]);

export class Query {
  private madeKey: string | undefined;
  private found: Route<RouteTarget> | undefined;
  /**
   * Set when the reply holds what a route that does not cache answered (a CNAME chain followed
   * into it, pipeline/chase.ts): the cache stage then does not store it.
   */
  uncacheable = false;
  /** The names asked for so far to answer the client, for a query a CNAME chain led to. */
  chain: readonly string[] = NO_CHAIN;
  /** Set by the DNSSEC stage on the query it forwards for validation: the route stage then records the two fields below. */
  validating = false;
  /** Set by the route stage on a forwarded reply: the server that gave it. */
  answeredBy = '';
  /** Set by the route stage on a forwarded reply: whether the server's OPT record had DO (RFC 3225 §3). */
  upstreamDnssecOk = false;

  constructor(
    /** The client's message as received; stages must not modify it. */
    readonly bytes: Buffer,
    readonly question: Question,
    readonly transport: Transport,
    /** Absolute time (ms since the epoch) by which an answer must be ready. */
    readonly deadline: number,
    /** The routes in force when the query arrived. */
    private readonly routes: RouteLookup,
    /** For the query log; a query a CNAME chain led to has none (the log tells the client's first step). */
    readonly note?: AnswerNote,
  ) {}

  /** What changes the answer (wire/question-key.ts): name, type, class, RD/CD/DO. Made on first use: a cache hit needs none. */
  get key(): string {
    return (this.madeKey ??= questionKey(this.bytes, this.question));
  }

  /** A query asked on this one's behalf (the next step of a CNAME chain): same routes, transport and deadline. */
  derive(bytes: Buffer, question: Question, chain: readonly string[]): Query {
    const next = new Query(bytes, question, this.transport, this.deadline, this.routes);
    next.chain = chain;
    return next;
  }

  /** The route this query goes to: looked up on first use, then remembered. */
  get route(): Route<RouteTarget> {
    return (this.found ??= this.routes.lookup(this.bytes, HEADER_SIZE));
  }

  /** The route of the wire-format name at `offset` of `message`, in the routes this query sees. */
  routeOf(message: Uint8Array, offset: number): Route<RouteTarget> {
    return this.routes.lookup(message, offset);
  }

  /** Sends this query where `route` leads instead of its own name's route (a DS query goes to the parent's, RFC 4035 §4.2). */
  routeAs(route: Route<RouteTarget>): void {
    this.found = route;
  }
}

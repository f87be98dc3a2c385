// The one handler shape every stage shares (like CoreDNS plugins): a query in, reply bytes out.
// Stages wrap the next one; the order is fixed where the daemon wires the pipeline: the cache,
// then following CNAMEs across routes, then coalescing, then the route to the upstreams.
import type { Query } from './query.js';

/**
 * A complete reply carrying the client's ID and question bytes: at once when it is at hand (a
 * cache hit goes out without a trip through the event loop), or later.
 */
export type Reply = Buffer | Promise<Buffer>;
export type Handler = (query: Query) => Reply;

/** A stage: given the next handler, returns the handler that runs this stage first. */
export type Stage = (next: Handler) => Handler;

/** Chains stages so that the first listed runs first and `last` runs at the end. */
export function compose(stages: readonly Stage[], last: Handler): Handler {
  return stages.reduceRight<Handler>((next, stage) => stage(next), last);
}

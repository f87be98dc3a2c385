// The one handler shape every stage shares (like CoreDNS plugins): a query in, reply bytes out.
// Stages wrap the next one; the order is fixed where the pipeline is built (main.ts).
import type { Question } from '../wire/question.js';

export type Transport = 'udp' | 'tcp';

export interface Query {
  /** The client's message as received; stages must not modify it. */
  readonly bytes: Buffer;
  readonly question: Question;
  /** What changes the answer (cache/key.ts): name, type, class, RD/CD/DO. */
  readonly key: string;
  readonly transport: Transport;
  /** Absolute time (ms, the pipeline's clock) by which an answer must be ready. */
  readonly deadline: number;
}

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

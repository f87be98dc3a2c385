// A pipeline made of one handler, for testing what sits in front of it (the responder, listeners).
import type { Handler } from '../../src/pipeline/handler.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';

/** `handler` as the whole pipeline; no handler of these tests looks at routes. */
export function pipelineOf(handler: Handler): Pipeline {
  return new Pipeline(handler, () => ({
    lookup: () => {
      throw new Error('no routes in this test');
    },
  }));
}

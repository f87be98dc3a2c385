// The pipeline as the listeners see it: a client's parsed query in, the reply out. It makes the
// Query, with the routes in force, and hands it to the first stage.
import type { Question } from '../wire/question.js';
import type { Handler, Reply } from './handler.js';
import { Query, type RouteLookup, type Transport } from './query.js';

export class Pipeline {
  constructor(
    private readonly first: Handler,
    /** The routes in force now (the table is replaced whole when they change). */
    private readonly routes: () => RouteLookup,
  ) {}

  answer(bytes: Buffer, question: Question, transport: Transport, deadline: number): Reply {
    return this.first(new Query(bytes, question, transport, deadline, this.routes()));
  }
}

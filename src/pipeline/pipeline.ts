// The pipeline as the listeners see it: a client's parsed query in, the reply out. It makes the
// Query, with the routes in force, and hands it to the first stage. A query for one of dnsfwd's
// loop probes (wire/loop-probe.ts) has come back round a loop: it is reported and answered
// REFUSED at once, never forwarded, so that one loop cannot become a packet storm.
import { Rcode } from '../wire/header.js';
import { isProbeQuery } from '../wire/loop-probe.js';
import type { Question } from '../wire/question.js';
import { errorReply } from '../wire/replies.js';
import type { Handler, Reply } from './handler.js';
import { Query, type AnswerNote, type RouteLookup, type Transport } from './query.js';

export class Pipeline {
  constructor(
    private readonly first: Handler,
    /** The routes in force now (the table is replaced whole when they change). */
    private readonly routes: () => RouteLookup,
    /** Told of every probe that came back: its name, and who sent it ("ADDRESS:PORT"). */
    private readonly probeCameBack: (name: string, from: string) => void = () => undefined,
  ) {}

  /** `client`: who asked, for the loop guard's warning. */
  answer(
    bytes: Buffer,
    question: Question,
    transport: Transport,
    deadline: number,
    client?: { readonly address: string; readonly port: number },
    note?: AnswerNote,
  ): Reply {
    if (isProbeQuery(bytes)) {
      this.probeCameBack(question.name, client ? `${client.address}:${client.port}` : transport);
      if (note) note.from = 'local';
      return errorReply(bytes, Rcode.REFUSED, question);
    }
    return this.first(new Query(bytes, question, transport, deadline, this.routes(), note));
  }
}

// The pipeline's entry: a query for a loop probe name (dnsfwd's own, come back round a loop) is
// answered REFUSED at once and reported, never handed to the stages; every other query is.
import t from 'tap';
import type { Handler } from '../../src/pipeline/handler.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import type { AnswerNote } from '../../src/pipeline/query.js';
import { parseQuery } from '../../src/wire/question.js';
import { probeName, probeQuery } from '../../src/wire/loop-probe.js';
import { answer, decode, query } from '../helpers/packets.js';

function setup() {
  const handled: string[] = [];
  const cameBack: string[] = [];
  const handler: Handler = (q) => (handled.push(q.question.name), answer(q.bytes, ['10.0.0.1']));
  const p = new Pipeline(handler, () => ({ lookup: () => { throw new Error('no routes'); } }), (name, from) => cameBack.push(`${name} ${from}`));
  const ask = (bytes: Buffer, note?: AnswerNote) => {
    const parsed = parseQuery(bytes);
    if (parsed.kind !== 'query') throw new Error('not a query');
    return p.answer(bytes, parsed.question, 'udp', Date.now() + 1000, { address: '127.0.0.2', port: 4000 }, note) as Buffer;
  };
  return { handled, cameBack, ask };
}

t.test('a probe name, in any case, is refused and reported, never handled', async (t) => {
  const { handled, cameBack, ask } = setup();
  const name = probeName('test');
  const q = probeQuery(name);
  t.equal(decode(ask(q)).rcode, 'REFUSED');
  const upper = probeQuery(name.toUpperCase());
  t.equal(decode(ask(upper)).rcode, 'REFUSED', 'a resolver that changes the case (0x20) is still seen');
  t.same(cameBack, [`${name} 127.0.0.2:4000`, `${name} 127.0.0.2:4000`]);
  t.same(handled, []);
});

t.test('other names go to the stages, a first label of the same length included', async (t) => {
  const { handled, cameBack, ask } = setup();
  ask(query('a.example'));
  ask(query('dnsfwd-loop-probX-0123456789ab.test'));
  ask(query('dnsfwd-loop-probe.test'));
  t.same(handled, ['a.example', 'dnsfwd-loop-probx-0123456789ab.test', 'dnsfwd-loop-probe.test']);
  t.same(cameBack, []);
});

// The query log's note: a probe name refused here was answered by dnsfwd itself.
t.test('a refused probe name is noted as answered locally', async (t) => {
  const { ask } = setup();
  const note: AnswerNote = {};
  ask(probeQuery(probeName('test')), note);
  t.same(note, { from: 'local' });
});

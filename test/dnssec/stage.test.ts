import t from 'tap';
import { CoalesceCounters, coalesceStage } from '../../src/pipeline/coalesce.js';
import { compose, type Handler } from '../../src/pipeline/handler.js';
import { Query } from '../../src/pipeline/query.js';
import type { CryptoApi, DenialApi } from '../../src/dnssec/api.js';
import { dnssecParts } from '../../src/dnssec/impl.js';
import { TrustChain } from '../../src/dnssec/keys.js';
import { dnssecStage, type Validation } from '../../src/dnssec/stage.js';
import { parseQuery } from '../../src/wire/question.js';
import { answer, decode, query } from '../helpers/packets.js';
import { captureLog } from '../helpers/logger.js';

const never = (): never => {
  throw new Error('not used in this test');
};
const crypto = { isSupportedAlgorithm: never, isSupportedDigest: never, dsMatches: never, verify: never, signerOf: never } as unknown as CryptoApi;
const denial = { dsAbsence: never, negative: never, wildcard: never } as unknown as DenialApi;

function validation(mode: Validation['mode'], decode: Validation['decode']): Validation {
  const chain = new TrustChain({ anchors: new Map(), insecure: () => false, crypto, denial, now: () => 1e9, skew: 0 });
  return { mode, chain, crypto, denial, decode, skew: 0, now: () => 1e9 };
}

/** A client's query on a route that validates. */
function clientQuery(name: string, edns?: number): Query {
  const bytes = query(name, 'A', { edns });
  const p = parseQuery(bytes);
  if (p.kind !== 'query') throw new Error('not a query');
  const route = { zone: '', cache: true, dnssec: true, group: null as never };
  return new Query(bytes, p.question, 'udp', Date.now() + 4000, { lookup: () => route });
}

/** The route stage as a fake: answers each query with one A record, from `server`, with DO in its reply or not. */
function upstream(server: string, dnssecOk: boolean): Handler {
  return (q) => {
    q.answeredBy = server;
    q.upstreamDnssecOk = dnssecOk;
    return Promise.resolve(answer(q.bytes, ['192.0.2.1']));
  };
}

t.test('a fault in validation gets the client SERVFAIL with an Extended DNS Error, and a log line', async (t) => {
  const log = captureLog();
  const v = validation('allow-downgrade', () => {
    throw new Error('a bug');
  });
  const handler = dnssecStage({ validation: () => v, first: never, log: log.logger })(upstream('192.0.2.53:53', true));
  const reply = await handler(clientQuery('www.example.com', 1232));
  const d = decode(reply);
  t.equal(d.rcode, 'SERVFAIL');
  const opt = d.additionals!.find((r) => r.type === 'OPT') as unknown as { options: { code: number; data: Buffer }[] };
  t.equal(opt.options[0]!.code, 15);
  t.equal(opt.options[0]!.data.readUInt16BE(0), 5, 'EDE 5, DNSSEC Indeterminate');
  t.match(log.lines.find((l) => l.msg === 'DNSSEC: validation failed'), { qname: 'www.example.com', err: /a bug/ });
});

t.test('a server whose replies carry no DO: allow-downgrade says so once and answers as it came; validate SERVFAILs', async (t) => {
  const log = captureLog();
  const plain = validation('allow-downgrade', dnssecParts().decode);
  const handler = dnssecStage({ validation: () => plain, first: never, log: log.logger })(upstream('192.0.2.53:53', false));
  for (const name of ['a.example.com', 'b.example.com']) {
    const d = decode(await handler(clientQuery(name)));
    t.equal(d.rcode, 'NOERROR', name);
    t.same(d.answers!.map((a) => (a as { data: unknown }).data), ['192.0.2.1']);
  }
  t.equal(log.lines.filter((l) => String(l.msg).startsWith('DNSSEC: this server gives no DNSSEC records')).length, 1, 'said once');
  const strict = validation('validate', dnssecParts().decode);
  const refusing = dnssecStage({ validation: () => strict, first: never, log: log.logger })(upstream('192.0.2.53:53', false));
  t.equal(decode(await refusing(clientQuery('c.example.com'))).rcode, 'SERVFAIL');
});

t.test('CD=1, a route that does not validate, or validation off: the query goes on as it is', async (t) => {
  const log = captureLog();
  let asked: Query | null = null;
  const next: Handler = (q) => {
    asked = q;
    return answer(q.bytes, ['192.0.2.9']);
  };
  const v = validation('validate', () => never());
  const cd = clientQuery('x.example.com');
  cd.bytes[3] = cd.bytes[3]! | 0x10;
  const stage = dnssecStage({ validation: () => v, first: never, log: log.logger })(next);
  stage(cd);
  t.equal(asked, cd, 'CD=1: the client\'s own query');
  const off = dnssecStage({ validation: () => null, first: never, log: log.logger })(next);
  const q = clientQuery('y.example.com');
  off(q);
  t.equal(asked, q, 'off: the client\'s own query');
  const validated = clientQuery('z.example.com');
  await stage(validated);
  t.not(asked, validated, 'validated: a query of its own goes up');
  t.equal(asked!.bytes[3]! & 0x10, 0x10, 'with CD');
  t.equal(asked!.question.edns?.dnssecOk, true, 'and DO');
});

t.test('identical queries in flight share one upstream trip and one validation (coalescing sits in front)', async (t) => {
  const log = captureLog();
  let decoded = 0;
  const { decode: real } = dnssecParts();
  const v = validation('allow-downgrade', (b) => {
    decoded++;
    return real(b);
  });
  let asked = 0;
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  const slow: Handler = async (q) => {
    asked++;
    await held;
    q.answeredBy = '192.0.2.53:53';
    q.upstreamDnssecOk = false;
    return answer(q.bytes, ['192.0.2.1']);
  };
  const top = compose([coalesceStage(new CoalesceCounters()), dnssecStage({ validation: () => v, first: never, log: log.logger })], slow);
  const replies = Array.from({ length: 5 }, () => top(clientQuery('same.example.com')));
  release();
  const all = await Promise.all(replies);
  t.equal(asked, 1, 'one upstream query');
  t.equal(decoded, 1, 'one validation');
  t.ok(all.every((r) => decode(r).rcode === 'NOERROR'), 'every client answered');
});

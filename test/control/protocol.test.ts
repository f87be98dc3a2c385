// The control protocol: requests read without ever throwing (bad JSON, unknown commands and bad
// arguments are one-line errors), commands run on a target, responses read by the client.
import t from 'tap';
import { answer, encodeRequest, encodeResponse, oneLine, parseRequest, parseResponse, type ControlTarget } from '../../src/control/protocol.js';

t.test('good requests, with their defaults and normal forms', async (t) => {
  const cases: Array<[string, unknown]> = [
    ['{"command":"status"}', { command: 'status' }],
    ['{"command":"reload"}', { command: 'reload' }],
    ['{"command":"flush"}', { command: 'flush', zone: null }],
    ['{"command":"flush","zone":null}', { command: 'flush', zone: null }],
    ['{"command":"flush","zone":"Consul."}', { command: 'flush', zone: 'consul' }],
    ['{"command":"flush","zone":"."}', { command: 'flush', zone: '' }],
    ['{"command":"explain","name":"web.service.consul"}', { command: 'explain', name: 'web.service.consul', type: 'A', query: false }],
    ['{"command":"explain","name":"WEB.x.","type":"aaaa","query":true}', { command: 'explain', name: 'web.x', type: 'AAAA', query: true }],
    ['{"command":"explain","name":"x","type":"TYPE65"}', { command: 'explain', name: 'x', type: 'TYPE65', query: false }],
    [' {"command":"status"} ', { command: 'status' }],
  ];
  for (const [line, request] of cases) t.same(parseRequest(line), { ok: true, request }, line);
  const long = ['a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63), 'd'.repeat(61)].join('.'); // 253
  t.same(parseRequest(JSON.stringify({ command: 'flush', zone: long })), { ok: true, request: { command: 'flush', zone: long } }, '253 characters');
});

t.test('bad requests: one line saying what is wrong', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['', /^request is not JSON: send one JSON object per line, e\.g\. \{"command":"status"\}$/],
    ['status', /^request is not JSON/],
    ['{"command":', /^request is not JSON/],
    ['[]', /^request is not a JSON object$/],
    ['null', /^request is not a JSON object$/],
    ['"status"', /^request is not a JSON object$/],
    ['{}', /^request has no "command" string$/],
    ['{"command":1}', /^request has no "command" string$/],
    ['{"command":"stop"}', /^unknown command "stop": one of status, explain, flush, reload$/],
    ['{"command":"status","verbose":true}', /^status: unknown argument "verbose"$/],
    ['{"command":"reload","zone":"x"}', /^reload: unknown argument "zone"$/],
    ['{"command":"flush","name":"x"}', /^flush: unknown argument "name"$/],
    ['{"command":"flush","zone":5}', /^flush: "zone" must be a domain name$/],
    ['{"command":"flush","zone":""}', /^flush: "zone": empty \(use "\." for the root\)$/],
    ['{"command":"flush","zone":"a..b"}', /^flush: "zone" "a\.\.b": each label must be 1 to 63 characters$/],
    ['{"command":"flush","zone":"a b"}', /^flush: "zone" "a b": only printable ASCII without spaces$/],
    ['{"command":"flush","zone":"é.x"}', /only printable ASCII/],
    [`{"command":"flush","zone":"${'a'.repeat(64)}.x"}`, /each label must be 1 to 63 characters$/],
    [`{"command":"flush","zone":"${'a.'.repeat(127)}a"}`, /longer than 253 characters$/],
    ['{"command":"explain"}', /^explain: "name" must be a domain name$/],
    ['{"command":"explain","name":"x","type":"A A"}', /^explain: "type" must be a record type such as A, AAAA, MX or TYPE65$/],
    ['{"command":"explain","name":"x","type":1}', /^explain: "type" must be a record type/],
    ['{"command":"explain","name":"x","type":""}', /^explain: "type" must be a record type/],
    [`{"command":"explain","name":"x","type":"${'A'.repeat(17)}"}`, /^explain: "type" must be a record type/],
    ['{"command":"explain","name":"x","query":"yes"}', /^explain: "query" must be true or false$/],
  ];
  for (const [line, error] of cases) {
    const r = parseRequest(line);
    t.equal(r.ok, false, line);
    if (!r.ok) {
      t.match(r.error, error, line);
      t.notMatch(r.error, /\n/, 'one line');
    }
  }
  // What an error quotes is cut short.
  const r = parseRequest(JSON.stringify({ command: 'x'.repeat(1000) }));
  t.ok(!r.ok && r.error.length < 200, 'a long unknown command is not echoed whole');
});

/** A target that records its calls; `fail` makes every call throw. */
function target(fail = false) {
  const calls: unknown[][] = [];
  const call = <T>(name: string, args: unknown[], value: T): Promise<T> => {
    calls.push([name, ...args]);
    return fail ? Promise.reject(new Error(`${name} failed\nsecond line`)) : Promise.resolve(value);
  };
  const t: ControlTarget = {
    status: () => call('status', [], { up: 1 }),
    explain: (name, type, live) => call('explain', [name, type, live], { route: 'consul' }),
    flush: (zone) => call('flush', [zone], 7),
    reload: () => call('reload', [], { ok: true as const, file: '/etc/dnsfwd.yaml' }),
  };
  return { target: t, calls };
}

t.test('answer: each command on the target; an exception is an ok:false line', async (t) => {
  const { target: good, calls } = target();
  t.same(await answer(good, { command: 'status' }), { ok: true, result: { up: 1 } });
  t.same(await answer(good, { command: 'explain', name: 'a.consul', type: 'AAAA', query: true }), { ok: true, result: { route: 'consul' } });
  t.same(await answer(good, { command: 'flush', zone: 'consul' }), { ok: true, result: { flushed: 7 } });
  t.same(await answer(good, { command: 'reload' }), { ok: true, result: { file: '/etc/dnsfwd.yaml' } });
  t.same(calls, [['status'], ['explain', 'a.consul', 'AAAA', true], ['flush', 'consul'], ['reload']]);
  const rejecting: ControlTarget = { ...good, reload: async () => ({ ok: false, error: 'f.yaml:2:3: bad\nvery bad' }) };
  t.same(await answer(rejecting, { command: 'reload' }), { ok: false, error: 'f.yaml:2:3: bad very bad' }, 'a rejected reload');
  const { target: bad } = target(true);
  for (const request of [{ command: 'status' }, { command: 'flush', zone: null }] as const) {
    t.same(await answer(bad, request), { ok: false, error: `${request.command} failed second line` });
  }
  const throwsString: ControlTarget = { ...good, status: () => Promise.reject('plain') };
  t.same(await answer(throwsString, { command: 'status' }), { ok: false, error: 'plain' });
});

t.test('lines: requests and responses round-trip; the client refuses what is not a response', async (t) => {
  t.equal(encodeRequest({ command: 'flush', zone: null }), '{"command":"flush","zone":null}\n');
  t.equal(encodeResponse({ ok: true, result: 3 }), '{"ok":true,"result":3}\n');
  t.same(parseResponse(encodeResponse({ ok: true, result: { a: [1] } }).trim()), { ok: true, result: { a: [1] } });
  t.same(parseResponse('{"ok":false,"error":"no"}'), { ok: false, error: 'no' });
  t.same(parseResponse('{"ok":true,"result":null}'), { ok: true, result: null });
  for (const line of ['', 'x', 'null', '5', '{"ok":true}', '{"ok":false}', '{"ok":false,"error":3}', '{"ok":"yes","result":1}']) {
    t.equal(parseResponse(line), null, line);
  }
  t.equal(oneLine('a\n  b\r\nc'), 'a b c');
});

// The request counters: a column per counted type and "other" for the rest, per transport; replies
// by the header's RCODE; the duration histogram's buckets (a bound holds what equals it).
import t from 'tap';
import { COUNTED_TYPES, DURATION_BUCKETS_S, RCODE_LABELS, RequestCounters, TRANSPORTS, TYPE_LABELS } from '../../src/metrics/requests.js';

const at = (transport: string, type: string) => TRANSPORTS.indexOf(transport as 'udp') * TYPE_LABELS.length + TYPE_LABELS.indexOf(type);

t.test("CoreDNS's types by name, the rest as other; UDP and TCP apart", async (t) => {
  const r = new RequestCounters();
  r.request('udp', 1); // A
  r.request('udp', 1);
  r.request('tcp', 1);
  r.request('udp', 28); // AAAA
  r.request('udp', 65); // HTTPS
  r.request('tcp', 252); // AXFR
  r.request('udp', 13); // HINFO: not counted by name
  r.request('udp', 257); // CAA, over 255
  r.request('udp', 65535);
  r.request('tcp', -1); // no question
  const s = r.snapshot();
  t.equal(s.requests.length, 2 * TYPE_LABELS.length);
  t.equal(s.requests[at('udp', 'A')], 2);
  t.equal(s.requests[at('tcp', 'A')], 1);
  t.equal(s.requests[at('udp', 'AAAA')], 1);
  t.equal(s.requests[at('udp', 'HTTPS')], 1);
  t.equal(s.requests[at('tcp', 'AXFR')], 1);
  t.equal(s.requests[at('udp', 'other')], 3);
  t.equal(s.requests[at('tcp', 'other')], 1);
  t.equal(s.requests.reduce((a, b) => a + b, 0), 10, 'nothing else counted');
  t.same(TYPE_LABELS.slice(0, 3), ['A', 'NS', 'CNAME']);
  t.equal(COUNTED_TYPES.length + 1, TYPE_LABELS.length);
});

t.test('replies by RCODE; the duration histogram, its sum and its top slot', async (t) => {
  const r = new RequestCounters();
  r.response(0, 0.1);
  r.response(3, 0.25); // exactly the first bound: in its bucket
  r.response(0x13, 0.26); // only the header's four bits: 3
  r.response(2, 9000); // over 8.192 s
  r.response(5, 1);
  const s = r.snapshot();
  t.equal(s.responses[RCODE_LABELS.indexOf('NOERROR')], 1);
  t.equal(s.responses[RCODE_LABELS.indexOf('NXDOMAIN')], 2);
  t.equal(s.responses[RCODE_LABELS.indexOf('SERVFAIL')], 1);
  t.equal(s.responses[RCODE_LABELS.indexOf('REFUSED')], 1);
  t.equal(RCODE_LABELS.length, 16);
  t.equal(s.durationCounts.length, DURATION_BUCKETS_S.length + 1);
  t.equal(s.durationCounts[0], 2, '0.1 ms and 0.25 ms: le 0.00025');
  t.equal(s.durationCounts[1], 1, '0.26 ms: le 0.0005');
  t.equal(s.durationCounts[2], 1, '1 ms: le 0.001');
  t.equal(s.durationCounts[DURATION_BUCKETS_S.length], 1, '9 s: over the last bound');
  t.equal(s.durationCounts.reduce((a, b) => a + b, 0), 5);
  t.ok(Math.abs(s.durationSumS - 9.00161) < 1e-12, String(s.durationSumS));
  t.equal(DURATION_BUCKETS_S[0], 0.00025);
  t.equal(DURATION_BUCKETS_S.at(-1), 8.192);
});

t.test('counts stay exact past 2^32', async (t) => {
  const r = new RequestCounters();
  // Reach past a Uint32's range through the public API would take minutes: set the snapshot's source directly.
  const requests = (r as unknown as { requests: Float64Array }).requests;
  requests[0] = 2 ** 32;
  r.request('udp', 1);
  t.equal(r.snapshot().requests[0], 2 ** 32 + 1);
});

// An upstream group's defences against blind spoofing (RFC 5452): the name asked over UDP in random
// letter case (0x20) and matched exactly; a reply in another case or a flood of unwanted replies
// sends the query to the same server over TCP; a server that does not echo case is asked without
// 0x20 for a while, said once.
import t from 'tap';
import { parseEndpoint } from '../../src/address.js';
import { DnsfwdError } from '../../src/errors.js';
import { UpstreamGroup, type Transports } from '../../src/upstream/group.js';
import { Upstream } from '../../src/upstream/health.js';
import { NO_ECHO_MS, SpoofGuard } from '../../src/upstream/spoof-guard.js';
import { isAnswer, isCaseMismatch, type Exchange } from '../../src/upstream/transport/exchange.js';
import { captureLog, LEVEL } from '../helpers/logger.js';
import { answer, decode, query } from '../helpers/packets.js';

type Transport = 'udp' | 'tcp';
/** What the server sends back for a query: a reply, or an error the transport raises. */
type Server = (q: Buffer, transport: Transport) => Buffer | DnsfwdError;

const NAME = 'abcdefghij.klmnop.example';
/** The question's bytes, letters in lower case. */
const lower = (b: Uint8Array, end: number) => Buffer.from(b.subarray(12, end)).toString('latin1').toLowerCase();
const spelling = (b: Uint8Array, end: number) => Buffer.from(b.subarray(12, end)).toString('latin1');

/** `q`'s reply with its question name in lower case: a server that does not echo case. */
function lowerCased(q: Buffer): Buffer {
  const r = answer(q, ['10.0.0.1']);
  for (let i = 12; r[i] !== 0; i++) if (r[i]! >= 0x41 && r[i]! <= 0x5a) r[i] = r[i]! | 0x20;
  return r;
}

/**
 * Transports that take the server's reply as the UDP pool and TCP transport would: a reply the
 * exchange matches; over UDP, one in another case ends the exchange with UPSTREAM_CASE when the
 * exchange went in mixed case; anything else goes unanswered (a timeout).
 */
function transports(server: Server, seen: { transport: Transport; ex: Exchange; sent: string }[]): Transports {
  const take = (transport: Transport) => async (ex: Exchange) => {
    seen.push({ transport, ex, sent: spelling(ex.query, ex.query.length - 11) });
    const r = server(ex.query, transport);
    if (r instanceof DnsfwdError) throw r;
    if (isAnswer(ex, r)) return r;
    if (transport === 'udp' && isCaseMismatch(ex, r)) throw new DnsfwdError('UPSTREAM_CASE');
    throw new DnsfwdError('UPSTREAM_TIMEOUT');
  };
  return { udp: take('udp'), tcp: take('tcp') };
}

function group(server: Server, o: { tcpOnly?: boolean; spoof?: SpoofGuard } = {}) {
  const seen: { transport: Transport; ex: Exchange; sent: string }[] = [];
  const clock = { t: 1000 };
  const log = captureLog();
  const ep = parseEndpoint('10.0.0.1');
  if (!ep.ok) throw new Error(ep.reason);
  const opts = { timeoutMs: 1500, downMs: 30_000, ednsSize: 1232, ...o };
  const g = new UpstreamGroup('x', [new Upstream(ep.value)], opts, transports(server, seen), log.logger, () => clock.t);
  return { g, seen, clock, log };
}

const addressIn = (r: Buffer) => (decode(r).answers?.[0] as { data?: string } | undefined)?.data;

const echoes: Server = (q) => answer(q, ['10.0.0.1']);
const out = (q: Buffer) => ({ bytes: q, questionEnd: q.length, dnssecOk: false, deadline: 1_000_000_000 });

t.test('over UDP the name goes in random letter case, the same name in lower case; the reply must spell it so', async (t) => {
  const { g, seen } = group(echoes);
  const q = query(NAME);
  const spellings = new Set<string>();
  for (let i = 0; i < 20; i++) await g.resolve(out(q));
  for (const s of seen) {
    t.equal(s.sent.toLowerCase(), lower(q, q.length), 'the client\'s name, case aside');
    spellings.add(s.sent);
  }
  t.ok(spellings.size > 15, `${spellings.size} spellings of 20 queries (16 letters: 65,536 spellings)`);
  t.same(seen.map((s) => s.transport), Array(20).fill('udp'), 'no TCP for a server that echoes case');
  const { ex } = seen[0]!;
  const other = answer(ex.query, ['10.6.6.6']);
  other[13] ^= 0x20;
  t.notOk(isAnswer(ex, other), 'a reply with one letter in another case is not the answer');
  t.ok(isCaseMismatch(ex, other), 'it is told apart, for the TCP retry');
  const otherId = answer(ex.query, ['10.6.6.6']);
  otherId[13] ^= 0x20;
  otherId[0] ^= 0xff;
  t.notOk(isCaseMismatch(ex, otherId), 'not with another ID');
});

t.test('a TCP-only route asks in the client\'s own spelling', async (t) => {
  const { g, seen } = group(echoes, { tcpOnly: true });
  const q = query('MiXeD.Example');
  await g.resolve(out(q));
  t.equal(seen[0]!.transport, 'tcp');
  t.equal(seen[0]!.sent, spelling(q, q.length));
});

// A forged reply with the right ID but the wrong case is not taken: the same server is asked over
// TCP, and as it echoes the case there, 0x20 stays on and the forgery is warned about.
t.test('a reply in another case from a server that echoes case over TCP: the TCP answer, and a warning', async (t) => {
  let forge = true;
  const { g, seen, log } = group((q, transport) => {
    if (transport === 'udp' && forge) return forgedFor(q);
    return echoes(q, transport);
  });
  const r = await g.resolve(out(query(NAME)));
  t.same(seen.map((s) => s.transport), ['udp', 'tcp'], 'asked again over TCP');
  t.equal(addressIn(r), '10.0.0.1', 'the server\'s answer, not the forged one');
  const warned = log.warnings();
  t.equal(warned.length, 1);
  t.match(warned[0], { server: '10.0.0.1:53', count: 1, msg: /forged/ });
  forge = false;
  await g.resolve(out(query(NAME)));
  t.not(seen[2]!.sent, seen[2]!.sent.toLowerCase(), '0x20 still on for that server');
});

/** A forged reply to `q`: its ID, its question with one letter in the other case, a forged address. */
function forgedFor(q: Buffer): Buffer {
  const r = answer(q, ['10.6.6.6'], { ttl: 3600 });
  r[13] ^= 0x20;
  return r;
}

t.test('a server that does not echo case: answered over TCP, then asked without 0x20 for a while, said once', async (t) => {
  const { g, seen, clock, log } = group((q) => lowerCased(q));
  const q = query(NAME);
  const r = await g.resolve(out(q));
  t.equal(addressIn(r), '10.0.0.1', 'answered');
  t.same(seen.map((s) => s.transport), ['udp', 'tcp'], 'the reply in another case over UDP, confirmed over TCP');
  t.match(log.warnings(), [{ server: '10.0.0.1:53', msg: /does not echo the letter case/ }]);
  seen.length = 0;
  const mixed = query('AbCdEfGhIj.KLMNOP.example');
  await g.resolve(out(mixed));
  t.same(seen.map((s) => s.transport), ['udp'], 'then UDP only');
  t.equal(seen[0]!.sent, spelling(mixed, mixed.length), 'in the client\'s spelling, which the lower-cased reply still matches (no case compared)');
  t.notOk(seen[0]!.ex.mixedCase, 'nothing to tell apart');
  t.notOk(isCaseMismatch(seen[0]!.ex, lowerCased(seen[0]!.ex.query)), 'a reply in another case is no mismatch');
  clock.t += NO_ECHO_MS - 1;
  seen.length = 0;
  await g.resolve(out(q));
  t.same(seen.map((s) => s.transport), ['udp'], 'still without 0x20 just before NO_ECHO_MS');
  clock.t += 1;
  seen.length = 0;
  await g.resolve(out(q));
  t.same(seen.map((s) => s.transport), ['udp', 'tcp'], 'tried with 0x20 again after NO_ECHO_MS, found again');
  const after = log.lines.length;
  t.equal(log.warnings().length, 1, 'said once per server, not again when found again');
  t.ok(log.lines.slice(0, after).some((l) => l.level === LEVEL.debug && /still does not echo/.test(l.msg)), 'found again: debug only');
});

t.test('the 0x20 echo of a server is kept by the SpoofGuard the groups share', async (t) => {
  const spoof = new SpoofGuard();
  const first = group((q) => lowerCased(q), { spoof });
  await first.g.resolve(out(query(NAME)));
  const second = group((q) => lowerCased(q), { spoof });
  await second.g.resolve(out(query(NAME)));
  t.same(second.seen.map((s) => s.transport), ['udp'], 'the next route table\'s group knows');
  t.equal(second.log.warnings().length, 0);
});

t.test('past the unwanted-reply threshold the query goes to the same server over TCP; warnings throttled', async (t) => {
  const { g, seen, log } = group((q, transport) => (transport === 'udp' ? new DnsfwdError('UPSTREAM_UNWANTED') : echoes(q, transport)));
  const r = await g.resolve(out(query(NAME)));
  t.equal(addressIn(r), '10.0.0.1');
  t.same(seen.map((s) => `${s.transport} ${s.ex.server.host}`), ['udp 10.0.0.1', 'tcp 10.0.0.1']);
  await g.resolve(out(query(NAME)));
  t.equal(seen.length, 4, 'the second query over TCP too');
  t.match(log.warnings(), [{ server: '10.0.0.1:53', count: 1, why: /unwanted replies/, msg: /forged/ }], 'one warning a minute, not one a query');
});

t.test('no TCP retry once the deadline has passed; other UDP errors are not retried over TCP', async (t) => {
  const { g, seen, clock } = group((q, transport) => (transport === 'udp' ? (clock.t = 5000, new DnsfwdError('UPSTREAM_UNWANTED')) : echoes(q, transport)));
  await t.rejects(g.resolve({ ...out(query(NAME)), deadline: 5000 }), { code: 'ALL_FAILED' });
  t.same(seen.map((s) => s.transport), ['udp'], 'no time left: no TCP');
  const refused = group(() => new DnsfwdError('UPSTREAM_REFUSED'));
  await t.rejects(refused.g.resolve(out(query(NAME))), { code: 'ALL_FAILED' });
  t.same(refused.seen.map((s) => s.transport), ['udp'], 'ICMP unreachable: the server failed, no TCP');
});

// Guards `if (unwanted) return reply`: after a flood, the TCP answer says nothing of how the server
// answers over UDP (the flood hid it), so its case does not turn 0x20 off.
t.test('after a flood, a TCP answer in another case does not turn 0x20 off', async (t) => {
  let flood = true;
  const { g, seen, log } = group((q, transport) => (transport === 'udp' && flood ? new DnsfwdError('UPSTREAM_UNWANTED') : lowerCased(q)));
  await g.resolve(out(query(NAME)));
  t.notOk(log.lines.some((l) => /echo the letter case/.test(l.msg)), 'nothing said about the case');
  flood = false;
  seen.length = 0;
  await g.resolve(out(query(NAME)));
  t.ok(seen[0]!.ex.mixedCase, 'the next query still goes with 0x20 (and finds out over UDP)');
});

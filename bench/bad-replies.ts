// Measures what a hostile upstream reply (the query's ID and question, then section counts of
// 65535 over a few bytes) costs dnsfwd: the time the reply path takes for one such reply against a
// normal one (the daemon's own stages in process, the upstream in memory), and the share of a
// canary client's queries answered by the built daemon while one route's server sends such replies
// at a given rate. Loopback only. Run: npm run bench:bad-replies
import dgram from 'node:dgram';
import { parseEndpoint } from '../src/address.js';
import { PacketCache } from '../src/cache/packet-cache.js';
import { CacheCounters, cacheStage } from '../src/cache/stage.js';
import { defaultConfig } from '../src/config/schema.js';
import { chaseStage } from '../src/pipeline/chase.js';
import { CoalesceCounters, coalesceStage } from '../src/pipeline/coalesce.js';
import { compose, type Handler } from '../src/pipeline/handler.js';
import { Query } from '../src/pipeline/query.js';
import { routeStage } from '../src/route/stage.js';
import { ZoneTable } from '../src/route/zone-table.js';
import { UpstreamGroup } from '../src/upstream/group.js';
import { Upstream } from '../src/upstream/health.js';
import type { Exchange } from '../src/upstream/transport/exchange.js';
import { parseQuery } from '../src/wire/question.js';
import { startDnsfwd } from '../test/helpers/daemon.js';
import { quietLogger } from '../test/helpers/logger.js';
import { answer, query } from '../test/helpers/packets.js';
import { freePort } from '../test/helpers/ports.js';
import { startRawUpstream } from '../test/helpers/raw-upstream.js';

const RATE = Number(process.env.BENCH_RATE ?? 2000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CANARY_RATE = Number(process.env.BENCH_CANARY_RATE ?? 50);
const LOOPS = Number(process.env.BENCH_LOOPS ?? 2000);
const LISTEN = '127.0.71.1';
const HOSTILE = '127.0.71.2';
const HEALTHY = '127.0.71.3';

/** A reply of `size` bytes after the question: `query`'s ID and question, QR RD RA, QDCOUNT 1, other counts 0. */
function replyTo(q: Buffer, questionEnd: number, size: number): Buffer {
  const r = Buffer.alloc(questionEnd + size);
  q.copy(r, 0, 0, questionEnd);
  r[2] = 0x81;
  r[3] = 0x80;
  r.writeUInt16BE(1, 4);
  r.writeUInt32BE(0, 6);
  r.writeUInt16BE(0, 10);
  return r;
}

/** `query`'s header (its ID) and question, then ANCOUNT = NSCOUNT = ARCOUNT = 65535 and 12 bytes of nothing much. */
function hostile(q: Buffer, questionEnd: number): Buffer {
  const r = replyTo(q, questionEnd, 12);
  r.writeUInt16BE(0xffff, 6);
  r.writeUInt16BE(0xffff, 8);
  r.writeUInt16BE(0xffff, 10);
  r[questionEnd] = 0xc0; // a pointer to the question's name, then a record cut short
  r[questionEnd + 1] = 12;
  return r;
}

/** `query`'s header and question, then one A record (10.0.0.1, TTL 300) for the question's name. */
function normalReply(q: Buffer, questionEnd: number): Buffer {
  const r = replyTo(q, questionEnd, 16);
  r.writeUInt16BE(1, 6);
  r.set([0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 10, 0, 0, 1], questionEnd);
  return r;
}

/** µs per query through the daemon's stages (cache, CNAME, coalescing, route, group) with an in-memory upstream. */
async function perQuery(kind: 'normal' | 'hostile'): Promise<number> {
  const config = defaultConfig().cache;
  const cache = new PacketCache({ size: config.size, maxBytes: config.maxBytes, staleMs: config.staleMaxAge * 1000 });
  const reply = (ex: Exchange) => Promise.resolve((kind === 'normal' ? normalReply : hostile)(ex.query, ex.query.length - 11));
  const ep = parseEndpoint('10.0.0.1');
  if (!ep.ok) throw new Error(ep.reason);
  const group = new UpstreamGroup('', [new Upstream(ep.value)], { timeoutMs: 1500, downMs: 30_000, ednsSize: 1232 }, { udp: reply, tcp: reply }, quietLogger());
  const routes = new ZoneTable([{ zone: '', cache: true, group }]);
  const log = quietLogger();
  const top: Handler = compose(
    [cacheStage({ cache: () => cache, config: () => config, counters: new CacheCounters(), log, now: Date.now }), chaseStage(() => top), coalesceStage(new CoalesceCounters())],
    routeStage(log),
  );
  const run = async (n: number, tag: string) => {
    const queries = Array.from({ length: n }, (_, i) => query(`n${tag}${i}.example`, 'A', { edns: 1232 }));
    const t0 = process.hrtime.bigint();
    for (const bytes of queries) {
      const p = parseQuery(bytes);
      if (p.kind !== 'query') throw new Error('bad bench query');
      await top(new Query(bytes, p.question, 'udp', Date.now() + 4000, routes));
    }
    return Number(process.hrtime.bigint() - t0) / 1000 / n;
  };
  await run(Math.min(LOOPS, 500), 'w'); // warm-up
  return run(LOOPS, 'm');
}

/** Sends `count` queries at `rate` per second from one socket; resolves with how many were answered (within 2 s of the last). */
async function load(port: number, name: (i: number) => string, rate: number, seconds: number): Promise<{ sent: number; answered: number }> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const pending = new Set<number>();
  let answered = 0;
  sock.on('message', (m) => {
    const id = m.readUInt16BE(0);
    if (pending.delete(id)) answered++;
  });
  const total = Math.round(rate * seconds);
  const started = Date.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * rate) + 1);
    for (; sent < due; sent++) {
      const id = sent & 0xffff;
      pending.add(id);
      sock.send(query(name(sent), 'A', { id }), port, LISTEN);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, 2000));
  sock.close();
  return { sent, answered };
}

async function underFire(): Promise<{ canary: number; hostileAnswered: number; hostileSent: number }> {
  const hostilePort = await freePort(HOSTILE);
  const healthyPort = await freePort(HEALTHY);
  const bad = await startRawUpstream(HOSTILE, hostilePort, (q) => hostile(q.bytes, q.bytes.length - (q.decoded.additionals?.length ? 11 : 0)));
  const good = await startRawUpstream(HEALTHY, healthyPort, (q) => answer(q.bytes, ['10.0.0.1']));
  const port = await freePort(LISTEN);
  const daemon = await startDnsfwd([
    '--listen', `${LISTEN}:${port}`,
    '--route', `hostile.test=${HOSTILE}:${hostilePort}`,
    '--route', `canary.test=${HEALTHY}:${healthyPort}`,
    '--upstream', `${HEALTHY}:${healthyPort}`,
    '--lease-file', '/nonexistent/dhclient.leases',
  ]);
  try {
    const [fire, canary] = await Promise.all([
      load(port, (i) => `h${i}.hostile.test`, RATE, SECONDS),
      load(port, (i) => `c${i}.canary.test`, CANARY_RATE, SECONDS),
    ]);
    if (!daemon.alive) throw new Error('dnsfwd died under hostile replies');
    return { canary: canary.answered / canary.sent, hostileAnswered: fire.answered, hostileSent: fire.sent };
  } finally {
    await daemon.stop();
    await bad.close();
    await good.close();
  }
}

const normal = await perQuery('normal');
const bad = await perQuery('hostile');
console.log(`reply path, µs per query (${LOOPS} queries, in process): normal ${normal.toFixed(1)}, hostile ${bad.toFixed(1)} (×${(bad / normal).toFixed(1)})`);
const r = await underFire();
console.log(
  `built daemon, hostile replies at ${RATE} q/s for ${SECONDS} s: canary answered ${(r.canary * 100).toFixed(1)}% (${CANARY_RATE} q/s); ` +
    `hostile queries answered (SERVFAIL or relayed) ${r.hostileAnswered}/${r.hostileSent}`,
);

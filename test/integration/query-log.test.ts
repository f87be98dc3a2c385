// The query log (--log-queries, log_queries: true): one info line per answered query, with the
// client, the question and RCODE by name, the route and where the answer came from: the server
// that answered, the cache, or dnsfwd itself for a special-use name.
import t from 'tap';
import { startDnsfwd } from '../helpers/daemon.js';
import { query } from '../helpers/packets.js';
import { freePort } from '../helpers/ports.js';
import { rawReply, startRawUpstream } from '../helpers/raw-upstream.js';
import { udpExchange } from '../helpers/udp-client.js';

const LISTEN = '127.0.72.1';
const UPSTREAM = '127.0.72.2';
const upstreamPort = await freePort(UPSTREAM);
const upstream = await startRawUpstream(UPSTREAM, upstreamPort, (q) => rawReply(q, { addresses: ['10.72.0.1'], ttl: 300 }));
const port = await freePort(LISTEN);
const daemon = await startDnsfwd([
  '--listen', `${LISTEN}:${port}`,
  '--route', `q.test=${UPSTREAM}:${upstreamPort}`,
  '--lease-file', '/nonexistent/dhclient.leases',
  '--log-queries',
]);
t.teardown(async () => {
  await daemon.stop();
  await upstream.close();
});

const queryLines = (since: number) => daemon.logs.slice(since).filter((l) => l.msg === 'query');

t.test('a miss, then a hit, then a special-use name: one info line each, saying where the answer came from', async (t) => {
  const since = daemon.logs.length;
  await udpExchange(LISTEN, port, query('www.q.test'));
  await udpExchange(LISTEN, port, query('www.q.test'));
  await udpExchange(LISTEN, port, query('localhost', 'AAAA'));
  await daemon.waitForLog((l) => l.msg === 'query' && l.qname === 'localhost', 10_000, since);
  t.match(queryLines(since), [
    { level: 30, client: '127.0.0.1', transport: 'udp', qname: 'www.q.test', qtype: 'A', rcode: 'NOERROR', route: 'q.test', from: `${UPSTREAM}:${upstreamPort}` },
    { level: 30, qname: 'www.q.test', rcode: 'NOERROR', from: 'cache' },
    { level: 30, qname: 'localhost', qtype: 'AAAA', rcode: 'NOERROR', route: 'localhost', from: 'local' },
  ]);
  t.equal(queryLines(since).length, 3, 'one line per query');
});

// The metrics endpoint's HTTP side: GET /metrics with the text format's Content-Type, 404 and 405,
// a failing scrape as 500, odd requests answered 400 while it keeps serving, an address in use as
// one clear error, and a new address bound before the old is let go.
import { connect, createServer, type Server } from 'node:net';
import t from 'tap';
import { MetricsServer } from '../../src/metrics/server.js';
import { CONTENT_TYPE } from '../../src/metrics/exposition.js';
import { isDnsfwdError } from '../../src/errors.js';
import { captureLog } from '../helpers/logger.js';
import { freePort } from '../helpers/ports.js';

const HOST = '127.0.74.20';
const at = async (host = HOST) => ({ host, port: await freePort(host), family: 4 as const });

/** One raw HTTP exchange: what the server sent before closing (the request asks it to close). */
function raw(port: number, request: string, host = HOST): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, host);
    let out = '';
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('end', () => resolve(out));
    s.on('error', reject);
    s.write(request);
  });
}

t.test('GET /metrics, HEAD, 404, 405, a failing scrape, odd requests', async (t) => {
  let fail = false;
  const log = captureLog();
  const m = new MetricsServer(() => {
    if (fail) throw new Error('boom');
    return 'x_total 1\n';
  }, log.logger);
  const e = await at();
  await m.apply(e);
  t.teardown(() => m.close());
  const res = await fetch(`http://${HOST}:${e.port}/metrics`);
  t.equal(res.status, 200);
  t.equal(res.headers.get('content-type'), CONTENT_TYPE);
  t.equal(await res.text(), 'x_total 1\n');
  t.equal((await fetch(`http://${HOST}:${e.port}/metrics?x=1`)).status, 200, 'a query string is ignored');
  const head = await fetch(`http://${HOST}:${e.port}/metrics`, { method: 'HEAD' });
  t.equal(head.status, 200);
  t.equal(await head.text(), '');
  t.equal((await fetch(`http://${HOST}:${e.port}/`)).status, 404);
  t.equal((await fetch(`http://${HOST}:${e.port}/metricsx`)).status, 404);
  const post = await fetch(`http://${HOST}:${e.port}/metrics`, { method: 'POST', body: 'x' });
  t.equal(post.status, 405);
  t.equal(post.headers.get('allow'), 'GET, HEAD');
  t.match(await raw(e.port, 'GARBAGE\r\n\r\n'), /^HTTP\/1\.1 400 /, 'not HTTP: 400');
  t.match(await raw(e.port, `GET /metrics HTTP/1.1\r\nHost: x\r\nX: ${'a'.repeat(20000)}\r\nConnection: close\r\n\r\n`), /^HTTP\/1\.1 431 /, 'headers too big: 431');
  t.match(await raw(e.port, 'GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 200 [^]*\r\n\r\nx_total 1\n$/, 'and still serving');
  fail = true;
  t.equal((await fetch(`http://${HOST}:${e.port}/metrics`)).status, 500);
  t.match(log.lines.filter((l) => l.msg === 'metrics scrape failed'), [{ err: { message: 'boom' } }]);
});

// The timeout is 5 s, checked every second: the test waits for the server to close the connection (20 s of slack).
t.test('a client that never finishes its headers is sent 408 and cut off', { timeout: 30_000 }, async (t) => {
  const m = new MetricsServer(() => 'z 1\n', captureLog().logger);
  const e = await at();
  await m.apply(e);
  t.teardown(() => m.close());
  const reply = await raw(e.port, 'GET /metrics HTTP/1.1\r\nHost: x\r\n');
  t.match(reply, /^HTTP\/1\.1 408 /);
  t.equal((await fetch(`http://${HOST}:${e.port}/metrics`)).status, 200, 'others are still served');
});

t.test('an address in use: one clear error; a new address replaces the old only once bound', async (t) => {
  const e = await at();
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => blocker.listen(e.port, HOST, resolve));
  t.teardown(() => blocker.close());
  const log = captureLog();
  const m = new MetricsServer(() => 'y 1\n', log.logger);
  t.teardown(() => m.close());
  const err = await m.apply(e).then(
    () => null,
    (x: unknown) => x,
  );
  t.ok(isDnsfwdError(err, 'BIND_IN_USE'));
  t.equal((err as Error).message, `cannot listen on ${HOST}:${e.port} (metrics HTTP): address already in use (is another exporter, such as CoreDNS, using it?)`);
  t.equal(m.listening, null, 'not listening');

  const first = await at();
  await m.apply(first);
  t.match(log.lines.filter((l) => l.msg === 'metrics endpoint listening'), [{ listen: `http://${HOST}:${first.port}/metrics` }], 'logged once bound');
  await m.apply({ ...first });
  t.equal(log.lines.filter((l) => l.msg === 'metrics endpoint listening').length, 1, 'the same address again: nothing to do');
  t.equal((await fetch(`http://${HOST}:${first.port}/metrics`)).status, 200, 'and still served');
  await t.rejects(m.apply(e), /address already in use/);
  t.same(m.listening, first, 'the old address kept');
  t.equal((await fetch(`http://${HOST}:${first.port}/metrics`)).status, 200, 'and served');

  const second = await at();
  const pending = await m.prepare(second);
  t.equal((await fetch(`http://${HOST}:${second.port}/metrics`)).status, 200, 'the new address is bound at once');
  t.equal((await fetch(`http://${HOST}:${first.port}/metrics`)).status, 200, 'the old one still serves until commit');
  pending.cancel();
  await t.rejects(fetch(`http://${HOST}:${second.port}/metrics`), 'cancelled: the new one closed');
  await m.apply(second);
  t.same(m.listening, second);
  await t.rejects(fetch(`http://${HOST}:${first.port}/metrics`), 'committed: the old one closed');
  t.equal((await fetch(`http://${HOST}:${second.port}/metrics`)).status, 200);
  await m.apply(null);
  t.equal(m.listening, null);
  await t.rejects(fetch(`http://${HOST}:${second.port}/metrics`), 'off');
});

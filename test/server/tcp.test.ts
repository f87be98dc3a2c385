// TcpListener with a Responder on a real socket: a client that never reads is not read from, at most
// 100 queries outstanding per connection, the idle timeout waits for outstanding queries (RFC 7766
// §6.2.3), a message's deadline, the per-client limit and the cap closing an idle connection to admit
// a new one (§6.2.2), half-close, shutdown and close, and new options (a reload) reach open connections.
import net from 'node:net';
import t, { type Test } from 'tap';
import { parseEndpoint } from '../../src/address.js';
import type { Logger } from '../../src/log.js';
import type { Handler } from '../../src/pipeline/handler.js';
import { Responder } from '../../src/server/responder.js';
import { TcpListener, type TcpOptions } from '../../src/server/tcp.js';
import { FrameReader, frame } from '../../src/wire/framing.js';
import { readId } from '../../src/wire/header.js';
import { captureLog, LEVEL, quietLogger } from '../helpers/logger.js';
import { pipelineOf } from '../helpers/pipeline.js';
import { answer, query } from '../helpers/packets.js';
import { freePort } from '../helpers/ports.js';
import { TcpClient } from '../helpers/tcp-client.js';
import { until } from '../helpers/wait.js';
import { defaultPolicy } from '../helpers/clients.js';
import { ClientPolicy } from '../../src/server/admission.js';
import { decode } from '../helpers/packets.js';

const ADDR = '127.0.14.1';

/** Generous slack for what the configured timeouts (at most 300 ms here) bound. */
const SLACK_MS = 10_000;

/** Limits that none of the tests reaches unless it sets them. */
const OPTIONS: TcpOptions = { idleTimeoutMs: 10_000, messageTimeoutMs: 10_000, maxConnections: 10, maxConnectionsPerClient: 10 };

async function listener(
  t: Test,
  handler: Handler,
  idleTimeoutMs = 10_000,
  log: Logger = quietLogger(),
  policy = defaultPolicy(),
  options: Partial<TcpOptions> = {},
  now: () => number = Date.now,
) {
  const responder = new Responder(pipelineOf(handler), { deadlineMs: 4000, udpMaxSize: 4096 }, log, policy);
  const port = await freePort(ADDR);
  const ep = parseEndpoint(`${ADDR}:${port}`);
  if (!ep.ok) throw new Error(ep.reason);
  const l = new TcpListener(ep.value, responder, { ...OPTIONS, idleTimeoutMs, ...options }, log, now);
  await l.listen();
  t.teardown(() => l.close());
  return { l, port };
}

/** The server's side of the connections the listener has open. */
function serverSockets(l: TcpListener): net.Socket[] {
  const connections = (l as unknown as { connections: Set<{ socket: net.Socket }> }).connections;
  return [...connections].map((c) => c.socket);
}


const addresses = Array.from({ length: 1000 }, (_, i) => `10.${i >> 8}.${i & 255}.1`);

t.test('a client that sends without reading: the server stops reading, work stays bounded', async (t) => {
  let calls = 0;
  // ~16 KB answers: the kernel's socket buffers fill after a few hundred.
  const template = answer(query('big.example'), addresses);
  const { l, port } = await listener(t, (q) => (calls++, q.question.name === 'big.example' ? Buffer.from(template) : answer(q.bytes, [])));
  const socket = net.connect({ host: ADDR, port });
  t.teardown(() => socket.destroy());
  await new Promise((r) => socket.once('connect', r));
  socket.pause(); // never read
  const q = frame(query('big.example'));
  const sent = 3000;
  socket.write(Buffer.concat(Array.from({ length: sent }, () => q)));
  const [server] = serverSockets(l);
  await until('paused', () => server!.isPaused());
  const atPause = calls;
  t.ok(atPause < sent / 4, `${atPause} of ${sent} queries answered when the server stopped reading`);
  // Another client's round trip goes through the same event loop: the paused one is not read meanwhile.
  const other = await TcpClient.connect(ADDR, port);
  t.teardown(() => other.destroy());
  other.send(query('other.example', 'A', { id: 8 }));
  t.equal(readId((await other.waitReplies(1, SLACK_MS))[0]!), 8, 'another client is answered');
  t.equal(calls, atPause + 1, 'and the silent client got no more work done meanwhile');
  t.ok(process.memoryUsage().rss < 400 * 1024 * 1024, 'memory stays bounded');
  socket.resume(); // reading again: the rest is answered
  let received = 0;
  socket.on('data', (c: Buffer) => (received += c.length));
  await until('every query answered', () => calls === sent + 1);
  t.equal(calls, sent + 1, 'every query answered once the client reads');
  t.ok(received > 0);
});

t.test('the idle timeout does not close a connection with a query outstanding', async (t) => {
  let release = () => {};
  const slow: Handler = (q) => new Promise((r) => (release = () => r(answer(q.bytes, ['10.0.0.1']))));
  const { l, port } = await listener(t, slow, 300);
  const c = await TcpClient.connect(ADDR, port);
  t.teardown(() => c.destroy());
  c.send(query('slow.example', 'A', { id: 31 }));
  await until('connected', () => serverSockets(l).length === 1);
  const [server] = serverSockets(l);
  await new Promise((r) => server!.once('timeout', r)); // an idle period passes with the query outstanding
  release();
  t.equal(readId((await c.waitReplies(1, SLACK_MS))[0]!), 31, 'answered after the idle period');
  t.ok(await c.closedWithin(SLACK_MS), 'then closed once idle');
});

// The 30 s idle timeout it starts with would outlast SLACK_MS: only the new 200 ms one can close it.
t.test('setOptions: a new idle timeout reaches connections already open', async (t) => {
  const { l, port } = await listener(t, (q) => answer(q.bytes, ['10.0.0.1']), 30_000);
  const c = await TcpClient.connect(ADDR, port);
  t.teardown(() => c.destroy());
  await until('connected', () => serverSockets(l).length === 1);
  l.setOptions({ ...OPTIONS, idleTimeoutMs: 200 });
  t.ok(await c.closedWithin(SLACK_MS), 'closed by the new idle timeout, not after 30 s');
});

t.test('an answer too big for a TCP message becomes SERVFAIL', async (t) => {
  const huge: Handler = (q) => Buffer.concat([answer(q.bytes, []), Buffer.alloc(70_000)]);
  const { port } = await listener(t, huge);
  const c = await TcpClient.connect(ADDR, port);
  t.teardown(() => c.destroy());
  c.send(query('huge.example', 'A', { id: 5 }));
  const r = (await c.waitReplies(1))[0]!;
  t.equal(readId(r), 5);
  t.equal(r[3]! & 0x0f, 2, 'SERVFAIL');
});

/** Rejects unless `p` settles within SLACK_MS. */
async function within<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`not ${what} within ${SLACK_MS} ms`)), SLACK_MS)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A handler whose answers wait until released; `calls` counts the queries it was given. */
function releasable() {
  const waiting: Array<() => void> = [];
  const state = { calls: 0 };
  const handler: Handler = (q) => {
    state.calls++;
    return new Promise((res) => waiting.push(() => res(answer(q.bytes, ['10.0.0.1']))));
  };
  return { handler, state, release: () => waiting.splice(0).forEach((r) => r()) };
}

/** A raw client socket (optionally half-open: it never ends its side on its own). */
async function rawClient(t: Test, port: number, allowHalfOpen = false): Promise<net.Socket> {
  const s = net.connect({ host: ADDR, port, allowHalfOpen });
  t.teardown(() => s.destroy());
  s.on('error', () => {});
  await new Promise((r) => s.once('connect', r));
  return s;
}

const queries = (n: number, name = 'q.example') => Buffer.concat(Array.from({ length: n }, (_, i) => frame(query(name, 'A', { id: i }))));

// A frame that cannot hold a DNS header ends the connection; a header-sized one is a message.
t.test('a frame shorter than a header closes the connection; a 12-byte one does not', async (t) => {
  const { port } = await listener(t, (q) => answer(q.bytes, ['10.0.0.1']));
  const short = await TcpClient.connect(ADDR, port);
  t.teardown(() => short.destroy());
  short.sendRaw(frame(query('a.example').subarray(0, 11)));
  t.ok(await short.closedWithin(SLACK_MS), 'closed');
  const header = await TcpClient.connect(ADDR, port);
  t.teardown(() => header.destroy());
  header.sendRaw(frame(query('a.example', 'A', { id: 21 }).subarray(0, 12)));
  header.send(query('a.example', 'A', { id: 22 }));
  await until('the query after it answered', () => header.replies.some((r) => readId(r) === 22));
  t.ok(header.replies.some((r) => readId(r) === 22), 'the connection goes on');
});

// MAX_PENDING_PER_CONNECTION (100): the 100th outstanding query stops reading, the 101st waits.
t.test('a connection has at most 100 queries outstanding, and stops reading at 100', async (t) => {
  const exactly = releasable();
  const a = await listener(t, exactly.handler);
  const c1 = await rawClient(t, a.port);
  c1.write(queries(100));
  await until('paused at 100 outstanding', () => serverSockets(a.l)[0]?.isPaused() === true);
  t.equal(exactly.state.calls, 100, '100 outstanding: reading stops');
  const over = releasable();
  const b = await listener(t, over.handler);
  const c2 = await rawClient(t, b.port);
  c2.write(queries(150));
  await until('paused', () => serverSockets(b.l)[0]?.isPaused() === true);
  t.equal(over.state.calls, 100, 'of 150 sent at once, 100 are being answered');
});

// Shutdown: queries already read but not yet handed over are dropped, and the socket is not read again.
t.test('stopAccepting: queued queries are dropped and a paused connection stays paused', async (t) => {
  const { handler, state, release } = releasable();
  const { l, port } = await listener(t, handler);
  const c = await TcpClient.connect(ADDR, port);
  t.teardown(() => c.destroy());
  c.sendRaw(queries(150));
  await until('paused', () => serverSockets(l)[0]?.isPaused() === true);
  const [server] = serverSockets(l);
  l.stopAccepting();
  release();
  await c.waitReplies(100, SLACK_MS);
  t.equal(state.calls, 100, 'the 50 queued queries were not answered');
  t.ok(server!.isPaused(), 'answers drained, the connection is still not read from');
});

// Shutdown: a query arriving on an open connection after stopAccepting is not answered.
t.test('stopAccepting: an open connection is no longer read from', async (t) => {
  let calls = 0;
  const { l, port } = await listener(t, (q) => (calls++, answer(q.bytes, ['10.0.0.1'])));
  const c = await TcpClient.connect(ADDR, port);
  t.teardown(() => c.destroy());
  c.send(query('a.example', 'A', { id: 1 }));
  await c.waitReplies(1);
  const [server] = serverSockets(l);
  l.stopAccepting();
  const read = new Promise((r) => server!.once('data', r)); // after the connection's own 'data' listener
  c.send(query('b.example', 'A', { id: 2 }));
  await within('the second query arriving', read);
  t.equal(calls, 1, 'the second query never reached the handler');
});

// A message the responder drops (here a response, QR=1) has no reply to write: nothing fails.
t.test('a dropped message gets no reply and no error; the next query is answered', async (t) => {
  const log = captureLog();
  const { port } = await listener(t, (q) => answer(q.bytes, ['10.0.0.1']), 10_000, log.logger);
  const c = await TcpClient.connect(ADDR, port);
  t.teardown(() => c.destroy());
  c.send(answer(query('resp.example', 'A', { id: 30 }), ['10.0.0.9']), query('a.example', 'A', { id: 31 }));
  await c.waitReplies(1);
  t.same(c.replies.map(readId), [31]);
  t.same(log.lines.filter((l) => l.level >= LEVEL.warn), [], 'no warning or error');
});

// The connection is ended only once the client has ended its side, not after each answer.
t.test('queries one after another on one connection are all answered', async (t) => {
  const { port } = await listener(t, (q) => answer(q.bytes, ['10.0.0.1']));
  const c = await TcpClient.connect(ADDR, port);
  t.teardown(() => c.destroy());
  for (const id of [41, 42, 43]) {
    c.send(query('a.example', 'A', { id }));
    await c.waitReplies(id - 40, SLACK_MS);
  }
  t.same(c.replies.map(readId), [41, 42, 43]);
});

// RFC 7766: a client may close its sending side after its queries; the answers still come.
t.test('a client that half-closes after its query gets the answer, then the end', async (t) => {
  const { handler, release } = releasable();
  const { l, port } = await listener(t, handler);
  const s = await rawClient(t, port, true);
  const reader = new FrameReader();
  const replies: Buffer[] = [];
  s.on('data', (chunk: Buffer) => replies.push(...reader.push(chunk)));
  const ended = new Promise((r) => s.once('end', r));
  s.end(frame(query('half.example', 'A', { id: 51 })));
  await until('the server read the end', () => serverSockets(l)[0]?.readableEnded === true);
  release();
  await within('the end', ended);
  t.same(replies.map(readId), [51], 'answered before the end');
});

// close(): a connection that does not finish (the client never ends its side) is destroyed after the flush time.
// The 60 s idle timeout would outlast SLACK_MS: only close() can end the connection here.
t.test('close() destroys a connection the client keeps open', async (t) => {
  const { l, port } = await listener(t, (q) => answer(q.bytes, []), 60_000);
  await rawClient(t, port, true);
  await until('connected', () => serverSockets(l).length === 1);
  const [server] = serverSockets(l);
  const closed = new Promise((r) => server!.once('close', r));
  const closing = l.close();
  await within('closed', closed);
  await closing;
  t.ok(server!.destroyed);
});

// After stopAccepting the server socket is closed already: close() does not wait for the connections.
t.test('close() after stopAccepting resolves without waiting for open connections', async (t) => {
  const { l, port } = await listener(t, (q) => answer(q.bytes, []), 60_000);
  await rawClient(t, port, true);
  await until('connected', () => serverSockets(l).length === 1);
  const [server] = serverSockets(l);
  const closed = new Promise((r) => server!.once('close', r));
  l.stopAccepting();
  await l.close();
  t.notOk(server!.destroyed, 'resolved while the connection is still being flushed');
  await within('closed', closed);
});

// A reload that lowers tcp_max_connections applies to new connections. The first one has a query in
// progress: it is not idle, so nothing can be closed to make room.
t.test('setOptions: a new connection cap applies to new connections', async (t) => {
  const { handler, state, release } = releasable();
  t.teardown(release);
  const { l, port } = await listener(t, handler);
  const first = await TcpClient.connect(ADDR, port);
  t.teardown(() => first.destroy());
  first.send(query('held.example'));
  await until('the query in progress', () => state.calls === 1);
  l.setOptions({ ...OPTIONS, maxConnections: 1 });
  const second = await TcpClient.connect(ADDR, port);
  t.teardown(() => second.destroy());
  t.ok(await second.closedWithin(SLACK_MS), 'the second connection is closed');
  t.equal(serverSockets(l).length, 1, 'the first stays');
});

// Connections that closed are forgotten (no growth over the daemon's lifetime).
t.test('a closed connection leaves the listener', async (t) => {
  const { l, port } = await listener(t, (q) => answer(q.bytes, []));
  const c = await TcpClient.connect(ADDR, port);
  await until('connected', () => serverSockets(l).length === 1);
  const [server] = serverSockets(l);
  const closed = new Promise((r) => server!.once('close', r)); // after the listener's own 'close' listener
  c.destroy();
  await within('closed', closed);
  t.equal(serverSockets(l).length, 0);
});

// An answer that fails (a bug in a stage) is logged; the connection keeps answering.
t.test('a failing answer is logged and the connection goes on', async (t) => {
  const log = captureLog();
  const broken: Handler = (q) => (q.question.name === 'bad.example' ? Promise.resolve(undefined as unknown as Buffer) : answer(q.bytes, []));
  const { port } = await listener(t, broken, 10_000, log.logger);
  const c = await TcpClient.connect(ADDR, port);
  t.teardown(() => c.destroy());
  c.send(query('bad.example', 'A', { id: 61 }));
  await log.next((l) => l.msg === 'TCP answer failed');
  c.send(query('good.example', 'A', { id: 62 }));
  t.same((await c.waitReplies(1)).map(readId), [62]);
});

// Every query of a connection can fail the same way: a line a minute, with the count.
t.test('failing answers: one line a minute with the count (injected clock)', async (t) => {
  const log = captureLog();
  let now = 0;
  const broken: Handler = (q) => (q.question.name === 'bad.example' ? Promise.resolve(undefined as unknown as Buffer) : answer(q.bytes, []));
  const { port } = await listener(t, broken, 10_000, log.logger, defaultPolicy(), {}, () => now);
  const c = await TcpClient.connect(ADDR, port);
  t.teardown(() => c.destroy());
  const failed = () => log.lines.filter((l) => l.msg === 'TCP answer failed');
  for (let i = 0; i < 5; i++) c.send(query('bad.example', 'A', { id: 70 + i }));
  await log.next((l) => l.msg === 'TCP answer failed');
  // Answers are written in the order they complete: the good one's comes after the failures.
  c.send(query('good.example', 'A', { id: 79 }));
  t.same((await c.waitReplies(1)).map(readId), [79]);
  t.match(failed(), [{ count: 1 }], 'five failures, one line');
  t.equal(failed().length, 1);
  now = 60_000;
  c.send(query('bad.example', 'A', { id: 90 }));
  await log.next((l) => l.msg === 'TCP answer failed', log.lines.indexOf(failed()[0]!) + 1);
  t.match(failed(), [{ count: 1 }, { count: 5 }], 'a minute on: the failures since');
  t.equal(failed().length, 2);
});

/** ~60 KB answers for `big.example`, held answers for `slow.example`, counting the big ones. */
function bigAndSlow() {
  const template = answer(query('big.example'), Array.from({ length: 2200 }, (_, i) => `10.${i >> 8}.${i & 255}.1`));
  const slow = releasable();
  const state = { big: 0 };
  const handler: Handler = (q) => {
    if (q.question.name === 'slow.example') return slow.handler(q);
    state.big++;
    const out = Buffer.from(template);
    out.writeUInt16BE(q.bytes.readUInt16BE(0), 0);
    return out;
  };
  return { handler, state, release: slow.release };
}

// close(): answers written before it still arrive; one completing after it is dropped, and does not
// cut off what is still being flushed.
t.test('close(): a late answer is dropped without losing the answers still being flushed', async (t) => {
  const { handler, state, release } = bigAndSlow();
  const { l, port } = await listener(t, handler, 60_000);
  const s = await rawClient(t, port);
  s.pause(); // not reading: the answers pile up in the server's write buffer
  s.write(Buffer.concat([frame(query('slow.example', 'A', { id: 4000 })), queries(400, 'big.example')]));
  await until('writes blocked', () => serverSockets(l)[0]?.isPaused() === true);
  const written = state.big;
  const closing = l.close();
  release(); // the slow answer completes after close()
  const reader = new FrameReader();
  const replies: Buffer[] = [];
  s.on('data', (chunk: Buffer) => replies.push(...reader.push(chunk)));
  const ended = new Promise((r) => s.once('end', r));
  s.resume();
  await within('the end of the stream', ended);
  await closing;
  t.equal(replies.length, written, `the ${written} answers written before close() all arrived`);
  t.notOk(replies.some((r) => readId(r) === 4000), 'the late answer was not sent');
});

// A client may send all its queries, close its side, and read the answers only then. The end of its
// stream can be read while queries still wait (the answers are not drained): they are answered too.
t.test('a client that sends everything, half-closes, then reads gets every answer', async (t) => {
  const { handler } = bigAndSlow();
  const { l, port } = await listener(t, handler, 60_000);
  const s = await rawClient(t, port, true);
  s.pause();
  s.write(queries(150, 'big.example')); // 100 answered at once, 50 wait: the writes are blocked
  await until('writes blocked', () => serverSockets(l)[0]?.isPaused() === true);
  const [server] = serverSockets(l);
  s.end(Buffer.concat(Array.from({ length: 150 }, (_, i) => frame(query('big.example', 'A', { id: 1000 + i })))));
  // The paused server socket still buffers what arrives; wait until that includes the end of the stream.
  await until('the end read', () => (server as unknown as { _readableState: { ended: boolean } })._readableState.ended);
  const reader = new FrameReader();
  const replies: Buffer[] = [];
  s.on('data', (chunk: Buffer) => replies.push(...reader.push(chunk)));
  const ended = new Promise((r) => s.once('end', r));
  s.resume();
  await within('the end of the answers', ended);
  t.equal(replies.length, 300, 'all 300 answered before the server ended its side');
});

// A client that resets its connection (RST) makes the server's read fail: that error ends only that
// connection, it is not thrown.
t.test('a client that resets its connection: the error is logged, the listener goes on', async (t) => {
  const log = captureLog();
  const { l, port } = await listener(t, (q) => answer(q.bytes, ['10.0.0.1']), 10_000, log.logger);
  const c = await TcpClient.connect(ADDR, port);
  c.send(query('a.example', 'A', { id: 71 }));
  await c.waitReplies(1);
  const [server] = serverSockets(l);
  const closed = new Promise((r) => server!.once('close', r));
  (c as unknown as { socket: net.Socket }).socket.resetAndDestroy();
  await within('closed', closed);
  t.match(log.lines.filter((l) => l.msg === 'TCP connection error'), [{ level: LEVEL.debug, err: /ECONNRESET/ }]);
  const other = await TcpClient.connect(ADDR, port);
  t.teardown(() => other.destroy());
  other.send(query('b.example', 'A', { id: 72 }));
  t.same((await other.waitReplies(1)).map(readId), [72], 'another client is answered');
});

/** A connection from `localAddress` (any 127/8 address is this host's) that keeps what it receives. */
function connectFrom(t: Test, localAddress: string, port: number) {
  const socket = net.connect({ host: ADDR, port, localAddress });
  t.teardown(() => socket.destroy());
  const reader = new FrameReader();
  const replies: Buffer[] = [];
  let bytes = 0;
  socket.on('data', (c: Buffer) => ((bytes += c.length), replies.push(...reader.push(c))));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return { socket, replies, closed, received: () => bytes };
}

t.test("access control on TCP: a dropped client's connection is closed at once; a refused client gets REFUSED per query", async (t) => {
  const asked: string[] = [];
  const access = [
    { from: '127.0.14.8/32', action: 'drop' as const },
    { from: '127.0.14.9/32', action: 'refuse' as const },
  ];
  const rateLimit = { responsesPerSecond: 1, slip: 1, ipv4Prefix: 24, ipv6Prefix: 56 };
  const policy = new ClientPolicy({ access, rateLimit, listen: [], listenWatched: [] }, {}, quietLogger());
  // An idle timeout far past the slack: a close within the slack is the drop, not the timeout.
  const { port } = await listener(t, (q) => (asked.push(q.question.name), answer(q.bytes, ['10.0.0.1'])), 600_000, quietLogger(), policy);

  const dropped = connectFrom(t, '127.0.14.8', port);
  dropped.socket.write(frame(query('dropped.example')));
  await dropped.closed;
  t.equal(dropped.received(), 0, 'closed without a byte');

  const refused = connectFrom(t, '127.0.14.9', port);
  refused.socket.write(Buffer.concat([1, 2, 3].map((id) => frame(query('refused.example', 'A', { id })))));
  await until('three replies', () => refused.replies.length === 3, SLACK_MS);
  t.same(refused.replies.map((r) => [decode(r).id, decode(r).rcode]).sort(), [[1, 'REFUSED'], [2, 'REFUSED'], [3, 'REFUSED']]);
  t.ok(refused.socket.writable, 'the connection stays open');

  // Over TCP the rate limit does not apply: a loopback client the entries leave to the default, three queries at once.
  const allowed = connectFrom(t, '127.0.14.10', port);
  allowed.socket.write(Buffer.concat([1, 2, 3].map((id) => frame(query('ok.example', 'A', { id })))));
  await until('three answers', () => allowed.replies.length === 3, SLACK_MS);
  t.same(allowed.replies.map((r) => decode(r).rcode), ['NOERROR', 'NOERROR', 'NOERROR']);
  t.same(asked, ['ok.example', 'ok.example', 'ok.example'], 'only the allowed queries reached the pipeline');
  t.same(policy.stats(), { refused: 3, dropped: 1, rateLimitedTruncated: 0, rateLimitedDropped: 0, fromOurselves: 0 });
});

/** Resolves once the connection is open (or failed). */
const connected = (c: { socket: net.Socket }) => new Promise((r) => (c.socket.once('connect', r), c.socket.once('close', r)));

// RFC 7766 §6.2.2: a client that sends a byte now and then restarts the idle clock each time; the
// message deadline, counted from the message's first byte, closes it anyway.
t.test('a message not complete within the message timeout closes the connection', async (t) => {
  const log = captureLog();
  const { port } = await listener(t, (q) => answer(q.bytes, ['10.0.0.1']), 60_000, log.logger, defaultPolicy(), { messageTimeoutMs: 300 });
  const slow = connectFrom(t, '127.0.14.30', port);
  await connected(slow);
  const bytes = frame(query('slow.example', 'A', { id: 81 }));
  let sent = 0;
  // One byte every 50 ms: the 31-byte message needs longer than its deadline.
  const trickle = setInterval(() => sent < bytes.length && slow.socket.write(bytes.subarray(sent, ++sent)), 50);
  t.teardown(() => clearInterval(trickle));
  await slow.closed;
  t.ok(sent < bytes.length, `closed after ${sent} of ${bytes.length} bytes`);
  t.same(slow.replies, [], 'never answered');
  t.match(await log.next((l) => /message not complete in time/.test(l.msg)), { level: LEVEL.warn, count: 1, timeoutMs: 300 });

  // Whole messages, one after another, each in time: the deadline restarts with each.
  const quick = connectFrom(t, '127.0.14.31', port);
  await connected(quick);
  for (const id of [82, 83, 84]) {
    quick.socket.write(frame(query('a.example', 'A', { id })));
    await until(`answer ${id}`, () => quick.replies.some((r) => readId(r) === id), SLACK_MS);
    await new Promise((r) => setTimeout(r, 200)); // together longer than one deadline
  }
  t.ok(quick.socket.writable, 'a client sending whole messages stays connected');
});

t.test('connections over the per-client limit are refused; other clients are not', async (t) => {
  const log = captureLog();
  const held = releasable();
  const { state, release } = held;
  t.teardown(release);
  const handler: Handler = (q) => (q.question.name === 'held.example' ? held.handler(q) : answer(q.bytes, ['10.0.0.1']));
  const { l, port } = await listener(t, handler, 60_000, log.logger, defaultPolicy(), { maxConnectionsPerClient: 2 });
  const busy = [connectFrom(t, '127.0.14.40', port), connectFrom(t, '127.0.14.40', port)];
  busy.forEach((c, id) => c.socket.write(frame(query('held.example', 'A', { id }))));
  await until('two queries in progress', () => state.calls === 2, SLACK_MS);

  const third = connectFrom(t, '127.0.14.40', port);
  await third.closed;
  t.equal(third.received(), 0, 'the third from the same address is closed at once');
  t.match(await log.next((l) => /per-client limit/.test(l.msg)), { level: LEVEL.warn, count: 1, client: '127.0.14.40', limit: 2 });
  t.ok(busy.every((c) => c.socket.writable), 'the two busy ones stay');

  const other = connectFrom(t, '127.0.14.41', port);
  other.socket.write(frame(query('held.example', 'A', { id: 9 })));
  await until('the other client is served', () => state.calls === 3, SLACK_MS);
  release();
  await until('answered', () => other.replies.length === 1 && busy.every((c) => c.replies.length === 1), SLACK_MS);

  // Now idle: the client's least recently active connection makes room for its new one.
  busy[1]!.socket.write(frame(query('a.example', 'A', { id: 7 })));
  await until('busy[1] active again', () => busy[1]!.replies.length === 2, SLACK_MS);
  const fourth = connectFrom(t, '127.0.14.40', port);
  await busy[0]!.closed;
  fourth.socket.write(frame(query('a.example', 'A', { id: 10 })));
  await until('the new one answered', () => fourth.replies.length === 1, SLACK_MS);
  t.ok(busy[1]!.socket.writable, 'the more recently active one stays');
  t.equal(serverSockets(l).length, 3);
});

// Guards remove()'s `n > 0`: a closed connection gives back one place of its client's, not all of them.
t.test("a client's closed connection frees one place under the per-client limit, not every place", async (t) => {
  const held = releasable();
  t.teardown(held.release);
  const handler: Handler = (q) => (q.question.name === 'held.example' ? held.handler(q) : answer(q.bytes, ['10.0.0.1']));
  // A query deadline far beyond the test: held queries keep their connections busy (not evictable) throughout.
  const responder = new Responder(pipelineOf(handler), { deadlineMs: 600_000, udpMaxSize: 4096 }, quietLogger(), defaultPolicy());
  const port = await freePort(ADDR);
  const ep = parseEndpoint(`${ADDR}:${port}`);
  if (!ep.ok) throw new Error(ep.reason);
  const l = new TcpListener(ep.value, responder, { ...OPTIONS, idleTimeoutMs: 600_000, maxConnectionsPerClient: 2 }, quietLogger());
  await l.listen();
  t.teardown(() => l.close());
  const open = (id: number, name = 'held.example') => {
    const c = connectFrom(t, '127.0.14.42', port);
    c.socket.write(frame(query(name, 'A', { id })));
    return c;
  };
  const first = open(1, 'a.example');
  await until('the first answered', () => first.replies.length === 1, SLACK_MS);
  const second = open(2);
  await until('the second query held', () => held.state.calls === 1, SLACK_MS);
  first.socket.end();
  await until('the first connection gone from the listener', () => serverSockets(l).length === 1, SLACK_MS);
  const third = open(3);
  await until('the third admitted: its query held', () => held.state.calls === 2, SLACK_MS);
  const fourth = open(4);
  let closed = false;
  void fourth.closed.then(() => (closed = true));
  await until('the fourth closed, or its query held', () => closed || held.state.calls === 3, SLACK_MS);
  if (!t.equal(held.state.calls, 2, 'its query never reached the handler')) return;
  await fourth.closed;
  t.equal(fourth.received(), 0, 'a third busy connection from the client: closed at once');
  t.equal(serverSockets(l).length, 2, 'the second and the third stay');
  t.ok(second.socket.writable && third.socket.writable);
});

t.test('at the cap, the least recently active idle connection is closed to admit a new one; with none idle, the new one is', async (t) => {
  const log = captureLog();
  const { handler, state, release } = releasable();
  t.teardown(release);
  const { l, port } = await listener(t, handler, 60_000, log.logger, defaultPolicy(), { maxConnections: 3 });
  const idle = connectFrom(t, '127.0.14.50', port);
  const partial = connectFrom(t, '127.0.14.51', port);
  const busy = connectFrom(t, '127.0.14.52', port);
  await Promise.all([idle, partial, busy].map(connected));
  await until('three open', () => serverSockets(l).length === 3, SLACK_MS);
  partial.socket.write(frame(query('p.example')).subarray(0, 5)); // a message begun: not idle
  busy.socket.write(frame(query('held.example')));
  await until('a query in progress', () => state.calls === 1, SLACK_MS);
  await until('the partial message read', () => serverSockets(l).some((s) => s.bytesRead === 5), SLACK_MS);

  const fresh = connectFrom(t, '127.0.14.53', port);
  await idle.closed;
  t.equal(idle.received(), 0, 'the idle connection was closed, nothing sent to it');
  t.match(await log.next((l) => /idle TCP connections closed/.test(l.msg)), { level: LEVEL.info, count: 1 });
  fresh.socket.write(frame(query('held.example', 'A', { id: 3 })));
  await until('the new one is served', () => state.calls === 2, SLACK_MS);

  const refused = connectFrom(t, '127.0.14.54', port);
  await refused.closed;
  t.equal(refused.received(), 0, 'none idle: the newest is closed at once');
  t.match(await log.next((l) => /at the cap/.test(l.msg)), { level: LEVEL.warn, count: 1, limit: 3 });
  t.ok(partial.socket.writable && busy.socket.writable && fresh.socket.writable, 'the others stay');
  release();
  await until('answers', () => busy.replies.length === 1 && fresh.replies.length === 1, SLACK_MS);
});

// A remote party can make refusals as fast as it connects: a line a minute, with the count.
t.test('refusals are logged at most once a minute per kind, with the count', async (t) => {
  const log = captureLog();
  let now = 1_000_000;
  const { handler, state, release } = releasable();
  t.teardown(release);
  const { port } = await listener(t, handler, 60_000, log.logger, defaultPolicy(), { maxConnectionsPerClient: 1 }, () => now);
  const busy = connectFrom(t, '127.0.14.60', port);
  busy.socket.write(frame(query('held.example')));
  await until('a query in progress', () => state.calls === 1, SLACK_MS);
  const refuse = async () => await connectFrom(t, '127.0.14.60', port).closed;
  for (let i = 0; i < 5; i++) await refuse();
  now += 60_000;
  await refuse();
  const lines = log.lines.filter((l) => /per-client limit/.test(l.msg));
  t.same(lines.map((l) => l.count), [1, 5], 'the first, then one line a minute later counting the five since');
});

// Slow TCP clients (RFC 7766 §6.2.2) against the built daemon: 300 connections from ten addresses,
// each sending a byte a second and reconnecting when closed, do not keep `dig +tcp` from being
// answered; the daemon closes each of them at its message deadline, and logs each kind of refusal or
// closing in one line, not one per connection.
import net from 'node:net';
import t from 'tap';
import { startDnsfwd } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { aRecord, startFake } from '../helpers/fake-upstream.js';
import { frame } from '../../src/wire/framing.js';
import { query } from '../helpers/packets.js';
import { freePort } from '../helpers/ports.js';
import { requireTool } from '../helpers/tools.js';

requireTool('dig');
const LISTEN = '127.0.62.1';
const UP = '127.0.62.2';
/** The slow clients' addresses: 127.0.62.10 to 127.0.62.19, 30 connections each. */
const SOURCES = Array.from({ length: 10 }, (_, i) => `127.0.62.${10 + i}`);
const SLOW = 300;

const upPort = await freePort(UP);
const up = await startFake({ address: UP, port: upPort, answer: (name) => ({ answers: [aRecord(name, '10.62.0.1')] }) });
const port = await freePort(LISTEN);
const dir = t.testdir({
  'dnsfwd.yaml': [
    `listen: ["${LISTEN}:${port}"]`,
    'routes: []',
    `default: { sources: [], servers: ["${UP}:${upPort}"] }`,
    // The defaults: a message deadline of 2000 ms, 256 connections, 16 per client.
    '',
  ].join('\n'),
});
const daemon = await startDnsfwd(['--config', `${dir}/dnsfwd.yaml`]);
t.teardown(async () => {
  await daemon.stop();
  await up.close();
});

/** One slow client: connects, sends a byte of a query a second, and connects again when closed. */
class SlowClient {
  answers = 0;
  closedByServer = 0;
  private socket: net.Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly from: string) {
    this.connect();
  }

  private connect(): void {
    const bytes = frame(query('slow.example'));
    let sent = 0;
    const s = net.connect({ host: LISTEN, port, localAddress: this.from });
    this.socket = s;
    s.on('error', () => {});
    s.on('data', () => this.answers++);
    s.on('connect', () => {
      const send = () => sent < bytes.length && s.write(bytes.subarray(sent, ++sent));
      send();
      this.timer = setInterval(send, 1000);
    });
    s.on('close', () => {
      clearInterval(this.timer);
      if (this.stopped) return;
      this.closedByServer++;
      setTimeout(() => this.stopped || this.connect(), 1000);
    });
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.socket?.destroy();
  }
}

t.test('300 slow clients: dig +tcp is answered, and each slow connection is closed unanswered', async (t) => {
  const since = daemon.logs.length;
  const slow = Array.from({ length: SLOW }, (_, i) => new SlowClient(SOURCES[i % SOURCES.length]!));
  t.teardown(() => slow.forEach((c) => c.stop()));
  // The flood is in place once the daemon turns connections away from one of the ten addresses
  // (refused, or an idle one of that client's closed for the new one).
  await daemon.waitForLog((l) => /per-client limit|idle TCP connections closed/.test(l.msg ?? ''), 20_000, since);

  const r = await dig(LISTEN, port, 'fast.example', { tcp: true });
  t.equal(r.status, 'NOERROR', r.raw);
  t.same(r.answers.map((a) => a.data), ['10.62.0.1']);

  await daemon.waitForLog((l) => l.msg === 'TCP connections closed: a message not complete in time', 20_000, since);
  const again = await dig(LISTEN, port, 'again.example', { tcp: true });
  t.equal(again.status, 'NOERROR', again.raw);
  t.equal(slow.reduce((n, c) => n + c.answers, 0), 0, 'no slow client was answered');

  const kinds = daemon.logs.slice(since).filter((l) => /TCP connections|idle TCP connections/.test(l.msg ?? ''));
  const messages = kinds.map((l) => l.msg);
  t.equal(new Set(messages).size, messages.length, `one line per kind, whatever the number of events: ${JSON.stringify(kinds)}`);
});

// One fuzzing run of the built daemon, shared by test/integration/fuzz.test.ts (small counts) and
// bench/fuzz.ts (the million): fuzzed UDP queries from several source addresses at a steady
// rate (and now and then a TCP connection abused), valid queries to a route whose one server
// answers with fuzzed replies until it has sent enough of them, and a canary client asking a
// healthy route at a steady rate throughout. Addresses BASE.x on loopback: .1 dnsfwd, .2 the
// fuzzing server, .3 the healthy one (the canary's route), .4 the default route's server, .8 the
// reply load, .9 the canary, .10-.17 the fuzzed queries.
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startDnsfwd, type DaemonProcess, type LogLine } from './daemon.js';
import { fuzzQuery, fuzzReply, fuzzTcpStream, Prng } from './fuzz.js';
import { freePort } from './ports.js';
import { rawReply, startRawUpstream, type RawQuery, type RawUpstream } from './raw-upstream.js';
import { udpAsker } from './udp-client.js';

export const CANARY_ADDRESS = [10, 67, 0, 1] as const;
const SOURCES = 8;
/** pino's info level: lines at it and above are what an operator's log keeps. */
export const INFO = 30;

export interface FuzzOptions {
  /** The first three octets of the loopback addresses used, e.g. `127.0.67`. */
  readonly base: string;
  /** Fuzzed UDP queries to send. */
  readonly queries: number;
  /** Sent a second. */
  readonly rate: number;
  /** Fuzzed replies the fuzzing server must have sent before the reply load stops. */
  readonly replies: number;
  /** Queries of the reply load in flight at once. */
  readonly replyWindow: number;
  /** One abusive TCP connection per this many fuzzed queries; 0: none. */
  readonly tcpEvery: number;
  /** Canary queries a second, and how long each waits for its answer. */
  readonly canaryRate: number;
  readonly canaryTimeoutMs: number;
  /** Called about once a second with what has been sent so far. */
  readonly progress?: (s: FuzzStats) => void;
}

export interface FuzzStats {
  queriesSent: number;
  /** Datagrams the fuzzed queries' sockets got back (FORMERR, NOTIMP, answers...). */
  queriesAnswered: number;
  tcpConnections: number;
  fuzzedReplies: number;
  replyLoadSent: number;
  canaryAsked: number;
  canaryAnswered: number;
  /** The canary's queries that got no answer within the timeout, by time since the start (ms). */
  canaryMissedAt: number[];
  /** From the start until the last fuzzed query was sent, and until the end. */
  sendSeconds: number;
  seconds: number;
}

export interface FuzzSetup {
  readonly daemon: DaemonProcess;
  readonly listen: string;
  readonly port: number;
  /** Replies the fuzzing server has sent so far. */
  fuzzedReplies(): number;
  /** Asks the canary's route once (a fresh name); true if the healthy server's answer came within `ms`. */
  canary(ms: number): Promise<boolean>;
  /** The index of the daemon's next log line, once every line it wrote before this call is in (SIGUSR1's 'cache statistics' line, which it waits for, is before it). */
  mark(): Promise<number>;
  /**
   * The daemon's log lines from index `since` up to a line it wrote after every earlier one: the
   * 'cache statistics' line SIGUSR1 asks for (returned too, with its UDP drop counts).
   */
  logsSince(since: number): Promise<{ lines: LogLine[]; stats: LogLine }>;
  /** The daemon's resident memory now and at its peak, KiB (VmRSS, VmHWM). */
  memory(): { rssKiB: number; hwmKiB: number };
  close(): Promise<void>;
}

const isCanaryAnswer = (r: Buffer | null) => r !== null && (r[3]! & 0x0f) === 0 && r.includes(Buffer.from(CANARY_ADDRESS));

/** Starts the fake servers and the daemon (down_ms 0: the fuzzing server is asked every time, however often it fails). */
export async function startFuzzSetup(base: string, rng: Prng): Promise<FuzzSetup> {
  const [listen, fuzzAddr, healthyAddr, sinkAddr] = [1, 2, 3, 4].map((i) => `${base}.${i}`) as [string, string, string, string];
  const fuzzPort = await freePort(fuzzAddr);
  const healthyPort = await freePort(healthyAddr);
  const sinkPort = await freePort(sinkAddr);
  const servers: RawUpstream[] = [];
  let fuzzed = 0;
  const fuzz = (q: RawQuery) => (fuzzed++, fuzzReply(rng, q, ['10.67.0.66', '10.67.0.67']));
  servers.push(await startRawUpstream(fuzzAddr, fuzzPort, fuzz, { record: false }));
  servers.push(await startRawUpstream(healthyAddr, healthyPort, (q) => rawReply(q, { addresses: [CANARY_ADDRESS.join('.')] }), { record: false }));
  servers.push(await startRawUpstream(sinkAddr, sinkPort, (q) => rawReply(q, { addresses: ['10.67.0.4'] }), { record: false }));
  const dir = mkdtempSync(join(tmpdir(), 'dnsfwd-fuzz-'));
  const config = join(dir, 'dnsfwd.yaml');
  writeFileSync(config, 'upstream:\n  down_ms: 0\n');
  const port = await freePort(listen);
  const daemon = await startDnsfwd([
    '--config', config,
    '--listen', `${listen}:${port}`,
    '--route', `fuzz.test=${fuzzAddr}:${fuzzPort}`,
    '--route', `canary.test=${healthyAddr}:${healthyPort}`,
    '--upstream', `${sinkAddr}:${sinkPort}`,
    '--lease-file', '/nonexistent/dhclient.leases',
  ]);
  const canarySock = await udpAsker(`${base}.9`, port, listen);
  let canaryN = 0;
  return {
    daemon,
    listen,
    port,
    fuzzedReplies: () => fuzzed,
    canary: async (ms) => isCanaryAnswer(await canarySock.ask(`after${canaryN++}.canary.test`, ms)),
    mark: async () => {
      const marker = daemon.logs.length;
      daemon.child.kill('SIGUSR1');
      const stats = await daemon.waitForLog((l) => l.msg === 'cache statistics', 30_000, marker);
      return daemon.logs.indexOf(stats, marker) + 1;
    },
    logsSince: async (since) => {
      const marker = daemon.logs.length;
      daemon.child.kill('SIGUSR1');
      const stats = await daemon.waitForLog((l) => l.msg === 'cache statistics', 30_000, marker);
      return { lines: daemon.logs.slice(since, daemon.logs.indexOf(stats, marker)), stats };
    },
    memory: () => {
      const status = readFileSync(`/proc/${daemon.child.pid}/status`, 'utf8');
      const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
      return { rssKiB: kib('VmRSS'), hwmKiB: kib('VmHWM') };
    },
    close: async () => {
      canarySock.close();
      await daemon.stop();
      for (const s of servers) await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs the fuzzing against `setup` until the queries are sent and the replies counted; the canary asks throughout. */
export async function runFuzz(setup: FuzzSetup, rng: Prng, o: FuzzOptions): Promise<FuzzStats> {
  const { listen, port } = setup;
  const started = Date.now();
  const s: FuzzStats = {
    queriesSent: 0, queriesAnswered: 0, tcpConnections: 0, fuzzedReplies: 0, replyLoadSent: 0,
    canaryAsked: 0, canaryAnswered: 0, canaryMissedAt: [], sendSeconds: 0, seconds: 0,
  };
  const sources = await Promise.all(
    Array.from({ length: SOURCES }, async (_, i) => {
      const sock = dgram.createSocket('udp4');
      sock.on('message', () => s.queriesAnswered++);
      sock.on('error', () => {}); // a send the kernel refused (buffers full): counted as sent all the same
      await new Promise<void>((r) => sock.bind(0, `${o.base}.${10 + i}`, r));
      return sock;
    }),
  );
  const tcpOpen = new Set<net.Socket>();
  const abuseTcp = () => {
    s.tcpConnections++;
    const sock = net.connect({ host: listen, port, localAddress: `${o.base}.${10 + rng.int(SOURCES)}` });
    tcpOpen.add(sock);
    const stream = fuzzTcpStream(rng, 'f.example');
    const endGently = rng.int(2) === 0;
    sock.on('error', () => {});
    sock.on('close', () => tcpOpen.delete(sock));
    sock.on('data', () => {});
    sock.on('connect', () => {
      sock.write(stream);
      if (endGently) sock.end();
      setTimeout(() => sock.destroy(), 200 + rng.int(800)).unref();
    });
  };

  let fuzzing = true;
  const canaryRun = (async () => {
    const c = await udpAsker(`${o.base}.9`, port, listen);
    const interval = 1000 / o.canaryRate;
    for (let i = 0; fuzzing; i++) {
      const due = started + i * interval;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      s.canaryAsked++;
      void c.ask(`c${i}.canary.test`, o.canaryTimeoutMs).then((r) => {
        if (isCanaryAnswer(r)) s.canaryAnswered++;
        else s.canaryMissedAt.push(Date.now() - started);
      });
    }
    await new Promise((r) => setTimeout(r, o.canaryTimeoutMs + 100));
    c.close();
  })();

  // The reply load: valid queries to fuzz.test, a window of them in flight, until the fuzzing
  // server has sent `replies` replies.
  const replyLoad = (async () => {
    const c = await udpAsker(`${o.base}.8`, port, listen);
    const worker = async () => {
      while (setup.fuzzedReplies() < o.replies) {
        s.replyLoadSent++;
        await c.ask(`r${s.replyLoadSent}.fuzz.test`, 6_000);
      }
    };
    await Promise.all(Array.from({ length: o.replyWindow }, worker));
    c.close();
  })();

  const queryLoad = (async () => {
    while (s.queriesSent < o.queries) {
      const due = Math.min(o.queries, Math.floor(((Date.now() - started) / 1000) * o.rate) + 1);
      for (; s.queriesSent < due; s.queriesSent++) {
        sources[s.queriesSent % SOURCES]!.send(fuzzQuery(rng, 'f.example'), port, listen);
        if (o.tcpEvery > 0 && s.queriesSent % o.tcpEvery === 0) abuseTcp();
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    s.sendSeconds = (Date.now() - started) / 1000;
  })();

  const progress = o.progress && setInterval(() => o.progress!({ ...s, fuzzedReplies: setup.fuzzedReplies(), seconds: (Date.now() - started) / 1000 }), 5000);
  await Promise.all([queryLoad, replyLoad]);
  clearInterval(progress);
  fuzzing = false;
  await canaryRun;
  s.fuzzedReplies = setup.fuzzedReplies();
  for (const sock of tcpOpen) sock.destroy();
  for (const sock of sources) sock.close();
  s.seconds = (Date.now() - started) / 1000;
  return s;
}

/** Info-and-above lines by message, most first, and their bytes as JSON lines. */
export function infoLines(lines: readonly LogLine[]): { count: number; bytes: number; byMsg: [string, number][] } {
  const by = new Map<string, number>();
  let count = 0;
  let bytes = 0;
  for (const l of lines) {
    if ((l.level ?? 0) < INFO) continue;
    count++;
    bytes += JSON.stringify(l).length + 1;
    by.set(String(l.msg), (by.get(String(l.msg)) ?? 0) + 1);
  }
  return { count, bytes, byMsg: [...by].sort((a, b) => b[1] - a[1]) };
}

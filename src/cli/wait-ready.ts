// `dnsfwd wait-ready`: waits until a running dnsfwd answers, for a service manager without a
// readiness protocol (OpenRC's start_post). Given the options the daemon was given, it asks each
// address the daemon listens on now a name dnsfwd answers itself (a special-use zone no route
// takes, e.g. `localhost.`), over UDP and then over TCP, until both answer; any reply counts, even
// REFUSED: the daemon is answering. Exit 0 once all answer; 1 with one line at the deadline.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import dnsPacket from 'dns-packet';
import { type Endpoint, formatEndpoint } from '../address.js';
import { formatConfigError } from '../config/load.js';
import type { Config } from '../config/types.js';
import { readInterfaces } from '../host-interfaces.js';
import { builtInZones } from '../route/special.js';
import { hostAddressesOf, type HostAddress, watchedEndpoints } from '../server/host-addresses.js';
import { FrameReader, frame } from '../wire/framing.js';
import type { Flags } from './argv.js';
import { releaseEarlySignals } from './early-signals.js';
import { loadConfig } from './load-config.js';

export const DEFAULT_TIMEOUT_S = 10;
const MAX_TIMEOUT_S = 3600;
/** The longest one question waits for its answer before it is asked again. */
const ATTEMPT_MS = 1000;
/** The pause after a refused or failed try, before the next. */
const RETRY_MS = 100;

export type Transport = 'UDP' | 'TCP';

/** `--timeout SECONDS` in milliseconds, or why it is not a timeout. */
export function parseTimeout(value: unknown): { ok: true; ms: number } | { ok: false; reason: string } {
  if (value === undefined) return { ok: true, ms: DEFAULT_TIMEOUT_S * 1000 };
  const text = Array.isArray(value) ? undefined : String(value);
  const seconds = text !== undefined && /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(seconds > 0 && seconds <= MAX_TIMEOUT_S)) {
    const given = Array.isArray(value) ? 'given more than once' : `got "${text}"`;
    return { ok: false, reason: `expected seconds, a number above 0 and at most ${MAX_TIMEOUT_S}; ${given}` };
  }
  return { ok: true, ms: Math.round(seconds * 1000) };
}

/**
 * Where the daemon with `config` answers now: each listen address (a wildcard as the loopback
 * address of its family), and each watched entry's addresses that `addresses` (the host's) has.
 */
export function readyTargets(config: Pick<Config, 'listen' | 'listenWatched'>, addresses: readonly HostAddress[]): Endpoint[] {
  const out = new Map<string, Endpoint>();
  const add = (e: Endpoint) => out.set(formatEndpoint(e), e);
  for (const e of config.listen) {
    if (e.host === '0.0.0.0') add({ ...e, host: '127.0.0.1' });
    else if (e.host === '::') add({ ...e, host: '::1' });
    else add(e);
  }
  for (const w of watchedEndpoints(config.listenWatched, addresses)) add(w.endpoint);
  return [...out.values()];
}

/** The name asked: in the first special-use zone no configured route takes (localhost.), so dnsfwd answers it itself. */
export function readyQuestion(routes: Config['routes']): string {
  return `${builtInZones(routes)[0]?.zone ?? 'localhost'}.`;
}

/** Asks `name` of `to` once over `transport`; resolves on a reply with the query's ID, rejects with why not. */
export function askOnce(to: Endpoint, transport: Transport, name: string, timeoutMs: number): Promise<void> {
  const id = Math.floor(Math.random() * 0x10000);
  const query = dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name }] });
  return transport === 'UDP' ? askUdp(to, query, id, timeoutMs) : askTcp(to, query, id, timeoutMs);
}

const isReply = (m: Buffer, id: number) => m.length >= 12 && m.readUInt16BE(0) === id && (m[2]! & 0x80) !== 0;

function askUdp(to: Endpoint, query: Buffer, id: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(to.family === 6 ? 'udp6' : 'udp4');
    const done = (err?: Error) => {
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => done(new Error('no reply')), timeoutMs);
    socket.on('message', (m) => {
      if (isReply(m, id)) done();
    });
    socket.on('error', (err) => done(err));
    // Connected: an ICMP port unreachable comes back as ECONNREFUSED.
    socket.connect(to.port, to.host, () => socket.send(query));
  });
}

function askTcp(to: Endpoint, query: Buffer, id: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: to.host, port: to.port });
    const reader = new FrameReader();
    const done = (err?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => done(new Error('no reply')), timeoutMs);
    socket.on('connect', () => socket.write(frame(query)));
    socket.on('data', (chunk) => {
      if (reader.push(chunk).some((m) => isReply(m, id))) done();
    });
    socket.on('error', (err) => done(err));
    socket.on('end', () => done(new Error('connection closed without a reply')));
  });
}

/** Why a try failed, short: `ECONNREFUSED` or the message. */
const reasonOf = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

/**
 * Resolves once every target has answered over UDP and then TCP; rejects with one line naming the
 * address, transport and last failure when `timeoutMs` runs out first.
 */
export async function waitReady(targets: readonly Endpoint[], name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const to of targets) {
    for (const transport of ['UDP', 'TCP'] as const) {
      for (;;) {
        const left = deadline - Date.now();
        let reason: string;
        try {
          await askOnce(to, transport, name, Math.max(1, Math.min(ATTEMPT_MS, left)));
          break;
        } catch (err) {
          reason = reasonOf(err);
        }
        if (Date.now() + RETRY_MS >= deadline) {
          throw new Error(`no answer from ${formatEndpoint(to)} over ${transport} within ${timeoutMs / 1000} s (${reason})`);
        }
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }
}

/** The targets for `config` on this host now. */
export function targetsNow(config: Config): Endpoint[] {
  return readyTargets(config, config.listenWatched.length > 0 ? hostAddressesOf(readInterfaces()) : []);
}

/**
 * The command: exit 2 with one line on a bad config or --timeout, 1 with one line when the daemon
 * does not answer in time, 0 once it does (at once when it listens nowhere yet).
 */
export async function waitReadyCommand(flags: Flags & { readonly timeout?: unknown }): Promise<void> {
  releaseEarlySignals(); // a short-lived command: signals take their default action again
  const timeout = parseTimeout(flags.timeout);
  if (!timeout.ok) return fail(2, `--timeout: ${timeout.reason}`);
  const result = await loadConfig(flags);
  if (!result.ok) return fail(2, formatConfigError(result.error));
  try {
    await waitReady(targetsNow(result.config), readyQuestion(result.config.routes), timeout.ms);
  } catch (err) {
    return fail(1, `wait-ready: ${(err as Error).message}`);
  }
  process.exit(0);
}

function fail(code: number, line: string): never {
  process.stderr.write(`dnsfwd: ${line}\n`);
  process.exit(code);
}

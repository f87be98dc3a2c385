// Starts the single-file build (dist/dnsfwd.mjs) as a child process and follows its JSON log lines.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, BIN_ENV, requireBuild } from './tools.js';

export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

export class DaemonProcess {
  readonly logs: LogLine[] = [];
  stderr = '';
  private readonly waiters: { pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  readonly exited: Promise<number | null>;

  /** The --control-socket the helper gave a `run` (see DaemonOptions), if any. */
  controlSocket: string | null = null;

  constructor(readonly child: ChildProcess) {
    let partial = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const line of lines) this.onLine(line);
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  private onLine(line: string): void {
    if (!line.trim()) return;
    let parsed: LogLine;
    try {
      parsed = JSON.parse(line) as LogLine;
    } catch {
      parsed = { msg: line, level: -1 };
    }
    this.logs.push(parsed);
    for (const w of [...this.waiters]) {
      if (w.pred(parsed)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(parsed);
      }
    }
  }

  /** The first log line (already seen or yet to come) matching `pred`; rejects after `ms`. */
  waitForLog(pred: (l: LogLine) => boolean, ms = 10_000, since = 0): Promise<LogLine> {
    const seen = this.logs.slice(since).find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no matching log line within ${ms} ms; stderr: ${this.stderr}; logs:\n${this.logs.map((l) => JSON.stringify(l)).join('\n')}`));
      }, ms);
      this.waiters.push({ pred, resolve: (l) => (clearTimeout(timer), resolve(l)) });
    });
  }

  waitForMsg(msg: string, ms = 10_000, since = 0): Promise<LogLine> {
    return this.waitForLog((l) => l.msg === msg, ms, since);
  }

  /** Sends `signal` and resolves with the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
}

/** The environment without the test runner's loaders and hooks: the daemon runs as in production. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'NODE_OPTIONS' || /^_?TAP/i.test(k) || k.startsWith('_TAPJS')) continue;
    env[k] = v;
  }
  return env;
}

/**
 * How a daemon is started: spawn's options, and a command that runs it (`nsenter --net=...`: in a
 * test's network namespace). `controlSocket`: the --control-socket of a `run`; by default one of
 * its own in a temporary directory (never /run/dnsfwd), null for none (the config's).
 */
export interface DaemonOptions extends SpawnOptions {
  readonly prefix?: readonly string[];
  /** Environment words bin/dnsfwd runs with (default BIN_ENV: this test's node). */
  readonly binEnv?: readonly string[];
  readonly controlSocket?: string | null;
}

let socketDir: string | undefined;
let socketCount = 0;

/**
 * A control socket path no other daemon uses, in a directory where a daemon that dropped
 * privileges can still remove its socket (sticky, as /tmp).
 */
export function tempControlSocket(): string {
  if (socketDir === undefined) {
    socketDir = mkdtempSync(join(tmpdir(), 'dnsfwd-ctl-'));
    chmodSync(socketDir, 0o1777);
  }
  return join(socketDir, `c${process.pid}-${++socketCount}.sock`);
}

/** Spawns `dnsfwd ARGS` (no waiting). */
export function spawnDnsfwd(args: string[], { prefix = [], binEnv = BIN_ENV, controlSocket, ...opts }: DaemonOptions = {}): DaemonProcess {
  requireBuild();
  const socket = controlSocket === undefined ? tempControlSocket() : controlSocket;
  if (args[0] === 'run' && socket !== null && !args.includes('--control-socket')) args = [...args, '--control-socket', socket];
  // setpriv --pdeathsig: the daemon dies with the test process even if the test crashes (nsenter
  // and env exec, so the signal stays set); env -u: the test runner re-adds its loaders to
  // NODE_OPTIONS of every child it sees spawned. bin/dnsfwd ends by exec'ing node: the daemon is
  // this child process, with the Node settings of its config.
  const argv = ['--pdeathsig', 'KILL', ...prefix, 'env', '-u', 'NODE_OPTIONS', ...binEnv, BIN, ...args];
  const child = spawn('setpriv', argv, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: cleanEnv(),
    ...opts,
  });
  const d = new DaemonProcess(child);
  const at = args.indexOf('--control-socket');
  d.controlSocket = args[0] === 'run' && at >= 0 ? (args[at + 1] ?? null) : null;
  return d;
}

/** Spawns `dnsfwd run ARGS` and waits for its start-up line. */
export async function startDnsfwd(args: string[], opts: DaemonOptions = {}): Promise<DaemonProcess> {
  const d = spawnDnsfwd(['run', ...args], opts);
  const started = d.waitForMsg('dnsfwd started', 20_000);
  const exited = d.exited.then((code) => {
    throw new Error(`dnsfwd exited with ${code} before starting: ${d.stderr}`);
  });
  await Promise.race([started, exited]);
  return d;
}

/** Runs `dnsfwd ARGS` to completion. */
export async function runDnsfwd(args: string[], opts: DaemonOptions = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const d = spawnDnsfwd(args, opts);
  let stdout = '';
  d.child.stdout!.on('data', (c: string) => (stdout += c));
  const code = await d.exited;
  return { code, stdout, stderr: d.stderr };
}

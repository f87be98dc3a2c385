// The client side of the control socket: `dnsfwd status|explain|flush|reload` find the socket
// (--control-socket, else control_socket in the config the daemon reads), send one request, read
// one response, and print it. Every failure is one line that names the socket, and a non-zero exit.
import { readFileSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { parseDocument } from 'yaml';
import { defaultConfig, loadConfigFile } from '../config/load.js';
import { parseControlSocket } from '../config/values.js';
import { encodeRequest, parseRequest, parseResponse, type Request, type Response } from './protocol.js';

/** How long a command waits for its answer (a reload, or a live query, may take seconds). */
export const CLIENT_TIMEOUT_MS = 30_000;

/** Exit codes: the daemon cannot be reached or reports an error; a reload was rejected, bad usage. */
export const EXIT_FAILED = 1;
export const EXIT_REJECTED = 2;

/** A failure of a command: the one line it prints (without "dnsfwd: ") and its exit code. */
export class CommandFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILED,
  ) {
    super(message);
    this.name = 'CommandFailure';
  }
}

/** The flags that say where the socket is. */
export interface SocketFlags {
  readonly config?: unknown;
  readonly controlSocket?: string;
}

/**
 * The control socket the daemon started with these flags listens on: --control-socket, else
 * control_socket from the config file (read leniently: a file the daemon would reject still names
 * its socket, and one that cannot be read at all leaves the built-in default), else the default.
 */
export async function socketPath(flags: SocketFlags): Promise<string> {
  let path: string;
  let where: string;
  if (flags.controlSocket !== undefined) {
    const given = parseControlSocket(flags.controlSocket);
    if (!given.ok) throw new CommandFailure(`--control-socket: ${given.reason}`, EXIT_REJECTED);
    [path, where] = [given.value, '--control-socket'];
  } else if (typeof flags.config === 'string' && flags.config !== '') {
    [path, where] = [await configuredSocket(flags.config), flags.config];
  } else {
    [path, where] = [defaultConfig().controlSocket, 'the embedded default config'];
  }
  if (path === '') throw new CommandFailure(`no control socket: control_socket is "" in ${where} (--control-socket PATH to name one)`);
  return path;
}

async function configuredSocket(file: string): Promise<string> {
  const loaded = await loadConfigFile(file);
  if (loaded.ok) return loaded.config.controlSocket;
  let value: unknown;
  try {
    value = parseDocument(readFileSync(file, 'utf8')).get('control_socket');
  } catch {
    value = undefined; // unreadable: the default
  }
  const parsed = typeof value === 'string' ? parseControlSocket(value) : null;
  return parsed?.ok ? parsed.value : defaultConfig().controlSocket;
}

/** Sends `request` to the daemon on `path` and resolves with its response; rejects with a CommandFailure. */
export function ask(path: string, request: Request, timeoutMs = CLIENT_TIMEOUT_MS): Promise<Response> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let received = '';
    let settled = false;
    const finish = (outcome: Response | CommandFailure) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (outcome instanceof CommandFailure) reject(outcome);
      else resolve(outcome);
    };
    const timer = setTimeout(() => finish(new CommandFailure(`no answer on ${path} within ${timeoutMs / 1000} s`)), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(encodeRequest(request)));
    socket.on('data', (chunk: string) => {
      received += chunk;
      const newline = received.indexOf('\n');
      if (newline < 0) return;
      const response = parseResponse(received.slice(0, newline));
      finish(response ?? new CommandFailure(`${path}: the answer is not a dnsfwd response`));
    });
    socket.on('error', (err: NodeJS.ErrnoException) => finish(new CommandFailure(connectFailure(path, err))));
    socket.on('close', () => finish(new CommandFailure(`${path} closed the connection without an answer`)));
  });
}

/** The line for a connection to `path` that failed with `err`. */
export function connectFailure(path: string, err: NodeJS.ErrnoException, groupName: (path: string) => string = socketGroup): string {
  const code = err.code ?? 'error';
  if (code === 'ENOENT' || code === 'ECONNREFUSED') {
    return `no daemon answers on ${path} (${code}): is dnsfwd running? (--control-socket PATH to use another)`;
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return `permission denied on ${path} (${code}): run as root or as a member of ${groupName(path)}`;
  }
  return `cannot connect to ${path}: ${err.message}`;
}

/** "group NAME" of the socket file, or what can be said without reading it. */
function socketGroup(path: string, groupFile = '/etc/group'): string {
  let gid: number;
  try {
    gid = statSync(path).gid;
  } catch {
    return 'the socket\'s group (dnsfwd when installed as a service)';
  }
  try {
    for (const line of readFileSync(groupFile, 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (name && id === String(gid)) return `group ${name}`;
    }
  } catch {
    // no group file: the number says it
  }
  return `group ${gid}`;
}

/**
 * Runs one command: finds the socket, asks, and gives the result to `print` (which returns the
 * text for stdout). A failure, or an error the daemon reports, is one line on stderr and the exit
 * code: `rejected` for a daemon error (a reload's bad config), EXIT_FAILED for the rest.
 */
export async function runCommand(flags: SocketFlags, request: Request, print: (result: unknown) => string, rejected = EXIT_FAILED): Promise<void> {
  try {
    const checked = parseRequest(JSON.stringify(request)); // bad usage, before any connection
    if (!checked.ok) throw new CommandFailure(checked.error, EXIT_REJECTED);
    const path = await socketPath(flags);
    const response = await ask(path, checked.request);
    if (!response.ok) throw new CommandFailure(response.error, rejected);
    process.stdout.write(print(response.result) + '\n');
  } catch (err) {
    if (!(err instanceof CommandFailure)) throw err;
    process.stderr.write(`dnsfwd: ${err.message}\n`);
    process.exitCode = err.exitCode;
  }
}

// The control socket: a Unix socket (control_socket) the `dnsfwd status|explain|flush|reload`
// commands connect to, one JSON request and one JSON response per line (protocol.ts). Only its
// owner and group can use it (mode 0660, whatever the umask); a socket file left by a daemon that
// died is replaced, one another daemon answers on is an error. Closed and removed at shutdown.
import { chmodSync, chownSync, lstatSync, mkdirSync, statSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { DnsfwdError } from '../errors.js';
import type { Logger } from '../log.js';
import { answer, encodeResponse, IDLE_TIMEOUT_MS, MAX_LINE_BYTES, parseRequest, type ControlTarget, type Response } from './protocol.js';

/** Who the socket (and a directory made for it) belongs to: the user dnsfwd becomes, and its group. */
export interface SocketOwner {
  readonly uid: number;
  readonly gid: number;
}

const SOCKET_MODE = 0o660;
const DIRECTORY_MODE = 0o750;

export class ControlServer {
  private readonly connections = new Set<Socket>();
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly server: Server,
    private readonly ino: number,
    private readonly log: Logger,
    private readonly idleMs: number,
  ) {}

  /**
   * Listens on `path` for requests to `target`. Throws a DnsfwdError an operator can act on when
   * its directory cannot be made, another daemon answers there, or the socket cannot be made.
   * A connection idle for `idleMs` (no request under way) is closed.
   */
  static async open(path: string, target: ControlTarget, log: Logger, owner: SocketOwner | null, idleMs = IDLE_TIMEOUT_MS): Promise<ControlServer> {
    makeDirectory(path, owner);
    await removeStale(path);
    let control: ControlServer | null = null;
    const server = createServer((socket) => control?.serve(socket, target));
    await listen(server, path);
    try {
      if (owner) chownSync(path, owner.uid, owner.gid);
      chmodSync(path, SOCKET_MODE);
    } catch (err) {
      server.close();
      unlinkSync(path);
      throw new DnsfwdError('CONTROL_SOCKET', `control socket ${path}: cannot set its owner and mode: ${reason(err)}`);
    }
    control = new ControlServer(path, server, statSync(path).ino, log, idleMs);
    log.info({ path }, 'control socket ready');
    return control;
  }

  /** Stops accepting, ends open connections, removes the socket file (libuv does, if it can). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.server.close();
    for (const c of this.connections) c.destroy();
    try {
      if (lstatSync(this.path).ino === this.ino) unlinkSync(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      this.log.warn({ path: this.path, error: reason(err) }, 'control socket file could not be removed');
    }
  }

  /** Reads request lines from `socket` one after the other; each answered on its own line. */
  private serve(socket: Socket, target: ControlTarget): void {
    if (this.closed) return void socket.destroy();
    this.connections.add(socket);
    socket.on('close', () => this.connections.delete(socket));
    socket.on('error', () => socket.destroy()); // the client went away: nothing to tell anyone
    socket.setTimeout(this.idleMs, () => socket.destroy());
    let buffered = '';
    let busy = Promise.resolve();
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        busy = busy.then(() => this.handle(socket, line, target));
      }
      if (Buffer.byteLength(buffered) > MAX_LINE_BYTES) {
        socket.removeAllListeners('data');
        const error = `request longer than ${MAX_LINE_BYTES} bytes`;
        void busy.then(() => socket.end(encodeResponse({ ok: false, error })));
      }
    });
    socket.on('end', () => void busy.then(() => socket.end()));
  }

  private async handle(socket: Socket, line: string, target: ControlTarget): Promise<void> {
    if (socket.destroyed) return;
    const parsed = parseRequest(line.replace(/\r$/, ''));
    let response: Response;
    if (!parsed.ok) {
      this.log.debug({ error: parsed.error }, 'control request refused');
      response = parsed;
    } else {
      socket.setTimeout(0); // answering may take a while (a reload, a live query): not idle
      this.log.debug({ command: parsed.request.command }, 'control request');
      response = await answer(target, parsed.request);
      socket.setTimeout(this.idleMs);
    }
    if (!socket.destroyed) socket.write(encodeResponse(response));
  }
}

/** Makes the socket's directory (mode 0750, the owner's) when it is missing and its parent exists. */
function makeDirectory(path: string, owner: SocketOwner | null): void {
  const dir = dirname(path);
  let isDirectory: boolean | null = null;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw asError(path, `cannot use directory ${dir}`, err);
  }
  if (isDirectory === false) throw new DnsfwdError('CONTROL_SOCKET', `control socket ${path}: ${dir} is not a directory`);
  if (isDirectory) return;
  try {
    mkdirSync(dir, { mode: DIRECTORY_MODE });
    chmodSync(dir, DIRECTORY_MODE); // the umask may have taken bits away
    if (owner) chownSync(dir, owner.uid, owner.gid);
  } catch (err) {
    throw asError(path, `cannot create directory ${dir}`, err);
  }
}

/**
 * Removes a socket file nothing answers on (a daemon that crashed left it); throws when another
 * daemon answers there, or when `path` is something other than a socket.
 */
async function removeStale(path: string): Promise<void> {
  try {
    if (!lstatSync(path).isSocket()) throw new DnsfwdError('CONTROL_SOCKET', `control socket ${path}: exists and is not a socket: not replaced`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err instanceof DnsfwdError ? err : asError(path, 'cannot use it', err);
  }
  const answered = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(null);
    });
    probe.once('error', (err) => resolve(err));
  });
  if (answered === null) {
    throw new DnsfwdError('CONTROL_SOCKET', `another dnsfwd is listening on ${path}: stop it, or give this one another control_socket (--control-socket PATH)`);
  }
  if (answered.code !== 'ECONNREFUSED') throw asError(path, 'cannot check whether another dnsfwd listens on it', answered);
  try {
    unlinkSync(path);
  } catch (err) {
    throw asError(path, 'cannot remove the socket file a stopped dnsfwd left', err);
  }
}

/** Listens on `path` with a umask that leaves the socket to its owner until its mode is set. */
function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(asError(path, 'cannot listen', err));
    server.once('error', onError);
    const umask = process.umask(0o177);
    try {
      server.listen(path, () => {
        server.off('error', onError);
        resolve();
      });
    } finally {
      process.umask(umask);
    }
  });
}

function asError(path: string, what: string, err: unknown): DnsfwdError {
  return new DnsfwdError('CONTROL_SOCKET', `control socket ${path}: ${what}: ${reason(err)}`);
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const text: Record<string, string> = { EACCES: 'permission denied', EPERM: 'operation not permitted', ENOENT: 'no such file or directory', EADDRINUSE: 'address in use' };
  return e.code ? `${text[e.code] ?? e.message} (${e.code})` : String(e.message ?? err);
}

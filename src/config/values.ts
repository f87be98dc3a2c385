// Values of the top-level settings shared by the config file and the command line (the user to
// run as, the control socket, the log file), and freezing a finished config.
import type { ParseResult } from '../address.js';

/** A user to run as: a name as /etc/passwd spells them, or a numeric uid; '' for none. */
export function parseUser(text: string): ParseResult<string> {
  if (text === '' || /^[a-z_][a-z0-9_.-]*\$?$/i.test(text) || /^\d+$/.test(text)) return { ok: true, value: text };
  return { ok: false, reason: `"${text}": not a user name or numeric uid` };
}

/** Longest path of a Unix socket (sockaddr_un's sun_path less its NUL). */
const MAX_SOCKET_PATH = 107;

/** The control socket's path: absolute, short enough for a Unix socket; '' for none. */
export function parseControlSocket(text: string): ParseResult<string> {
  if (text === '') return { ok: true, value: text };
  if (!text.startsWith('/')) return { ok: false, reason: `"${text}": must be an absolute path (or "" for no control socket)` };
  if (text.endsWith('/')) return { ok: false, reason: `"${text}": names a directory, not a socket file` };
  if (text.includes('\0')) return { ok: false, reason: 'must not contain a NUL character' };
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_SOCKET_PATH) return { ok: false, reason: `"${text}": ${bytes} bytes, longer than a Unix socket path can be (${MAX_SOCKET_PATH})` };
  return { ok: true, value: text };
}

/** The log file: an absolute path to a file, or '' for stdout. */
export function parseLogFile(text: string): ParseResult<string> {
  if (text === '') return { ok: true, value: text };
  if (!text.startsWith('/')) return { ok: false, reason: `"${text}": not an absolute path` };
  if (text.endsWith('/') || text.includes('\0')) return { ok: false, reason: `"${text}": not a file name` };
  return { ok: true, value: text };
}

/** Freezes `value` and everything reachable from it. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

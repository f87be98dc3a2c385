// Values of the top-level settings shared by the config file and the command line, and freezing
// a finished config.
import type { ParseResult } from '../address.js';

/** A user to run as: a name as /etc/passwd spells them, or a numeric uid; '' for none. */
export function parseUser(text: string): ParseResult<string> {
  if (text === '' || /^[a-z_][a-z0-9_.-]*\$?$/i.test(text) || /^\d+$/.test(text)) return { ok: true, value: text };
  return { ok: false, reason: `"${text}": not a user name or numeric uid` };
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

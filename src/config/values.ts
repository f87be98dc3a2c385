// Value parsers shared by the config file and the command line: zone names and source paths.
import type { ParseResult } from '../address.js';

/** A zone as routes hold it: lower case, no trailing dot, labels of [a-z0-9_-] (RFC 1035 §2.3.4 lengths). */
export function parseZone(text: string): ParseResult<string> {
  let zone = text.trim().toLowerCase();
  if (zone.endsWith('.')) zone = zone.slice(0, -1);
  const fail = (why: string): ParseResult<string> => ({ ok: false, reason: `"${text}": ${why}` });
  if (zone === '') return fail('the root zone is not a route: configure it under "default:"');
  if (zone.length > 253) return fail('a zone name has at most 253 characters');
  for (const label of zone.split('.')) {
    if (label === '') return fail('empty label (two dots in a row?)');
    if (label.length > 63) return fail(`label "${label}" is longer than 63 characters`);
    if (!/^[a-z0-9_-]+$/.test(label)) return fail(`label "${label}" may contain only letters, digits, "_" and "-"`);
  }
  return { ok: true, value: zone };
}

/**
 * A source path: absolute, naming a file (no `.` or `..` components), with `*` wildcards allowed
 * only in the last component; or a directory written with a trailing `/`, which stands for the
 * files `inDirectory` names in it. Repeated slashes are folded.
 */
export function parseSourcePath(raw: string, inDirectory = '*'): ParseResult<string> {
  if (!raw.startsWith('/')) return { ok: false, reason: `"${raw}": must be an absolute path` };
  if (raw === '/') return { ok: false, reason: `"${raw}": the root directory is not a source` };
  const text = (raw.endsWith('/') ? raw + inDirectory : raw).replace(/\/{2,}/g, '/');
  if (text.split('/').some((part) => part === '.' || part === '..')) {
    return { ok: false, reason: `"${raw}": "." and ".." are not allowed in a source path; write it out in full` };
  }
  if (text.slice(0, text.lastIndexOf('/')).includes('*')) {
    return { ok: false, reason: `"${text}": "*" is allowed only in the file name, not in directories` };
  }
  return { ok: true, value: text };
}

/** A user to run as: a name as /etc/passwd spells them, or a numeric uid; '' for none. */
export function parseUser(text: string): ParseResult<string> {
  if (text === '' || /^[a-z_][a-z0-9_.-]*\$?$/i.test(text) || /^\d+$/.test(text)) return { ok: true, value: text };
  return { ok: false, reason: `"${text}": not a user name or numeric uid` };
}

/** Freezes `value` and everything reachable from it. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

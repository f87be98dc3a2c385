// Started as root without a service manager, dnsfwd binds its sockets and then becomes `user:`
// (the groups of that user, then its gid, then its uid: nothing of root is kept). Running on as
// root is allowed, with one warning.
import { accessSync, constants, readFileSync } from 'node:fs';
import { DnsfwdError } from '../errors.js';
import type { Logger } from '../log.js';

interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** The /etc/passwd entry of `user` (a name or a numeric uid), or undefined. */
function findUser(user: string, passwd: string): PasswdEntry | undefined {
  for (const line of passwd.split('\n')) {
    const [name = '', , uid = '', gid = ''] = line.split(':');
    if (!/^\d+$/.test(uid) || !/^\d+$/.test(gid)) continue; // also a line too short to have them
    if (name === user || uid === user) return { name, uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

/** The entry of `user` in `passwdFile`, or why there is none. */
function lookupUser(user: string, passwdFile: string): PasswdEntry | string {
  let passwd: string;
  try {
    passwd = readFileSync(passwdFile, 'utf8');
  } catch (err) {
    return `cannot read ${passwdFile} to find user "${user}": ${(err as Error).message}`;
  }
  return findUser(user, passwd) ?? `user "${user}" does not exist (${passwdFile})`;
}

/** Why `run` could not become `user` (a name or a numeric uid), or null when it is in `passwdFile`. */
export function unknownUser(user: string, passwdFile = '/etc/passwd'): string | null {
  const entry = lookupUser(user, passwdFile);
  return typeof entry === 'string' ? entry : null;
}

/**
 * Who the control socket should belong to: `user` (and its group) when running as root and about
 * to become it; null otherwise (it belongs to whoever runs dnsfwd). Throws a DnsfwdError when the
 * user does not exist.
 */
export function socketOwner(user: string, passwdFile = '/etc/passwd'): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0 || user === '') return null;
  const entry = lookupUser(user, passwdFile);
  if (typeof entry === 'string') throw new DnsfwdError('USER_UNKNOWN', entry);
  return { uid: entry.uid, gid: entry.gid };
}

/**
 * Becomes `user` when running as root; warns when running as root without one, or when not running
 * as root as someone other than `user`. Throws a
 * DnsfwdError an operator can act on when the user does not exist or the switch fails.
 */
export function dropPrivileges(user: string, log: Logger, passwdFile = '/etc/passwd'): void {
  const uid = process.getuid?.();
  if (uid === undefined) return; // not a POSIX platform
  if (uid !== 0) {
    if (user === '' || user === String(uid)) return;
    const entry = lookupUser(user, passwdFile);
    const already = typeof entry === 'string' ? false : entry.uid === uid; // systemd's User=, say
    if (already) return;
    log.warn({ user, uid }, 'not running as root: cannot become the configured user; running as this uid');
    return;
  }
  if (user === '') {
    log.warn('running as root: set "user:" in the config (or --user) to drop privileges after binding');
    return;
  }
  const entry = lookupUser(user, passwdFile);
  if (typeof entry === 'string') throw new DnsfwdError('USER_UNKNOWN', entry);
  // In Node on POSIX (absent from this @types/node): the user's supplementary groups.
  const posix = process as NodeJS.Process & { initgroups?: (user: string, extraGroup: number) => void };
  try {
    posix.initgroups?.(entry.name, entry.gid);
    process.setgid?.(entry.gid);
    process.setuid?.(entry.uid);
  } catch (err) {
    throw new DnsfwdError('USER_SWITCH', `cannot become user "${user}": ${(err as Error).message}`);
  }
  log.info({ user: entry.name, uid: entry.uid, gid: entry.gid }, 'sockets bound: now running as an unprivileged user');
}

/**
 * Once privileges are dropped: a config file this process cannot read would make the next reload
 * fail, long after the start that could have said so. Said now, once.
 */
export function checkConfigReadable(file: string | undefined, log: Logger): void {
  if (file === undefined) return; // the embedded default
  try {
    accessSync(file, constants.R_OK);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    log.warn({ file, reason, uid: process.getuid?.() }, 'the config file cannot be read as the user dnsfwd runs as: a reload (SIGHUP) would fail');
  }
}

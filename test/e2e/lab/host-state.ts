// What the end-to-end tests must leave as they found it on the machine: its resolv.conf (content,
// and whether it is a symbolic link and to what), the DHCP clients' state, dnsfwd's and the
// clients' configuration, networkd's lease directory and the hostname.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { hostname } from 'node:os';
import type { Test } from 'tap';
import { Lab } from './lab.js';

export const WATCHED = [
  '/etc/resolv.conf',
  '/var/lib/dhcp',
  '/var/lib/dhclient',
  '/var/lib/dhcpcd',
  '/etc/dnsfwd',
  '/run/systemd/netif',
  '/etc/dhcp',
  '/etc/dhcpcd.conf',
  '/etc/udhcpc',
] as const;

export type HostState = Record<string, string>;

/** path → what it is: "absent", "dir 755", "file 644 <sha256>", "symlink -> target (…)". */
export function snapshotHostState(): HostState {
  const state: HostState = { hostname: hostname() };
  for (const path of WATCHED) describe(path, state, 0);
  return state;
}

/** The machine as in `before`, and the lab's namespaces (`names`: host, guest) gone. */
export function checkUntouched(t: Test, before: HostState, names: readonly string[]): void {
  t.same(snapshotHostState(), before, 'resolv.conf, DHCP client state, /etc/dnsfwd, /run/systemd/netif, hostname');
  t.same(Lab.listed(names), [], 'the namespaces are gone');
  t.notOk(names.some((n) => existsSync(`/etc/netns/${n}`)), 'and their /etc/netns directories');
}

function describe(path: string, state: HostState, depth: number): void {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch {
    state[path] = 'absent';
    return;
  }
  const mode = (st.mode & 0o7777).toString(8);
  if (st.isSymbolicLink()) {
    state[path] = `symlink -> ${readlinkSync(path)} (${target(path)})`;
  } else if (st.isDirectory()) {
    state[path] = `dir ${mode} ${st.uid}:${st.gid}`;
    if (depth < 4) for (const name of readdirSync(path).sort()) describe(`${path}/${name}`, state, depth + 1);
  } else if (st.isFile()) {
    state[path] = `file ${mode} ${st.uid}:${st.gid} ${hash(path)}`;
  } else {
    state[path] = `other ${mode}`;
  }
}

function target(path: string): string {
  try {
    return statSync(path).isFile() ? `file ${hash(path)}` : 'not a file';
  } catch {
    return 'dangling';
  }
}

function hash(path: string): string {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch (err) {
    return `unreadable: ${(err as NodeJS.ErrnoException).code}`;
  }
}

// Reads systemd/dnsfwd.service for the tests: its directives, the security score its header
// records, and the system calls its SystemCallFilter= lines allow (expanded by systemd-analyze).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './tools.js';

export const UNIT = join(ROOT, 'systemd/dnsfwd.service');

/** Every value of directive `key`, in order. */
export function directive(key: string): string[] {
  const re = new RegExp(`^${key}=(.*)$`, 'gm');
  return [...readFileSync(UNIT, 'utf8').matchAll(re)].map((m) => m[1]!);
}

/** The exposure the unit's header comment records, e.g. 1.5 from "scores it 1.5 OK". */
export function recordedScore(): number {
  const m = /systemd-analyze security` scores it (\d+\.\d) [A-Z]+/.exec(readFileSync(UNIT, 'utf8'));
  if (!m) throw new Error(`${UNIT}: no "systemd-analyze security\` scores it N.N LEVEL" in its header`);
  return Number(m[1]);
}

const groups = new Map<string, Set<string>>();

/** The system calls of a @group (nested groups expanded) or a single call. */
export function syscalls(name: string): Set<string> {
  if (!name.startsWith('@')) return new Set([name]);
  const known = groups.get(name);
  if (known) return known;
  const out = execFileSync('systemd-analyze', ['syscall-filter', name], { encoding: 'utf8' });
  const set = new Set<string>();
  for (const line of out.split('\n').slice(1)) {
    const item = line.trim();
    if (item && !item.startsWith('#')) for (const call of syscalls(item)) set.add(call);
  }
  groups.set(name, set);
  return set;
}

/** What the SystemCallFilter= lines allow: allow-lists joined, then ~deny-lists removed. */
export function allowedSyscalls(): Set<string> {
  const allowed = new Set<string>();
  const denied = new Set<string>();
  for (const value of directive('SystemCallFilter')) {
    const deny = value.startsWith('~');
    for (const item of value.replace(/^~/, '').split(/\s+/).filter(Boolean)) {
      for (const call of syscalls(item)) (deny ? denied : allowed).add(call);
    }
  }
  for (const call of denied) allowed.delete(call);
  return allowed;
}

// What `dnsfwd status` and `dnsfwd explain` share, in their data and in how a person reads it:
// a server's report (state, RTT, counts), a route's origin in words, aligned columns, times as a
// clock time with how long ago or ahead, sizes and durations in short units.
import type { RouteOrigin } from '../route/build.js';
import type { SourceView } from '../sources/source.js';
import type { ServerView } from '../upstream/group.js';
import { FAILURE_KINDS, type FailureKind } from '../upstream/server-stats.js';

/** One server of a route, as reported. */
export interface ServerReport {
  readonly server: string;
  readonly state: 'up' | 'down' | 'looping';
  /** While down: when its down time ends (ISO 8601). */
  readonly downUntil: string | null;
  /** Smoothed time to a reply, ms (one decimal); null before the first. */
  readonly srttMs: number | null;
  readonly requests: number;
  readonly answers: number;
  readonly failures: Readonly<Record<FailureKind, number>>;
}

/** Why a route is there, as reported: RouteOrigin, with the source of a link's lease and of the default route's servers named. */
export type OriginReport =
  | { readonly kind: 'config' }
  | { readonly kind: 'link'; readonly link: string; readonly file: string | null; readonly source: string | null }
  | { readonly kind: 'default'; readonly from: 'sources'; readonly sources: readonly string[] }
  | { readonly kind: 'default'; readonly from: 'upstream' | 'none' }
  | { readonly kind: 'special'; readonly answers: string };

export function serverReport(v: ServerView): ServerReport {
  return {
    server: v.label,
    state: v.state,
    downUntil: v.downUntil === undefined ? null : new Date(v.downUntil).toISOString(),
    srttMs: v.stats.srttMs === null ? null : Math.round(v.stats.srttMs * 10) / 10,
    requests: v.stats.requests,
    answers: v.stats.answers,
    failures: { ...v.stats.failures },
  };
}

/** `origin` with the sources behind it named: the source that read a link's lease file, those giving the default route's servers. */
export function originReport(origin: RouteOrigin | undefined, sources: readonly SourceView[]): OriginReport {
  if (origin === undefined) return { kind: 'config' };
  if (origin.kind === 'link') {
    const source = sources.find((s) => s.leases.some((l) => l.link === origin.link && l.file === origin.file));
    return { kind: 'link', link: origin.link, file: origin.file ?? null, source: source?.name ?? null };
  }
  if (origin.kind === 'default') {
    if (origin.from !== 'sources') return { kind: 'default', from: origin.from };
    return { kind: 'default', from: 'sources', sources: sources.filter((s) => s.servers.length > 0).map((s) => s.name) };
  }
  return origin;
}

/** The origin in words, e.g. `config (routes)`, `link domain, lease /var/lib/dhcp/dhclient.eth0.leases`. */
export function originText(o: OriginReport): string {
  switch (o.kind) {
    case 'config':
      return 'config (routes)';
    case 'link':
      return `link domain, lease ${o.file ?? o.link}${o.file ? ` (${o.link.slice(o.link.indexOf('/') + 1)})` : ''}`;
    case 'special':
      return `built-in special-use zone: ${o.answers}`;
    case 'default':
      if (o.from === 'sources') return `default route, servers from ${o.sources.join(', ') || 'the sources'}`;
      return o.from === 'upstream' ? 'default route, static upstream servers (no source gives any)' : 'default route, no servers (no source gives any, no upstream)';
  }
}

/** The zone as written in reports: '.' for the root. */
export const zoneText = (zone: string): string => zone || '.';

/** A server's state in words: `up`, `down until 19:42:07 (in 12 s)`, `looping (not asked)`. */
export function stateText(s: ServerReport, now: number): string {
  if (s.state === 'down') return s.downUntil ? `down until ${when(s.downUntil, now)}` : 'down';
  return s.state === 'looping' ? 'looping (not asked)' : 'up';
}

/** Failures by kind, those that happened: `timeout 3, servfail 1`, or `-`. */
export function failuresText(f: Readonly<Record<FailureKind, number>>): string {
  const parts = FAILURE_KINDS.filter((k) => (f[k] ?? 0) > 0).map((k) => `${k} ${f[k]}`);
  return parts.length > 0 ? parts.join(', ') : '-';
}

/** The table of a route's servers, in the order they are tried. */
export function serverRows(servers: readonly ServerReport[], now: number, indent = ''): string[] {
  const head = ['SERVER', 'STATE', 'RTT', 'QUERIES', 'ANSWERS', 'FAILURES'];
  const rows = servers.map((s) => [s.server, stateText(s, now), s.srttMs === null ? '-' : `${s.srttMs} ms`, String(s.requests), String(s.answers), failuresText(s.failures)]);
  return table([head, ...rows]).map((l) => indent + l);
}

/** Rows as columns aligned on the widest cell, two spaces apart, without trailing spaces. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

/** An ISO time as the clock shows it (UTC when it is not today's), with how far from `now`: `19:42:07 (in 12 s)`. */
export function when(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  const d = new Date(t);
  const sameDay = Math.abs(t - now) < 12 * 3600_000;
  const clock = sameDay ? d.toTimeString().slice(0, 8) : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const delta = t - now;
  return `${clock} (${delta >= 0 ? `in ${duration(delta)}` : `${duration(-delta)} ago`})`;
}

/** A duration in the largest fitting units: `12 s`, `4 min 2 s`, `3 h 5 min`, `2 d 1 h`. */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  if (s < 86400) return `${Math.floor(s / 3600)} h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)} min` : ''}`;
  return `${Math.floor(s / 86400)} d${Math.floor((s % 86400) / 3600) ? ` ${Math.floor((s % 86400) / 3600)} h` : ''}`;
}

/** Bytes in B, KiB or MiB, one decimal. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

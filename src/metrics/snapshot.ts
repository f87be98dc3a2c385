// One reading of everything the metrics endpoint shows, as plain JSON-safe data: the daemon makes
// one on each scrape (Daemon.metrics), and in a cluster each worker sends its own to the primary,
// which sums them (sumSnapshots). The process figures are read here.
import { readdirSync } from 'node:fs';
import type { CacheStats } from '../cache/setup.js';
import type { ClientStats } from '../server/admission.js';
import { FAILURE_KINDS, type FailureKind } from '../upstream/server-stats.js';
import type { RequestSnapshot } from './requests.js';

/** One (route, server) pair's exchanges since the pair was first used. */
export interface ForwardSnapshot {
  /** The route's zone, '.' for the default route. */
  readonly route: string;
  readonly server: string;
  /** Tried in its place (not down, not looping back to dnsfwd). */
  readonly up: boolean;
  readonly requests: number;
  readonly answers: number;
  readonly failures: Readonly<Record<FailureKind, number>>;
  /** Replies per RTT_BUCKETS_S bucket, not cumulative; the last slot for those over the last bound. */
  readonly rttCounts: readonly number[];
  readonly rttSumS: number;
}

/** The servers one source of the default route gives now. */
export interface SourceSnapshot {
  readonly source: string;
  readonly servers: number;
}

export interface ProcessSnapshot {
  readonly residentBytes: number;
  /** V8's heap, allocated. */
  readonly heapBytes: number;
  /** User and system CPU time. */
  readonly cpuSeconds: number;
  /** Since the Unix epoch. */
  readonly startTimeSeconds: number;
  /** Open file descriptors; null when /proc/self/fd cannot be read. */
  readonly openFds: number | null;
}

export interface MetricsSnapshot {
  readonly requests: RequestSnapshot;
  readonly cache: CacheStats;
  readonly coalesced: number;
  readonly clients: ClientStats;
  readonly forward: readonly ForwardSnapshot[];
  readonly sources: readonly SourceSnapshot[];
  readonly process: ProcessSnapshot;
}

/** This process's memory, CPU time, start time and open descriptors now. */
export function processSnapshot(): ProcessSnapshot {
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    residentBytes: memory.rss,
    heapBytes: memory.heapTotal,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    startTimeSeconds: performance.timeOrigin / 1000,
    openFds: openFds(),
  };
}

/** Entries of /proc/self/fd, less the one readdir itself opens; null without procfs. */
function openFds(): number | null {
  try {
    return readdirSync('/proc/self/fd').length - 1;
  } catch {
    return null;
  }
}

/**
 * Several processes' snapshots as one (a cluster's workers): counters and gauges summed, a pair
 * up only while every worker tries it, the sources as the first worker reads them (all read the
 * same files), the process figures summed over `processes` with the earliest start time.
 */
export function sumSnapshots(parts: readonly MetricsSnapshot[], processes: readonly ProcessSnapshot[]): MetricsSnapshot {
  const first = parts[0];
  if (!first) throw new Error('bug: no snapshot to sum');
  return {
    requests: {
      requests: sumArrays(parts.map((p) => p.requests.requests)),
      responses: sumArrays(parts.map((p) => p.requests.responses)),
      durationCounts: sumArrays(parts.map((p) => p.requests.durationCounts)),
      durationSumS: sum(parts.map((p) => p.requests.durationSumS)),
    },
    cache: sumFields(parts.map((p) => p.cache)),
    coalesced: sum(parts.map((p) => p.coalesced)),
    clients: sumFields(parts.map((p) => p.clients)),
    forward: sumForward(parts.flatMap((p) => p.forward)),
    sources: first.sources,
    process: sumProcesses(processes),
  };
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function sumArrays(arrays: readonly (readonly number[])[]): number[] {
  const out = Array.from(arrays[0] ?? [], () => 0);
  for (const a of arrays) a.forEach((v, i) => (out[i]! += v));
  return out;
}

function sumFields<T extends object>(records: readonly T[]): T {
  const out: Record<string, number> = {};
  for (const r of records) for (const [k, v] of Object.entries(r)) out[k] = (out[k] ?? 0) + (v as number);
  return out as T;
}

/** The pairs of every worker, each (route, server) once, in the order first seen. */
function sumForward(all: readonly ForwardSnapshot[]): ForwardSnapshot[] {
  const byPair = new Map<string, ForwardSnapshot>();
  for (const f of all) {
    const key = `${f.route} ${f.server}`;
    const seen = byPair.get(key);
    byPair.set(key, seen ? addForward(seen, f) : f);
  }
  return [...byPair.values()];
}

function addForward(a: ForwardSnapshot, b: ForwardSnapshot): ForwardSnapshot {
  const failures = Object.fromEntries(FAILURE_KINDS.map((k) => [k, a.failures[k] + b.failures[k]])) as Record<FailureKind, number>;
  return {
    route: a.route,
    server: a.server,
    up: a.up && b.up,
    requests: a.requests + b.requests,
    answers: a.answers + b.answers,
    failures,
    rttCounts: sumArrays([a.rttCounts, b.rttCounts]),
    rttSumS: a.rttSumS + b.rttSumS,
  };
}

function sumProcesses(ps: readonly ProcessSnapshot[]): ProcessSnapshot {
  const fds = ps.map((p) => p.openFds);
  return {
    residentBytes: sum(ps.map((p) => p.residentBytes)),
    heapBytes: sum(ps.map((p) => p.heapBytes)),
    cpuSeconds: sum(ps.map((p) => p.cpuSeconds)),
    startTimeSeconds: Math.min(...ps.map((p) => p.startTimeSeconds)),
    openFds: fds.includes(null) ? null : sum(fds as number[]),
  };
}

// The `upstream:` section of the config file: how long to wait for a server, for a whole query,
// how long a failed server stays at the back, and the EDNS size offered upstream.
import { type Check, type Checker, type Field, numbers } from '../checker.js';

export interface UpstreamConfig {
  /** Per-attempt timeout before trying the next server. */
  readonly timeoutMs: number;
  /** Whole-query deadline: after it the client gets SERVFAIL. */
  readonly deadlineMs: number;
  /** How long a failed server stays at the back of the order. */
  readonly downMs: number;
  /** EDNS UDP payload size advertised to upstreams (RFC 6891; 1232 per DNS flag day 2020). */
  readonly ednsSize: number;
  /** How often each route's servers are probed for a forwarding loop (loop-guard.ts); also when a route gets a server. */
  readonly loopProbeIntervalMs: number;
}

/** The section's defaults, spelled as the YAML file spells them. */
export const UPSTREAM_DEFAULTS = { timeout_ms: 1500, deadline_ms: 4000, down_ms: 30000, edns_size: 1232, loop_probe_interval_ms: 300000 };

const FIELDS = {
  timeoutMs: ['timeout_ms', 50, 30000],
  deadlineMs: ['deadline_ms', 100, 30000],
  downMs: ['down_ms', 0, 3600000],
  ednsSize: ['edns_size', 512, 4096], // RFC 6891 §6.2.5: values below 512 are treated as 512
  loopProbeIntervalMs: ['loop_probe_interval_ms', 1000, 86400000],
} as const satisfies Record<keyof UpstreamConfig, Field>;

export function upstreamSection(c: Checker, raw: unknown): Check<UpstreamConfig> {
  const n = numbers(c, raw, 'upstream', FIELDS, UPSTREAM_DEFAULTS);
  if (!n.ok) return n;
  const { timeoutMs, deadlineMs } = n.value;
  if (deadlineMs < timeoutMs) {
    const given = raw !== null && typeof raw === 'object' && Object.hasOwn(raw, 'deadline_ms');
    const path = ['upstream', given ? 'deadline_ms' : 'timeout_ms'];
    return c.fail(path, `deadline_ms (${deadlineMs}) must be at least timeout_ms (${timeoutMs})`);
  }
  return n;
}

export function describeUpstream(u: UpstreamConfig): string {
  return `upstream:  timeout ${u.timeoutMs} ms, deadline ${u.deadlineMs} ms, down for ${u.downMs} ms, EDNS size ${u.ednsSize}, loop probe every ${u.loopProbeIntervalMs} ms`;
}

// The `access:` list and the `rate_limit:` section of the config file: which clients are answered
// (as Unbound's access-control) and how many responses a second a client prefix gets over UDP (as
// NSD's and BIND's response rate limiting): their types, defaults, validation, and the lines
// `dnsfwd check` prints.
import type { Endpoint, WatchedListen } from '../address.js';
import { type Check, type Checker, each, type Field, mapping, numbers, ok, oneOf, parsed } from '../checker.js';
import { formatPrefix, parsePrefix } from './ip-prefix.js';

export const ACCESS_ACTIONS = ['allow', 'refuse', 'drop'] as const;
export type AccessAction = (typeof ACCESS_ACTIONS)[number];

export interface AccessRule {
  /** The network, in canonical text (`192.168.0.0/16`, `fd00::/8`); no host bits set. */
  readonly from: string;
  readonly action: AccessAction;
}

export interface RateLimitConfig {
  /** Responses a second per client prefix over UDP; 0 turns rate limiting off. */
  readonly responsesPerSecond: number;
  /** Over the limit, every slip-th response goes out empty with TC=1, the others not at all; 0: none. */
  readonly slip: number;
  readonly ipv4Prefix: number;
  readonly ipv6Prefix: number;
}

/** What the client policy is set up from: the two sections, and where dnsfwd listens (the default's connected subnets). */
export interface ClientConfig {
  readonly access: readonly AccessRule[];
  readonly rateLimit: RateLimitConfig;
  readonly listen: readonly Endpoint[];
  readonly listenWatched: readonly WatchedListen[];
}

/** The defaults, spelled as the YAML file spells them: no entries (the built-in default decides). */
export const ACCESS_DEFAULTS: readonly unknown[] = [];
/** NSD's defaults (rrl-ratelimit 200, rrl-slip 2) with BIND's prefixes (/24, /56). */
export const RATE_LIMIT_DEFAULTS = { responses_per_second: 200, slip: 2, ipv4_prefix: 24, ipv6_prefix: 56 };

const RATE_FIELDS = {
  responsesPerSecond: ['responses_per_second', 0, 1_000_000],
  slip: ['slip', 0, 10], // BIND's range
  ipv4Prefix: ['ipv4_prefix', 8, 32],
  ipv6Prefix: ['ipv6_prefix', 16, 128],
} as const satisfies Record<keyof RateLimitConfig, Field>;

export function accessList(c: Checker, raw: unknown): Check<AccessRule[]> {
  return each(c, raw, ['access'], (item, path, done: readonly AccessRule[]) => {
    const m = mapping(c, item, path, ['from', 'action'], ['from', 'action']);
    if (!m.ok) return m;
    const prefix = parsed(c, m.value.from, [...path, 'from'], (s) => parsePrefix(s, 'reject'));
    if (!prefix.ok) return prefix;
    const action = oneOf(c, m.value.action, [...path, 'action'], ACCESS_ACTIONS);
    if (!action.ok) return action;
    const from = formatPrefix(prefix.value);
    const earlier = done.findIndex((r) => r.from === from);
    if (earlier >= 0) return c.fail([...path, 'from'], `${from} is already listed (access[${earlier}])`);
    return ok({ from, action: action.value });
  });
}

export function rateLimitSection(c: Checker, raw: unknown): Check<RateLimitConfig> {
  return numbers(c, raw, 'rate_limit', RATE_FIELDS, RATE_LIMIT_DEFAULTS);
}

/** The default for sources no entry covers, as `dnsfwd check` says it. */
export const ACCESS_DEFAULT_TEXT = 'loopback and connected subnets allowed, everything else refused';

export function describeAccess(rules: readonly AccessRule[]): string[] {
  if (rules.length === 0) return [`access:    ${ACCESS_DEFAULT_TEXT}`];
  return [
    `access:    ${rules.map((r) => `${r.from} ${r.action}`).join(', ')} (the most specific wins)`,
    `           otherwise ${ACCESS_DEFAULT_TEXT}`,
  ];
}

export function describeRateLimit(r: RateLimitConfig): string {
  if (r.responsesPerSecond === 0) return 'rate limit: off';
  const slip = r.slip === 0 ? 'slip 0 (all dropped)' : `slip ${r.slip}`;
  return `rate limit: ${r.responsesPerSecond} responses/s per /${r.ipv4Prefix} and /${r.ipv6Prefix}, ${slip}, UDP only, not for loopback`;
}

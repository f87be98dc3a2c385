// What the listeners answered, counted where each reply goes out (server/responder.ts): queries by
// transport and type, replies by RCODE, and the time each reply waited for (a reply made at once,
// such as a cache hit, is counted as 0 s: the responder reads no clock for it). Counted into flat
// arrays indexed by small integers, so a cache hit pays a few array increments: no Map lookup, no
// string, no allocation per query. Read as a RequestSnapshot by the metrics endpoint.
import { RTT_BUCKETS_S } from '../upstream/server-stats.js';
import type { Transport } from '../pipeline/query.js';

/** The transports, in the order of the counters' rows. */
export const TRANSPORTS: readonly Transport[] = ['udp', 'tcp'];

/**
 * The query types counted by name, as CoreDNS's metrics keep them (plugin/metrics/vars); every
 * other type is counted as "other".
 */
export const COUNTED_TYPES: readonly (readonly [number, string])[] = [
  [1, 'A'], [2, 'NS'], [5, 'CNAME'], [6, 'SOA'], [12, 'PTR'], [15, 'MX'], [16, 'TXT'], [28, 'AAAA'], [33, 'SRV'],
  [43, 'DS'], [46, 'RRSIG'], [47, 'NSEC'], [48, 'DNSKEY'], [50, 'NSEC3'], [65, 'HTTPS'], [251, 'IXFR'],
  [252, 'AXFR'], [255, 'ANY'],
];
/** Each type column's label: COUNTED_TYPES' names, then "other". */
export const TYPE_LABELS: readonly string[] = [...COUNTED_TYPES.map(([, name]) => name), 'other'];
const OTHER = COUNTED_TYPES.length;
/** Type number (< 256) → its column; OTHER for the types not counted by name. */
const TYPE_COLUMN = new Uint8Array(256).fill(OTHER);
for (const [i, [type]] of COUNTED_TYPES.entries()) TYPE_COLUMN[type] = i;

/** The header's 4-bit RCODE names (RFC 6895 §2.3); an unassigned one is its number. */
export const RCODE_LABELS: readonly string[] = [
  'NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH',
  'NOTZONE', 'DSOTYPENI', '12', '13', '14', '15',
];

/** The request duration histogram's bucket bounds: CoreDNS's (0.25 ms doubling to 8.192 s). */
export const DURATION_BUCKETS_S: readonly number[] = RTT_BUCKETS_S;
/** The bounds and a last one of +Infinity: the bucket search stops there without a length check. */
const BOUNDS = Float64Array.from([...DURATION_BUCKETS_S, Infinity]);

/** The counters as plain numbers (JSON-safe: a cluster worker sends it to the primary). */
export interface RequestSnapshot {
  /** Queries, TYPE_LABELS.length per transport, in TRANSPORTS' order. */
  readonly requests: number[];
  /** Replies per RCODE (RCODE_LABELS' order). */
  readonly responses: number[];
  /** Replies per duration bucket, not cumulative; the last slot for those over the last bound. */
  readonly durationCounts: number[];
  readonly durationSumS: number;
}

export class RequestCounters {
  /** Float64: integers stay exact to 2^53, where a Uint32 would wrap after a few days of a busy host. */
  private readonly requests = new Float64Array(TRANSPORTS.length * TYPE_LABELS.length);
  private readonly responses = new Float64Array(RCODE_LABELS.length);
  private readonly durationCounts = new Float64Array(BOUNDS.length);
  private durationSumS = 0;

  /** A query of type `qtype` (-1: no question could be read) came over `transport`. */
  request(transport: Transport, qtype: number): void {
    const column = qtype >= 0 && qtype < 256 ? TYPE_COLUMN[qtype]! : OTHER;
    this.requests[(transport === 'udp' ? 0 : TYPE_LABELS.length) + column]!++;
  }

  /** A reply went out with RCODE `code` (the header's four bits), `ms` after its query arrived. */
  response(code: number, ms: number): void {
    this.responses[code & 0x0f]!++;
    const s = ms / 1000;
    this.durationSumS += s;
    let i = 0;
    while (s > BOUNDS[i]!) i++;
    this.durationCounts[i]!++;
  }

  snapshot(): RequestSnapshot {
    return {
      requests: Array.from(this.requests),
      responses: Array.from(this.responses),
      durationCounts: Array.from(this.durationCounts),
      durationSumS: this.durationSumS,
    };
  }
}

// The special-use names dnsfwd answers itself and never forwards: `localhost` and the names under
// it are the loopback addresses (RFC 6761 §6.3); `local` is Multicast DNS's (RFC 6762 §3) and
// `invalid` never exists (RFC 6761 §6.4): NXDOMAIN. Each is a built-in route, in the zone table in
// place of an upstream group; a configured route for the zone (or a zone under it) wins.
import { Rcode } from '../wire/header.js';
import { localReply, QUESTION_NAME, resourceRecord, soaRecord } from '../wire/local-reply.js';
import { CLASS_ANY, CLASS_IN, TYPE_A, TYPE_AAAA, TYPE_ANY } from '../wire/records.js';
import type { Question } from '../wire/question.js';

/** The TTL of every record we answer with, and the negative-caching TTL (Unbound's for its local zones). */
const SPECIAL_TTL = 10800;

const LOOPBACK_A = resourceRecord(QUESTION_NAME, TYPE_A, SPECIAL_TTL, Uint8Array.of(127, 0, 0, 1));
const LOOPBACK_AAAA = resourceRecord(QUESTION_NAME, TYPE_AAAA, SPECIAL_TTL, Uint8Array.of(...new Array<number>(15).fill(0), 1));

/** localhost's records by QTYPE: ANY gets both address records (a subset of the RRsets, as RFC 8482 §4.2 allows). */
const LOOPBACK = new Map<number, readonly Uint8Array[]>([
  [TYPE_A, [LOOPBACK_A]],
  [TYPE_AAAA, [LOOPBACK_AAAA]],
  [TYPE_ANY, [LOOPBACK_A, LOOPBACK_AAAA]],
]);
const NONE: readonly Uint8Array[] = [];

/** A zone dnsfwd is the authority for: every name in it answered from here. */
export class SpecialZone {
  /** The SOA record in the authority section of a negative answer, so it can be cached (RFC 2308 §3). */
  private readonly soa: readonly Uint8Array[];

  constructor(
    /** Lower case, no trailing dot. */
    readonly zone: string,
    /** true: localhost's loopback addresses; false: NXDOMAIN for every name. */
    private readonly loopback: boolean,
    /** What `dnsfwd check` says it answers, e.g. `127.0.0.1, ::1 (RFC 6761 §6.3)`. */
    readonly description: string,
  ) {
    const soa = { mname: 'localhost', rname: 'nobody.invalid', serial: 1, refresh: 3600, retry: 1200, expire: 604800 };
    this.soa = [soaRecord({ zone, ...soa, minimum: SPECIAL_TTL, ttl: SPECIAL_TTL })];
  }

  /**
   * The reply to `query`, a question in this zone. localhost: A and AAAA (and ANY) of class IN
   * (or ANY) get the loopback address records; every other question gets NOERROR without
   * answers and the SOA. Other zones: NXDOMAIN and the SOA.
   */
  answer(query: Uint8Array, question: Question): Buffer {
    if (!this.loopback) return localReply(query, question, Rcode.NXDOMAIN, NONE, this.soa);
    const inClass = question.class === CLASS_IN || question.class === CLASS_ANY;
    const answers = (inClass && LOOPBACK.get(question.type)) || NONE;
    return localReply(query, question, Rcode.NOERROR, answers, answers.length > 0 ? NONE : this.soa);
  }
}

/** The built-in zones, in the order `dnsfwd check` lists them. */
export const SPECIAL_ZONES: readonly SpecialZone[] = [
  new SpecialZone('localhost', true, '127.0.0.1, ::1 (RFC 6761 §6.3)'),
  new SpecialZone('local', false, 'NXDOMAIN (Multicast DNS, RFC 6762 §3)'),
  new SpecialZone('invalid', false, 'NXDOMAIN (RFC 6761 §6.4)'),
];

/** The special zones no configured route names: those dnsfwd answers itself. */
export function builtInZones(routes: readonly { readonly zone: string }[]): SpecialZone[] {
  return SPECIAL_ZONES.filter((s) => !routes.some((r) => r.zone === s.zone));
}

/** Whether `zone` (lower case, no trailing dot) is one of the special zones or under one. */
export function isSpecial(zone: string): boolean {
  return SPECIAL_ZONES.some((s) => zone === s.zone || zone.endsWith(`.${s.zone}`));
}

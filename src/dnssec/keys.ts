// The chain of trust (RFC 4035 §5.1-§5.2): from a trust anchor down, zone cut by zone cut, to the
// validated DNSKEY set of the zone that holds a name, or the proof that the name's zone is
// insecure. DS and DNSKEY are asked of the route's own servers through the pipeline (with DO and
// CD, cached like any answer); what a name's walk concluded is kept until its TTLs run out.
import type { AnchorSet, ZoneAnchor } from './anchors.js';
import type { Checkers, DecodedMessage } from './api.js';
import { lowerName, parentName } from './names.js';
import { findRRset, groupRRsets, type RRset } from './rrsets.js';
import { verifySet } from './verify-set.js';
import { Ede, TYPE_DNSKEY, TYPE_DS, type EdeCode, type Rr } from './types.js';
import { nameText } from '../wire/name.js';

export type ZoneState =
  | { readonly state: 'secure'; readonly zone: Uint8Array; readonly keys: readonly Rr[]; readonly until: number }
  | { readonly state: 'insecure'; readonly zone: Uint8Array; readonly why: string; readonly until: number }
  | {
      readonly state: 'bogus';
      readonly zone: Uint8Array;
      readonly ede: EdeCode;
      readonly why: string;
      readonly until: number;
      /** The trust anchor's own DNSKEY set could not be had or checked: the servers give no DNSSEC (a downgrade may apply). */
      readonly atAnchor?: boolean;
    };

/** The chain's way to the servers, for one query: the routes it sees. */
export interface Fetch {
  /** Asks `type` of `name` through the pipeline with DO and CD; null when no answer came (SERVFAIL, timeout, malformed). */
  ask(name: Uint8Array, type: number): Promise<DecodedMessage | null>;
  /** Whether `name`'s route validates: a name routed to servers of their own (Consul) is insecure. */
  validated(name: Uint8Array): boolean;
}

export interface ChainOptions extends Checkers {
  readonly anchors: AnchorSet;
  /** Zones never validated: negative trust anchors (RFC 7646) and the built-in insecure zones. */
  readonly insecure: (name: Uint8Array) => boolean;
}

/** How long a bogus conclusion is kept before it is tried again (Unbound's val-bogus-ttl). */
const BOGUS_SECONDS = 60;
/** The most names whose conclusions are kept; the oldest go first. */
const MAX_KEPT = 2048;

/** One step of the chain as `dnsfwd explain` shows it. */
export interface ChainStep {
  readonly name: string;
  /** The zone that holds the name (the name itself at a zone cut). */
  readonly zone: string;
  readonly state: ZoneState['state'];
  readonly why: string | null;
  /** Seconds since the epoch until which the conclusion is kept. */
  readonly until: number;
}

export class TrustChain {
  /** Each name's conclusion: the walk under way, and what it concluded once it has (for `describe`). */
  private readonly kept = new Map<string, { readonly walk: Promise<ZoneState>; state?: ZoneState }>();

  constructor(private readonly o: ChainOptions) {}

  /** The state of the zone that holds `name` (the deepest zone cut at or above it). */
  zoneOf(name: Uint8Array, fetch: Fetch): Promise<ZoneState> {
    const key = nameText(name, 0);
    const have = this.kept.get(key);
    if (have && (!have.state || have.state.until > this.o.now())) return have.walk;
    const entry: { walk: Promise<ZoneState>; state?: ZoneState } = { walk: this.walk(lowerName(name), fetch) };
    void entry.walk.then((s) => (entry.state = s));
    this.kept.delete(key);
    this.kept.set(key, entry);
    if (this.kept.size > MAX_KEPT) this.kept.delete(this.kept.keys().next().value!);
    return entry.walk;
  }

  /** Whether `name` is a negative trust anchor or under a zone insecure by default. */
  insecure(name: Uint8Array): boolean {
    return this.o.insecure(name);
  }

  /** What is known now of `name` and each of its ancestors, the root first (nothing is asked). */
  describe(name: Uint8Array): ChainStep[] {
    const out: ChainStep[] = [];
    for (let n = lowerName(name); ; n = parentName(n)) {
      const key = nameText(n, 0);
      const s = this.kept.get(key)?.state;
      if (s) out.unshift({ name: key || '.', zone: nameText(s.zone, 0) || '.', state: s.state, why: s.state === 'secure' ? null : s.why, until: s.until });
      if (n.length === 1) break;
    }
    return out;
  }

  private async walk(name: Uint8Array, fetch: Fetch): Promise<ZoneState> {
    const now = this.o.now();
    if (this.o.insecure(name)) return { state: 'insecure', zone: name, why: 'negative trust anchor or a zone insecure by default', until: now + 3600 };
    if (!fetch.validated(name)) return { state: 'insecure', zone: name, why: 'routed to servers whose answers are not validated', until: now + 3600 };
    const anchor = this.o.anchors.get(nameText(name, 0));
    if (anchor) return this.anchored(anchor, fetch);
    if (name.length === 1) return { state: 'insecure', zone: name, why: 'no trust anchor above it', until: now + 3600 };
    const parent = await this.zoneOf(parentName(name), fetch);
    if (parent.state !== 'secure') return parent;
    return this.below(parent, name, fetch);
  }

  /** The DNSKEY set of an anchored zone, checked against its anchors (RFC 4035 §5, RFC 5011 not followed). */
  private async anchored(a: ZoneAnchor, fetch: Fetch): Promise<ZoneState> {
    const usable = a.ds.filter((ds) => this.o.crypto.isSupportedAlgorithm(ds.rdata[2]!) && this.o.crypto.isSupportedDigest(ds.rdata[3]!));
    const keysUsable = a.dnskey.filter((k) => this.o.crypto.isSupportedAlgorithm(k.rdata[3]!));
    if (usable.length === 0 && keysUsable.length === 0) return this.insecureAt(a.zone, 'no trust anchor with a supported algorithm and digest', 3600);
    const s = await this.dnskeys(a.zone, fetch, (k) => usable.some((ds) => this.o.crypto.dsMatches(ds, k)) || keysUsable.some((t) => sameKey(t, k)));
    return s.state === 'bogus' ? { ...s, atAnchor: true } : s;
  }

  /** Whether `name`, below the secure zone `parent`, is a zone cut, and if so what it is. */
  private async below(parent: Extract<ZoneState, { state: 'secure' }>, name: Uint8Array, fetch: Fetch): Promise<ZoneState> {
    const got = await fetch.ask(name, TYPE_DS);
    if (!got) return this.bogusAt(name, Ede.DNSSEC_BOGUS, 'no answer to the DS query');
    const msg = got;
    const answer = groupRRsets(msg.answer);
    const ds = findRRset(answer, name, TYPE_DS);
    if (ds) {
      const checked = verifySet(ds, parent, this.o.crypto, this.o.now(), this.o.skew);
      if (!checked.ok) return this.bogusAt(name, checked.ede, `DS set of ${show(name)}: ${checked.why}`);
      const usable = ds.records.filter((r) => this.o.crypto.isSupportedAlgorithm(r.rdata[2]!) && this.o.crypto.isSupportedDigest(r.rdata[3]!));
      if (usable.length === 0) return this.insecureAt(name, 'no DS with a supported algorithm and digest', checked.ttl);
      return this.dnskeys(name, fetch, (k) => usable.some((d) => this.o.crypto.dsMatches(d, k)));
    }
    // No DS: a signed denial must say whether `name` is a delegation without DS (insecure below)
    // or no zone cut at all (still `parent`'s zone), RFC 4035 §5.2, RFC 5155 §8.6, RFC 6840 §4.4.
    const authority = groupRRsets(msg.authority);
    const verdict = this.o.denial.dsAbsence(parent, name, authority, msg.rcode, (set: RRset) => verifySet(set, parent, this.o.crypto, this.o.now(), this.o.skew));
    switch (verdict.result) {
      case 'no-cut':
        return { ...parent, until: Math.min(parent.until, this.o.now() + verdict.ttl) };
      case 'insecure':
        return this.insecureAt(name, verdict.why, verdict.ttl);
      case 'bogus':
        return this.bogusAt(name, verdict.ede, `no DS for ${show(name)}: ${verdict.why}`);
    }
  }

  /** The zone's DNSKEY set, if a key `trusted` admits signs it (RFC 4035 §5.2). */
  private async dnskeys(zone: Uint8Array, fetch: Fetch, trusted: (k: Rr) => boolean): Promise<ZoneState> {
    const got = await fetch.ask(zone, TYPE_DNSKEY);
    if (!got) return this.bogusAt(zone, Ede.DNSKEY_MISSING, `no answer to the DNSKEY query for ${show(zone)}`);
    const set = findRRset(groupRRsets(got.answer), zone, TYPE_DNSKEY);
    if (!set) return this.bogusAt(zone, Ede.DNSKEY_MISSING, `no DNSKEY set for ${show(zone)}`);
    const entry = set.records.filter(trusted);
    if (entry.length === 0) return this.bogusAt(zone, Ede.DNSKEY_MISSING, `no DNSKEY of ${show(zone)} matches its DS or anchor`);
    const checked = verifySet(set, { zone, keys: entry }, this.o.crypto, this.o.now(), this.o.skew);
    if (!checked.ok) return this.bogusAt(zone, checked.ede, `DNSKEY set of ${show(zone)}: ${checked.why}`);
    return { state: 'secure', zone, keys: set.records, until: this.o.now() + checked.ttl };
  }

  private insecureAt(zone: Uint8Array, why: string, ttl: number): ZoneState {
    return { state: 'insecure', zone, why, until: this.o.now() + ttl };
  }

  private bogusAt(zone: Uint8Array, ede: EdeCode, why: string): ZoneState {
    return { state: 'bogus', zone, ede, why, until: this.o.now() + BOGUS_SECONDS };
  }

  /** Forgets every conclusion (the routes or the anchors changed). */
  clear(): void {
    this.kept.clear();
  }
}

function sameKey(a: Rr, b: Rr): boolean {
  return a.rdata.length === b.rdata.length && a.rdata.every((x, i) => x === b.rdata[i]);
}

function show(name: Uint8Array): string {
  return nameText(name, 0) || '.';
}



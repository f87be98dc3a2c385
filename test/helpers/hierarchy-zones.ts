// The zones of the signed test hierarchy (signed-hierarchy.ts): a root, the TLD example. and under it one
// zone per DNSSEC case, written, keyed and signed afresh with the ldns tools (zone-signing.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alterRdata, generateKey, signZone, type SigningOptions, type ZoneKey } from './zone-signing.js';

/** The cases: each a zone under example. */
export const CASES = {
  /** Signed with NSEC, DS in example. */
  secure: 'secure.example.',
  /** Signed with NSEC3 (salt, 5 iterations), DS in example. */
  nsec3: 'nsec3.example.',
  /** NSEC3 with Opt-Out; holds the unsigned delegation unsigned.optout.example. */
  optout: 'optout.example.',
  /** Unsigned, no DS: an insecure delegation. */
  insecure: 'insecure.example.',
  /** Signed, DS in example., but www's A RDATA changed after signing. */
  bogus: 'bogus.example.',
  /** Signed with a validity window wholly in the past. */
  expired: 'expired.example.',
  /** DS in example. for a key that is not in its DNSKEY RRset. */
  nokey: 'nokey.example.',
  /** Signed with RSASHA1 (algorithm 5), DS with digest type 2. */
  alg5: 'alg5.example.',
  /** Bogus as bogus.example., for a negative trust anchor. */
  nta: 'nta.example.',
  /** NSEC3 with 200 iterations (above the caps of RFC 9276 §3.2). */
  iterations: 'iter200.example.',
  /** Signed, delegated with a SHA-1 DS alone (digest type 1). */
  sha1ds: 'sha1ds.example.',
} as const;
export type CaseName = keyof typeof CASES;

/** The unsigned zone delegated from optout.example. without DS (covered by an Opt-Out NSEC3). */
export const UNSIGNED_UNDER_OPTOUT = 'unsigned.optout.example.';

/** Which NSD serves a zone: one per level of the tree. */
export type Level = 'root' | 'tld' | 'child' | 'grandchild';

/** The RDATA of www's A record, and what bogus.example. and nta.example. serve instead once signed. */
export const WWW_A = '192.0.2.1';
export const ALTERED_A = '192.0.2.66';

interface Signing {
  readonly algorithm: string;
  readonly bits?: number;
  readonly nsec3?: SigningOptions['nsec3'];
  /** Signatures valid from two weeks ago to one week ago. */
  readonly past?: boolean;
  /** www's A changed after signing. */
  readonly alter?: boolean;
  /** The parent's DS is for a KSK the zone does not hold. */
  readonly dsForMissingKey?: boolean;
  /** The parent's DS has a SHA-1 digest, and no other DS is there. */
  readonly dsSha1?: boolean;
}

interface ZonePlan {
  readonly name: string;
  readonly level: Level;
  readonly signing: Signing | null;
  readonly children: readonly string[];
}

const NSEC3 = { salt: 'aabbccdd', iterations: 5 };

/** Every zone, children before their parent. */
function plans(algorithm: string): ZonePlan[] {
  const signed = (name: string, s: Partial<Signing> = {}, children: string[] = []): ZonePlan => ({
    name,
    level: 'child',
    signing: { algorithm, ...s },
    children,
  });
  const cases: ZonePlan[] = [
    signed(CASES.secure),
    signed(CASES.nsec3, { nsec3: NSEC3 }),
    signed(CASES.optout, { nsec3: { ...NSEC3, optOut: true } }, [UNSIGNED_UNDER_OPTOUT]),
    { name: CASES.insecure, level: 'child', signing: null, children: [] },
    signed(CASES.bogus, { alter: true }),
    signed(CASES.expired, { past: true }),
    signed(CASES.nokey, { dsForMissingKey: true }),
    signed(CASES.alg5, { algorithm: 'RSASHA1', bits: 1024 }),
    signed(CASES.nta, { alter: true }),
    signed(CASES.iterations, { nsec3: { salt: 'aabbccdd', iterations: 200 } }),
    signed(CASES.sha1ds, { dsSha1: true }),
  ];
  return [
    { name: UNSIGNED_UNDER_OPTOUT, level: 'grandchild', signing: null, children: [] },
    ...cases,
    { name: 'example.', level: 'tld', signing: { algorithm }, children: cases.map((c) => c.name) },
    { name: '.', level: 'root', signing: { algorithm }, children: ['example.'] },
  ];
}

/** The name server of `zone`, inside it: ns.<zone> (ns.root. for the root). */
export function nsName(zone: string): string {
  return zone === '.' ? 'ns.root.' : `ns.${zone}`;
}

const TTL = 300;
const rr = (owner: string, type: string, rdata: string) => `${owner}\t${TTL}\tIN\t${type}\t${rdata}`;

/** The records every zone holds besides its delegations (RFC 1035 §5.1 master file lines). */
function body(zone: string, address: string): string[] {
  const at = (label: string) => `${label}.${zone === '.' ? '' : zone}`;
  const apex = [
    rr(zone, 'SOA', `${nsName(zone)} hostmaster.${zone === '.' ? 'root.' : zone} 1 3600 600 86400 ${TTL}`),
    rr(zone, 'NS', nsName(zone)),
    rr(nsName(zone), 'A', address),
  ];
  if (zone === '.' || zone === 'example.') return apex;
  return [
    ...apex,
    rr(at('www'), 'A', WWW_A),
    rr(at('alias'), 'CNAME', at('www')),
    rr(at('*.wild'), 'A', '192.0.2.2'),
    // ent.<zone> is an empty non-terminal: a name with no records of its own, but one below it.
    rr(at('host.ent'), 'A', '192.0.2.3'),
    rr(zone, 'TXT', `"dnsfwd test zone ${zone}"`),
    rr(zone, 'MX', `10 ${at('mail')}`),
    rr(zone, 'MX', `20 ${at('mail2')}`),
    rr(at('mail'), 'A', '192.0.2.25'),
    rr(at('mail2'), 'A', '192.0.2.26'),
  ];
}

/** What buildZones made: each level's zone files, and the root's KSK (the trust anchor). */
export interface BuiltZones {
  readonly zones: Readonly<Record<Level, { name: string; file: string }[]>>;
  readonly rootKsk: ZoneKey;
}

interface Keys {
  readonly signing: ZoneKey[];
  /** The DS record that goes into the parent. */
  readonly ds: string;
}

async function makeKeys(dir: string, p: ZonePlan): Promise<Keys | null> {
  const s = p.signing;
  if (!s) return null;
  const [ksk, zsk, other] = await Promise.all([
    generateKey(dir, p.name, s.algorithm, true, s.bits),
    generateKey(dir, p.name, s.algorithm, false, s.bits),
    s.dsForMissingKey ? generateKey(dir, p.name, s.algorithm, true, s.bits) : undefined,
  ]);
  const delegated = other ?? ksk;
  return { signing: [ksk, zsk], ds: s.dsSha1 ? delegated.dsSha1 : delegated.ds };
}

/** A zone's records: its own, then its delegations' NS, glue and DS (RFC 4035 §2.4). */
function zoneLines(p: ZonePlan, keys: ReadonlyMap<string, Keys | null>, addressOf: (zone: string) => string) {
  const lines = body(p.name, addressOf(p.name));
  // Opt-Out: unsigned delegations get no NSEC3 of their own, an Opt-Out NSEC3 covers them (RFC
  // 5155 §6, §7.1); ldns-signzone -p gives them one, so they are added after signing. NS and glue
  // at a delegation are not signed anyway (RFC 4035 §2.2).
  const afterSigning: string[] = [];
  for (const child of p.children) {
    const ds = keys.get(child)?.ds;
    const optedOut = !ds && p.signing?.nsec3?.optOut === true;
    (optedOut ? afterSigning : lines).push(rr(child, 'NS', nsName(child)), rr(nsName(child), 'A', addressOf(child)));
    if (ds) lines.push(ds.replace(' IN ', `\t${TTL}\tIN\t`));
  }
  return { lines, afterSigning };
}

/** Writes `p`'s zone file (signed: `<file>.signed`, altered as the case says); returns its name. */
async function writeZone(dir: string, p: ZonePlan, keys: ReadonlyMap<string, Keys | null>, addressOf: (zone: string) => string, now: number) {
  const file = p.name === '.' ? 'root.zone' : `${p.name}zone`;
  const { lines, afterSigning } = zoneLines(p, keys, addressOf);
  const text = lines.join('\n') + '\n';
  const s = p.signing;
  const k = keys.get(p.name);
  if (!s || !k) {
    writeFileSync(join(dir, file), text);
    return file;
  }
  const window = s.past ? { inception: now - 14 * 86400, expiration: now - 7 * 86400 } : { inception: now - 3600, expiration: now + 7 * 86400 };
  let signed = await signZone(dir, file, p.name, text, k.signing, { ...window, ...(s.nsec3 ? { nsec3: s.nsec3 } : {}) });
  if (s.alter) signed = alterRdata(signed, `www.${p.name}`, 'A', WWW_A, ALTERED_A);
  if (s.alter || afterSigning.length) writeFileSync(join(dir, `${file}.signed`), [signed.trimEnd(), ...afterSigning, ''].join('\n'));
  return `${file}.signed`;
}

/**
 * Writes every zone file into `dir`, its name servers at `addresses`: keys made for all zones at
 * once, then each zone signed after its children, with their DS in it. Signatures are valid from
 * an hour before `now` (seconds) for a week (RFC 4034 §3.1.5), unless the case says otherwise.
 */
export async function buildZones(dir: string, addresses: Readonly<Record<Level, string>>, algorithm: string, now: number): Promise<BuiltZones> {
  const all = plans(algorithm);
  const keys = new Map<string, Keys | null>();
  await Promise.all(all.map(async (p) => keys.set(p.name, await makeKeys(dir, p))));
  const levelOf = new Map(all.map((p) => [p.name, p.level]));
  const addressOf = (zone: string) => addresses[levelOf.get(zone)!];
  const zones: Record<Level, { name: string; file: string }[]> = { root: [], tld: [], child: [], grandchild: [] };
  for (const p of all) zones[p.level].push({ name: p.name, file: await writeZone(dir, p, keys, addressOf, now) });
  return { zones, rootKsk: keys.get('.')!.signing[0]! };
}

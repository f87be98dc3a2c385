// The `dnssec:` section of the config file: how answers are validated (systemd-resolved's mode
// names), the trust anchors file, the negative trust anchors (RFC 7646) and the clock skew allowed
// on signature windows. `dnssec: MODE` is short for `dnssec: {mode: MODE}`.
import { type Check, type Checker, each, integer, mapping, ok, oneOf, parsed, pick, type PathSegment } from '../checker.js';
import { parseZone } from '../route/config.js';

/** off: pass DNSSEC records through, validate nothing; allow-downgrade: validate where the servers give DNSSEC records, answer insecure where they strip them; validate: never downgrade. */
export const DNSSEC_MODES = ['off', 'allow-downgrade', 'validate'] as const;
export type DnssecMode = (typeof DNSSEC_MODES)[number];

export interface DnssecConfig {
  readonly mode: DnssecMode;
  /** A file of DS and DNSKEY records ('' for the built-in root anchors alone). */
  readonly trustAnchors: string;
  /** Zones (lower case, no trailing dot) never validated. */
  readonly negativeTrustAnchors: readonly string[];
  /** Seconds a signature may be early or late by (the inception and expiration, RFC 4035 §5.3.1). */
  readonly clockSkew: number;
}

export const DNSSEC_DEFAULTS = { mode: 'allow-downgrade', trust_anchors: '', negative_trust_anchors: [] as string[], clock_skew: 3600 };

const KEYS = ['mode', 'trust_anchors', 'negative_trust_anchors', 'clock_skew'];

export function dnssecSection(c: Checker, raw: unknown): Check<DnssecConfig> {
  if (typeof raw === 'string') return dnssecSection(c, { mode: raw });
  const m = mapping(c, raw, ['dnssec'], KEYS);
  if (!m.ok) return m;
  const mode = oneOf(c, pick(m.value, 'mode', DNSSEC_DEFAULTS.mode), ['dnssec', 'mode'], DNSSEC_MODES);
  if (!mode.ok) return mode;
  const file = pick(m.value, 'trust_anchors', DNSSEC_DEFAULTS.trust_anchors);
  const trustAnchors = parsed(c, file, ['dnssec', 'trust_anchors'], (s) =>
    s === '' || s.startsWith('/') ? { ok: true, value: s } : { ok: false, reason: `must be an absolute path, not "${s}"` },
  );
  if (!trustAnchors.ok) return trustAnchors;
  const ntas = each<string>(c, pick(m.value, 'negative_trust_anchors', DNSSEC_DEFAULTS.negative_trust_anchors), ['dnssec', 'negative_trust_anchors'], (item, p: PathSegment[]) =>
    parsed(c, item, p, parseZone),
  );
  if (!ntas.ok) return ntas;
  const skew = integer(c, pick(m.value, 'clock_skew', DNSSEC_DEFAULTS.clock_skew), ['dnssec', 'clock_skew'], 0, 86400);
  if (!skew.ok) return skew;
  return ok({ mode: mode.value, trustAnchors: trustAnchors.value, negativeTrustAnchors: ntas.value, clockSkew: skew.value });
}

export function describeDnssec(d: DnssecConfig): string {
  if (d.mode === 'off') return 'dnssec:    off (DNSSEC records passed through, nothing validated)';
  const anchors = d.trustAnchors ? `anchors from ${d.trustAnchors} (a root there replaces the built-in one)` : 'built-in root anchors (key tags 20326, 38696)';
  const ntas = d.negativeTrustAnchors.length ? `, not validated: ${d.negativeTrustAnchors.join(', ')}` : '';
  return `dnssec:    ${d.mode}, ${anchors}, clock skew ${d.clockSkew} s${ntas}`;
}

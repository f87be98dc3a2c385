// Turns the `dnssec:` section into the validation stage, and keeps what outlives one query: the
// trust anchors (built in, and the file's, read at start and on reload: a bad file names its line
// and keeps what was in force), the chain of trust's conclusions (forgotten when the routes or the
// anchors change) and the servers found to strip DNSSEC records.
import { readFileSync } from 'node:fs';
import { DnsfwdError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Handler, Stage } from '../pipeline/handler.js';
import { builtInAnchors, mergeAnchors, parseAnchors, type AnchorSet } from './anchors.js';
import type { DnssecParts } from './api.js';
import type { DnssecConfig } from './config.js';
import { INSECURE_BY_DEFAULT, insecureTest } from './insecure-zones.js';
import { TrustChain, type ChainStep } from './keys.js';
import { Downgrades, dnssecStage, type Validation } from './stage.js';

export type AnchorsRead = { ok: true; anchors: AnchorSet } | { ok: false; file: string; line: number; reason: string };

/** The anchors `config` asks for: the built-in root's, with the file's on top; or where the file is wrong. */
export function readAnchors(config: DnssecConfig): AnchorsRead {
  const file = config.trustAnchors;
  if (file === '') return { ok: true, anchors: builtInAnchors() };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, file, line: 0, reason: `cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  const r = parseAnchors(text);
  if (!r.ok) return { ok: false, file, line: r.line, reason: r.reason };
  if (r.anchors.size === 0) return { ok: false, file, line: 0, reason: 'no DS or DNSKEY record' };
  return { ok: true, anchors: mergeAnchors(builtInAnchors(), r.anchors) };
}

/** readAnchors, or a DnsfwdError that names the file and line. */
export function loadAnchors(config: DnssecConfig): AnchorSet {
  const r = readAnchors(config);
  if (r.ok) return r.anchors;
  throw new DnsfwdError('TRUST_ANCHORS', `trust anchors ${r.file}${r.line ? `:${r.line}` : ''}: ${r.reason}`);
}

/** What `dnsfwd explain` shows of DNSSEC for a name: the mode, whether it is validated, and the chain of trust known now. */
export interface DnssecReport {
  readonly mode: string;
  readonly validated: boolean;
  /** Why not, when not validated. */
  readonly why: string | null;
  /** Each ancestor the chain has a conclusion for, the root first. */
  readonly chain: readonly ChainStep[];
}

export class DnssecSetup {
  private validation: Validation | null = null;
  private readonly downgrades = new Downgrades();

  constructor(
    config: DnssecConfig,
    private readonly parts: DnssecParts,
    private readonly log: Logger,
    private readonly now: () => number = () => Date.now() / 1000,
  ) {
    this.apply(config, config.mode === 'off' ? null : loadAnchors(config));
  }

  /** The stage for the pipeline; `first` is the pipeline's first handler, for the chain's queries. */
  stage(first: () => Handler): Stage {
    return dnssecStage({ validation: () => this.validation, first, log: this.log }, this.downgrades);
  }

  /** Reads what a reload would use; throws (a DnsfwdError) before anything changes. */
  prepare(next: DnssecConfig): () => void {
    const anchors = next.mode === 'off' ? null : loadAnchors(next);
    return () => this.apply(next, anchors);
  }

  /** What `dnsfwd explain` says of a name (wire) whose route validates (`routeValidates`) or not. */
  describe(name: Uint8Array, routeValidates: boolean): DnssecReport {
    const mode = this.mode;
    if (!this.validation) return { mode, validated: false, why: 'dnssec: off', chain: [] };
    if (!routeValidates) return { mode, validated: false, why: 'its route has servers of its own (dnssec: true on the route validates it)', chain: [] };
    if (this.validation.chain.insecure(name)) return { mode, validated: false, why: 'a negative trust anchor or a zone insecure by default', chain: [] };
    return { mode, validated: true, why: null, chain: this.validation.chain.describe(name) };
  }

  /** The routes or their servers changed: what the chain concluded through them is forgotten, and so are the servers that stripped. */
  routesChanged(): void {
    this.validation?.chain.clear();
    this.downgrades.clear();
  }

  private mode: string = 'off';

  private apply(config: DnssecConfig, anchors: AnchorSet | null): void {
    this.mode = config.mode;
    if (config.mode === 'off' || anchors === null) {
      this.validation = null;
      return;
    }
    // A built-in insecure zone an anchor names (the zone or one below it) is validated after all.
    const anchored = [...anchors.keys()].filter((k) => k !== '');
    const builtIn = INSECURE_BY_DEFAULT.filter((z) => !anchored.some((a) => a === z || a.endsWith(`.${z}`)));
    const insecure = insecureTest([...builtIn, ...config.negativeTrustAnchors]);
    const chain = new TrustChain({ anchors, insecure, crypto: this.parts.crypto, denial: this.parts.denial, now: this.now, skew: config.clockSkew });
    this.validation = { mode: config.mode, chain, ...this.parts, skew: config.clockSkew, now: this.now };
    this.downgrades.clear();
  }
}

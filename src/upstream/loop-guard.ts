// Loops through another resolver, found at run time (as CoreDNS's loop plugin finds them): when a
// route gets a server, and every `intervalMs` after, dnsfwd asks that server for a random probe
// name under the route's zone (wire/loop-probe.ts). A resolver that sends the probe back to dnsfwd
// as a client query (a dnsmasq, systemd-resolved or Consul agent whose upstream is dnsfwd) proves
// a loop: that server is taken out of that route, with one warning, and probed again every
// LOOPING_RETRY_MS (or `intervalMs`, if shorter) until the probe no longer comes back. Probes start once dnsfwd listens.
import type { Logger } from '../log.js';
import { probeName, probeQuery } from '../wire/loop-probe.js';
import type { Upstream } from './health.js';

/** How often a server found looping is probed again. */
export const LOOPING_RETRY_MS = 30_000;

/** What the guard needs of a route's upstream group (group.ts): its zone, its servers, and a way to send one probe. */
export interface ProbedGroup {
  readonly zone: string;
  readonly upstreams: readonly Upstream[];
  probe(u: Upstream, query: Buffer, timeoutMs: number): Promise<Buffer>;
}

/** What an upstream group asks: is this server of this route looping now? */
export interface LoopView {
  /** How many (route, server) pairs loop now: 0 in the usual case, which costs the group nothing. */
  readonly loopingCount: number;
  isLooping(zone: string, u: Upstream): boolean;
}

interface Probe {
  readonly key: string;
  /** A client asked for this probe's name: it went round a loop. */
  cameBack: boolean;
}

interface PairState {
  group: ProbedGroup;
  readonly server: Upstream;
  looping: boolean;
  /** When the next probe is due (ms); Infinity while one is in flight. */
  nextAt: number;
}

export interface LoopGuardOptions {
  /** How often a server that does not loop is probed again. */
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

export class LoopGuard implements LoopView {
  /** By `zone|server`. */
  private readonly pairs = new Map<string, PairState>();
  /** Probes in flight: name → the pair it probes. */
  private readonly pending = new Map<string, Probe>();
  private timer: NodeJS.Timeout | null = null;
  private started = false;
  loopingCount = 0;

  constructor(
    private opts: LoopGuardOptions,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  setOptions(opts: LoopGuardOptions): void {
    this.opts = opts;
  }

  isLooping(zone: string, u: Upstream): boolean {
    return this.pairs.get(key(zone, u))?.looping === true;
  }

  /** The routes' groups now: new (route, server) pairs are probed (once started); pairs gone are forgotten. */
  routesChanged(groups: readonly ProbedGroup[]): void {
    const seen = new Set<string>();
    for (const group of groups) {
      for (const server of group.upstreams) {
        const k = key(group.zone, server);
        seen.add(k);
        const pair = this.pairs.get(k);
        if (pair) pair.group = group;
        else this.pairs.set(k, { group, server, looping: false, nextAt: 0 });
      }
    }
    for (const [k, pair] of this.pairs) {
      if (seen.has(k)) continue;
      if (pair.looping) this.loopingCount--;
      this.pairs.delete(k);
    }
    if (this.started) this.probeDue();
  }

  /** Starts probing (dnsfwd listens now, so a probe that loops can come back), and the periodic check. */
  start(): void {
    this.started = true;
    this.probeDue();
    this.schedule();
  }

  close(): void {
    this.started = false;
    clearTimeout(this.timer ?? undefined);
    this.timer = null;
  }

  /**
   * A client asked for a probe name (the caller answers REFUSED): when it is one of ours in flight,
   * the server it was sent to loops. `from` says who sent it back, for the warning.
   */
  claim(name: string, from: string): void {
    const probe = this.pending.get(name);
    if (!probe) return;
    const pair = this.pairs.get(probe.key);
    if (!pair) return; // no route uses that server any more
    probe.cameBack = true;
    if (pair.looping) return; // still looping: it was said once
    pair.looping = true;
    this.loopingCount++;
    const fields = { zone: pair.group.zone || '.', server: pair.server.label, probe: name, seen: `our probe came back to us as a query from ${from}` };
    this.log.warn(fields, 'forwarding loop: this server sends our queries back to us; taken out of the route');
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.check();
      this.schedule();
    }, Math.min(this.opts.intervalMs, LOOPING_RETRY_MS));
    this.timer.unref();
  }

  /** Sends the probes that are due (the periodic timer calls this). */
  check(): void {
    if (this.started) this.probeDue();
  }

  private probeDue(): void {
    const t = this.now();
    for (const [k, pair] of this.pairs) if (pair.nextAt <= t) this.probe(k, pair);
  }

  /** One probe of one pair; a looping pair stays out of its route until the probe settles. */
  private probe(k: string, pair: PairState): void {
    pair.nextAt = Infinity;
    const name = probeName(pair.group.zone);
    const probe: Probe = { key: k, cameBack: false };
    this.pending.set(name, probe);
    const settled = () => {
      this.pending.delete(name);
      if (this.pairs.get(k) !== pair) return; // no route uses this server any more
      if (pair.looping && !probe.cameBack) {
        pair.looping = false;
        this.loopingCount--;
        this.log.info({ zone: pair.group.zone || '.', server: pair.server.label }, 'forwarding loop gone: server back in the route');
      }
      pair.nextAt = this.now() + (pair.looping ? Math.min(LOOPING_RETRY_MS, this.opts.intervalMs) : this.opts.intervalMs);
    };
    pair.group.probe(pair.server, probeQuery(name), this.opts.timeoutMs).then(settled, settled);
  }
}

function key(zone: string, u: Upstream): string {
  return `${zone}|${u.label}`;
}

// The wiring, and the only place that creates the long-lived objects: the config's sections
// become the stages (server → pipeline → cache → CNAME chase → coalesce → DNSSEC → route → upstream), the
// sources feed the routes. A reload swaps in what changed, all or nothing; shutdown drains, then
// closes. The metrics endpoint reads every part's counters on each scrape.
import { formatEndpoint } from './address.js';
import { readInterfaces } from './host-interfaces.js';
import { AnswerCache } from './cache/setup.js';
import type { Config } from './config/types.js';
import { dnssecParts } from './dnssec/impl.js';
import { DnssecSetup } from './dnssec/setup.js';
import type { Logger } from './log.js';
import { explainQuery } from './control/explain.js';
import { collectStatus } from './control/status.js';
import { buildInfo, render } from './metrics/exposition.js';
import { MetricsServer } from './metrics/server.js';
import { processSnapshot, type ForwardSnapshot, type MetricsSnapshot } from './metrics/snapshot.js';
import { CoalesceCounters, coalesceStage } from './pipeline/coalesce.js';
import { chaseStage } from './pipeline/chase.js';
import { compose, type Handler } from './pipeline/handler.js';
import { Pipeline } from './pipeline/pipeline.js';
import { Routes } from './route/routes.js';
import { SpecialZone } from './route/special.js';
import { routeStage } from './route/stage.js';
import { ClientPolicy } from './server/admission.js';
import { Listeners } from './server/listeners.js';
import { readUdpDrops } from './server/udp-drops.js';
import { sameSources } from './sources/config.js';
import { SourceSet } from './sources/source-set.js';
import { Upstreams } from './upstream/setup.js';
import { dnsfwdVersion } from './version.js';

export interface DaemonOptions {
  /** Serve config.metrics.listen (a cluster worker does not: the primary serves the sum of its workers). */
  readonly serveMetrics?: boolean;
}

export class Daemon {
  private config: Config;
  private readonly upstreams: Upstreams;
  private readonly routes: Routes;
  private readonly cache: AnswerCache;
  private readonly coalesced = new CoalesceCounters();
  private readonly dnssec: DnssecSetup;
  private readonly clients: ClientPolicy;
  private readonly listeners: Listeners;
  private readonly pipeline: Pipeline;
  private sources: SourceSet;
  private readonly startedAt = Date.now();
  private closed = false;
  private unfollowHosts: (() => void) | null = null;
  private readonly metricsServer: MetricsServer | null;

  constructor(
    config: Config,
    private readonly log: Logger,
    options: DaemonOptions = {},
  ) {
    this.config = config;
    this.upstreams = new Upstreams(log.child({ component: 'upstream' }), config.upstream);
    this.routes = new Routes(config, this.upstreams, log);
    this.cache = new AnswerCache(config.cache, log.child({ component: 'cache' }));
    this.dnssec = new DnssecSetup(config.dnssec, dnssecParts(), log.child({ component: 'dnssec' }));
    // The CNAME stage asks the next step of a chain through the whole pipeline (the cache first),
    // and so does the DNSSEC stage for the DS and DNSKEY records of the chain of trust.
    const top: Handler = compose(
      [this.cache.stage(), chaseStage(() => top), coalesceStage(this.coalesced), this.dnssec.stage(() => top)],
      routeStage(log.child({ component: 'route' })),
    );
    this.clients = new ClientPolicy(config, readInterfaces(), log.child({ component: 'access' }), Date.now, this.upstreams.own);
    const loops = this.upstreams.loops;
    this.pipeline = new Pipeline(top, () => this.routes.table, (name, from) => loops.claim(name, from));
    this.listeners = new Listeners(this.pipeline, config, log, this.clients);
    this.sources = this.sourceSet(config);
    const serveMetrics = options.serveMetrics ?? true;
    this.metricsServer = serveMetrics ? new MetricsServer(() => this.metricsText(), log.child({ component: 'metrics' })) : null;
  }

  /**
   * Binds every listen address (throws a DnsfwdError with an operator-facing message), starts
   * sources, then runs `beforeReady` (the control socket) before it says it has started.
   */
  async start(beforeReady: () => Promise<void> = async () => {}): Promise<void> {
    await this.listeners.apply(this.config);
    await this.metricsServer?.apply(this.config.metrics.listen);
    this.followHosts();
    await this.startSources(this.sources);
    this.upstreams.loops.start(); // a probe that loops can come back now
    await beforeReady();
    this.log.info(
      { listen: this.endpoints(), routes: this.routes.describe(), sources: this.sources.names },
      'dnsfwd started',
    );
  }

  /** The addresses listened on now, as `127.0.0.1:53` or `[::1]:53`. */
  endpoints(): string[] {
    return this.listeners.endpoints().map(formatEndpoint);
  }

  /**
   * Applies a new, already validated config, all or nothing: what can fail (creating the sources,
   * binding new listen addresses) happens before anything is swapped, and a failure keeps the old.
   */
  async reload(next: Config): Promise<void> {
    const applyDnssec = this.dnssec.prepare(next.dnssec); // a trust anchors file that does not read keeps the old config
    const fresh = sameSources(this.config.default.sources, next.default.sources) ? null : this.sourceSet(next);
    let metrics;
    try {
      metrics = await this.metricsServer?.prepare(next.metrics.listen);
      await this.listeners.apply(next);
    } catch (err) {
      metrics?.cancel();
      await fresh?.close();
      throw err;
    }
    metrics?.commit();
    this.config = next;
    this.log.level = next.logLevel;
    this.clients.configure(next);
    this.clients.setHostInterfaces(readInterfaces());
    this.followHosts();
    this.cache.configure(next.cache);
    applyDnssec();
    if (fresh) {
      const old = this.sources;
      await this.startSources(fresh);
      await old.close();
    }
    this.rebuild();
    this.log.info({ file: next.file, routes: this.routes.describe() }, 'configuration reloaded');
  }

  /** What `dnsfwd status` reports (src/control/status.ts). */
  async status(): Promise<unknown> {
    return collectStatus({
      now: Date.now(),
      startedAt: this.startedAt,
      version: dnsfwdVersion(),
      listeners: this.listeners.endpoints(),
      table: this.routes.table,
      origins: this.routes.origins,
      sources: this.sources.views(),
      cache: this.cache.stats(),
      coalesced: this.coalesced.coalesced,
      memory: process.memoryUsage(),
    });
  }

  /** What `dnsfwd explain` reports about `name` `type`; `live` also asks the servers (src/control/explain.ts). */
  async explain(name: string, type: string, live: boolean): Promise<unknown> {
    return explainQuery(name, type, live, {
      now: Date.now,
      table: this.routes.table,
      origins: this.routes.origins,
      sources: this.sources.views(),
      peek: (key, now) => this.cache.peek(key, now),
      pipeline: this.pipeline,
      deadlineMs: this.config.upstream.deadlineMs,
      dnssec: (n, validates) => this.dnssec.describe(n, validates),
    });
  }

  /** Drops cached answers at or under `zone` ('' is the root), all for null; how many (`dnsfwd flush`). */
  flush(zone: string | null): number {
    return this.cache.flush(zone);
  }

  /** Stops listening, lets queries in flight finish (up to `graceMs`), then closes everything. */
  async shutdown(graceMs: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.stopAccepting();
    this.unfollowHosts?.();
    await this.metricsServer?.close();
    await this.listeners.drain(graceMs);
    await this.listeners.close();
    await this.sources.close();
    this.upstreams.close();
  }

  /**
   * With a wildcard or watched listen entry, the host's addresses matter: the connected subnets
   * access control allows, and which servers are dnsfwd itself. They are followed while so.
   */
  private followHosts(): void {
    const c = this.config;
    const follow = c.listenWatched.length > 0 || c.listen.some((l) => l.host === '0.0.0.0' || l.host === '::');
    if (follow && !this.unfollowHosts) {
      this.unfollowHosts = this.listeners.hosts.onChange(() => {
        this.clients.setHostInterfaces(readInterfaces());
        this.rebuild();
      });
    } else if (!follow && this.unfollowHosts) {
      this.unfollowHosts();
      this.unfollowHosts = null;
    }
  }

  /**
   * Logs cache, coalescing and client counters (SIGUSR1), and `udpDrops`: the datagrams the kernel
   * dropped on the UDP listening sockets of now (their receive buffer was full), null without procfs.
   */
  logStats(): void {
    const clients = this.clients.stats();
    const udpDrops = readUdpDrops(this.listeners.endpoints());
    this.log.info({ ...this.cache.stats(), coalesced: this.coalesced.coalesced, clients, udpDrops, memory: process.memoryUsage() }, 'cache statistics');
  }

  /** Every counter and gauge of the metrics endpoint, read now. */
  metrics(): MetricsSnapshot {
    return {
      requests: this.listeners.requestCounts(),
      cache: this.cache.stats(),
      coalesced: this.coalesced.coalesced,
      clients: this.clients.stats(),
      forward: this.forwardStats(),
      sources: this.sources.serverCounts(),
      process: processSnapshot(),
    };
  }

  /** The metrics endpoint's text. */
  private metricsText(): string {
    return render(this.metrics(), buildInfo());
  }

  /** Each forwarding route's servers (not the built-in zones'), as the routes in force have them. */
  private forwardStats(): ForwardSnapshot[] {
    const out: ForwardSnapshot[] = [];
    for (const { zone, group } of this.routes.table.routes()) {
      if (group instanceof SpecialZone) continue;
      for (const s of group.servers()) {
        const st = s.stats;
        out.push({
          route: zone || '.',
          server: s.label,
          up: s.state === 'up',
          requests: st.requests,
          answers: st.answers,
          failures: { ...st.failures },
          rttCounts: Array.from(st.rttCounts),
          rttSumS: st.rttSumS,
        });
      }
    }
    return out;
  }

  /** The sources `config` names; a change in one rebuilds the routes while they are the ones in force. */
  private sourceSet(config: Config): SourceSet {
    const set: SourceSet = new SourceSet(config.default.sources, this.log.child({ component: 'source' }), () => {
      if (this.sources === set) this.rebuild();
    });
    return set;
  }

  /** Makes `sources` the default route's, and starts them (resolves after their first read). */
  private async startSources(sources: SourceSet): Promise<void> {
    this.sources = sources;
    await sources.start();
    this.rebuild();
  }

  /** Builds the routes from the config and what the sources say now, and drops what changed in the cache. */
  private rebuild(): void {
    const before = this.routes.rebuild(this.config, this.sources.state());
    this.cache.routesChanged(before, this.routes.table);
    this.dnssec.routesChanged();
  }
}

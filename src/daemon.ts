// The wiring, and the only place that creates the long-lived objects: the config's sections
// become the stages (server → pipeline → cache → CNAME chase → coalesce → route → upstream), the
// sources feed the routes. A reload swaps in what changed, all or nothing; shutdown drains, then
// closes.
import { formatEndpoint } from './address.js';
import { readInterfaces } from './host-interfaces.js';
import { AnswerCache } from './cache/setup.js';
import type { Config } from './config/types.js';
import type { Logger } from './log.js';
import { CoalesceCounters, coalesceStage } from './pipeline/coalesce.js';
import { chaseStage } from './pipeline/chase.js';
import { compose, type Handler } from './pipeline/handler.js';
import { Pipeline } from './pipeline/pipeline.js';
import { Routes } from './route/routes.js';
import { routeStage } from './route/stage.js';
import { ClientPolicy } from './server/admission.js';
import { Listeners } from './server/listeners.js';
import { readUdpDrops } from './server/udp-drops.js';
import { sameSources } from './sources/config.js';
import { SourceSet } from './sources/source-set.js';
import { Upstreams } from './upstream/setup.js';

export class Daemon {
  private config: Config;
  private readonly upstreams: Upstreams;
  private readonly routes: Routes;
  private readonly cache: AnswerCache;
  private readonly coalesced = new CoalesceCounters();
  private readonly clients: ClientPolicy;
  private readonly listeners: Listeners;
  private sources: SourceSet;
  private closed = false;
  private unfollowHosts: (() => void) | null = null;

  constructor(
    config: Config,
    private readonly log: Logger,
  ) {
    this.config = config;
    this.upstreams = new Upstreams(log.child({ component: 'upstream' }), config.upstream);
    this.routes = new Routes(config, this.upstreams, log);
    this.cache = new AnswerCache(config.cache, log.child({ component: 'cache' }));
    // The CNAME stage asks the next step of a chain through the whole pipeline (the cache first).
    const top: Handler = compose(
      [this.cache.stage(), chaseStage(() => top), coalesceStage(this.coalesced)],
      routeStage(log.child({ component: 'route' })),
    );
    this.clients = new ClientPolicy(config, readInterfaces(), log.child({ component: 'access' }), Date.now, this.upstreams.own);
    const loops = this.upstreams.loops;
    this.listeners = new Listeners(new Pipeline(top, () => this.routes.table, (name, from) => loops.claim(name, from)), config, log, this.clients);
    this.sources = this.sourceSet(config);
  }

  /** Binds every listen address (throws a DnsfwdError with an operator-facing message), starts sources. */
  async start(): Promise<void> {
    await this.listeners.apply(this.config);
    this.followHosts();
    await this.startSources(this.sources);
    this.upstreams.loops.start(); // a probe that loops can come back now
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
    const fresh = sameSources(this.config.default.sources, next.default.sources) ? null : this.sourceSet(next);
    try {
      await this.listeners.apply(next);
    } catch (err) {
      await fresh?.close();
      throw err;
    }
    this.config = next;
    this.log.level = next.logLevel;
    this.clients.configure(next);
    this.clients.setHostInterfaces(readInterfaces());
    this.followHosts();
    this.cache.configure(next.cache);
    if (fresh) {
      const old = this.sources;
      await this.startSources(fresh);
      await old.close();
    }
    this.rebuild();
    this.log.info({ file: next.file, routes: this.routes.describe() }, 'configuration reloaded');
  }

  /** Stops listening, lets queries in flight finish (up to `graceMs`), then closes everything. */
  async shutdown(graceMs: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.stopAccepting();
    this.unfollowHosts?.();
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
  }
}

// The default route's sources, as one: made from the config's `default.sources`, started and
// closed together, their current servers and leases read as one SourceState, any change reported
// through one callback.
import { uniqueEndpoints } from '../address.js';
import type { Logger } from '../log.js';
import type { SourceConfig } from './config.js';
import { createSource } from './kinds.js';
import { SOURCE_CHANGE, type ServerSource, type SourceState, type SourceView } from './source.js';

export class SourceSet {
  private readonly sources: readonly ServerSource[];

  constructor(
    readonly configs: readonly SourceConfig[],
    log: Logger,
    onChange: () => void,
  ) {
    this.sources = configs.map((c) => createSource(c, log));
    for (const s of this.sources) s.on(SOURCE_CHANGE, onChange);
  }

  /** Short descriptions for logs. */
  get names(): string[] {
    return this.sources.map((s) => s.name);
  }

  /** Starts every source; resolves once each has read its files. */
  async start(): Promise<void> {
    await Promise.all(this.sources.map((s) => s.start()));
  }

  /** What the sources say now: their servers in order, without duplicates, and their leases. */
  state(): SourceState {
    return {
      servers: uniqueEndpoints(this.sources.flatMap((s) => s.servers())),
      links: this.sources.flatMap((s) => s.leases()),
    };
  }

  /** Each source as the operator sees it, in config order. */
  views(): SourceView[] {
    return this.sources.map((s) => s.view());
  }

  async close(): Promise<void> {
    await Promise.all(this.sources.map((s) => s.close()));
  }
}

// Creates the watcher for a configured source (only main.ts calls this).
import type { SourceConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import { dhclientSource } from './lease-file.js';
import type { ServerSource } from './source.js';

export function createSource(config: SourceConfig, log: Logger): ServerSource {
  switch (config.kind) {
    case 'dhclient':
      return dhclientSource(config.path, log);
  }
}

export function sameSources(a: readonly SourceConfig[], b: readonly SourceConfig[]): boolean {
  return a.length === b.length && a.every((s, i) => s.kind === b[i]!.kind && s.path === b[i]!.path);
}

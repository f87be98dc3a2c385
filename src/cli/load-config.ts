// The config a command line asks for: the file given with --config (or the embedded default),
// then the flags over it. Shared by `run` and `check` (run.ts) and by `wait-ready`.
import { applyOverrides, defaultConfig, flagError, loadConfigFile } from '../config/load.js';
import type { ConfigResult } from '../config/types.js';
import type { Flags } from './argv.js';

/** The config the file (or the embedded default) gives, before the flags. */
export async function loadBase(flags: Flags): Promise<ConfigResult> {
  const file: unknown = flags.config;
  if (Array.isArray(file)) return flagError('--config', 'given more than once');
  if (file === '') return flagError('--config', 'needs a file name');
  return typeof file === 'string' ? await loadConfigFile(file) : { ok: true, config: defaultConfig() };
}

/** The config the daemon runs with given these flags: the file (or the embedded default), then the flags. */
export async function loadConfig(flags: Flags): Promise<ConfigResult> {
  const base = await loadBase(flags);
  return base.ok ? applyOverrides(base.config, flags) : base;
}

// dnsfwd's version: set by the single-file build (npm run bundle defines DNSFWD_VERSION), read
// from package.json in the tsc build. `--version` prints it, `dnsfwd status` reports it.
import { readFileSync } from 'node:fs';

declare const DNSFWD_VERSION: string | undefined;

let cached: string | undefined;

/** The version of this dnsfwd, e.g. `0.1.0`. */
export function dnsfwdVersion(): string {
  if (typeof DNSFWD_VERSION === 'string') return DNSFWD_VERSION;
  cached ??= (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return cached;
}

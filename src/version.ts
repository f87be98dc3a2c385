// dnsfwd's version: defined by the single-file build (npm run bundle), read from package.json by
// the tsc build. `--version` prints it, and the metrics endpoint shows it (dnsfwd_build_info).
import { readFileSync } from 'node:fs';

/** Set by the single-file build (npm run bundle); the tsc build reads package.json. */
declare const DNSFWD_VERSION: string | undefined;

export function dnsfwdVersion(): string {
  if (typeof DNSFWD_VERSION === 'string') return DNSFWD_VERSION;
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

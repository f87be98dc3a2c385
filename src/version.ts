// dnsfwd's version: defined by the single-file build (npm run bundle), read from package.json by
// the tsc build. `--version` prints it, and the metrics endpoint shows it (dnsfwd_build_info).
import { readFileSync } from 'node:fs';

/** Set by the single-file build (npm run bundle); the tsc build reads package.json. */
declare const DNSFWD_VERSION: string | undefined;

/** Where package.json is from this file: dist/version.js, or build/src/version.js (the tests' build). */
const PACKAGE_JSON = ['../package.json', '../../package.json'];

export function dnsfwdVersion(): string {
  if (typeof DNSFWD_VERSION === 'string') return DNSFWD_VERSION;
  for (const path of PACKAGE_JSON) {
    try {
      return (JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      // not this one
    }
  }
  return 'unknown';
}

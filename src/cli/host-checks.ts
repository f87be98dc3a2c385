// What `dnsfwd check` finds that `run` would drop or refuse on this host, though the file itself
// is valid: a route's server that is dnsfwd itself (route/self.ts), a `user:` that does not exist, a
// trust anchors file that cannot be read or does not parse (its own FILE:LINE).
// Each is an error located where it was written: FILE:LINE:COL, or the command-line flag.
import { readAnchors } from '../dnssec/setup.js';
import { formatEndpoint, type Endpoint } from '../address.js';
import type { ConfigError, Locator, PathSegment } from '../checker.js';
import type { Config } from '../config/types.js';
import { hostInterfaces, needsHostInterfaces, selfReason } from '../route/self.js';
import { unknownUser } from './privileges.js';

const COMMAND_LINE = '<command line>';
/** Where a setting of the embedded default config is reported. */
const BUILT_IN = '(built-in defaults)';

/**
 * The problems of `config` on this host. `fromFile` is the config as the file (or the embedded
 * default) gave it, before command-line flags, located by `locate`; a setting the flags replaced
 * is reported as the flag.
 */
export function hostProblems(config: Config, fromFile: Config | null, locate: Locator | undefined, passwdFile?: string): ConfigError[] {
  const out: ConfigError[] = [];
  const at = (path: PathSegment[], inFile: boolean, flag: string, reason: string): void => {
    const key = path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
    if (inFile) {
      const where = locate?.(path, 'value') ?? { line: 0, col: 0 };
      out.push({ file: fromFile?.file ?? BUILT_IN, ...where, key, reason: `${key}: ${reason}` });
    } else {
      out.push({ file: COMMAND_LINE, line: 0, col: 0, key: flag, reason });
    }
  };
  const host = needsHostInterfaces(config) ? hostInterfaces() : {};
  const self = (servers: readonly Endpoint[], path: PathSegment[], inFile: boolean, flag: string) =>
    servers.forEach((s, j) => {
      const why = selfReason(s, config, host);
      if (why) at([...path, j], inFile, flag, `${formatEndpoint(s)} is dnsfwd itself (${why}): run would not forward to it`);
    });
  config.routes.forEach((r, i) => self(r.servers, ['routes', i, 'servers'], fromFile?.routes[i] === r, '--route'));
  self(config.default.servers, ['default', 'servers'], fromFile?.default.servers === config.default.servers, '--upstream');
  if (config.user !== '') {
    const why = unknownUser(config.user, passwdFile);
    if (why) at(['user'], fromFile?.user === config.user, '--user', `${why}: run would stop after binding its sockets`);
  }
  if (config.dnssec.mode !== 'off') {
    const anchors = readAnchors(config.dnssec);
    if (!anchors.ok) out.push({ file: anchors.file, line: anchors.line, col: 0, key: 'dnssec.trust_anchors', reason: `trust anchors: ${anchors.reason}` });
  }
  return out;
}

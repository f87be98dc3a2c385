// Reads the YAML config (every error located as file:line:col), applies command-line overrides,
// and renders configs and config errors for operators (`dnsfwd check`).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlias, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import type { Document, Node } from 'yaml';
import { parseEndpoints, type Endpoint, type ParseResult } from '../address.js';
import { describeCache } from '../cache/config.js';
import { describeDnssec } from '../dnssec/config.js';
import { describeMetrics } from '../metrics/config.js';
import { LOG_FORMATS, LOG_LEVELS } from '../log.js';
import { describeRoutes, parseRouteFlag } from '../route/config.js';
import { describeAccess, describeRateLimit } from '../server/client-config.js';
import { describeListen, describeServer, type ListenEntries, type ListenEntry, parseListenText, repeatedEntry, splitListen } from '../server/config.js';
import { parseSourceFlag, type SourceConfig } from '../sources/config.js';
import { describeUpstream } from '../upstream/config.js';
import { type Check, type Failure, type Locator, type PathSegment } from '../checker.js';
import { osReason } from '../errors.js';
export { defaultConfig } from './schema.js';
import { validateConfig } from './schema.js';
import type { Config, ConfigError, ConfigOverrides, ConfigResult } from './types.js';
import { deepFreeze, parseControlSocket, parseLogFile, parseUser } from './values.js';

/** The `file` of errors in command-line flags. */
const COMMAND_LINE = '<command line>';


/** Parses and validates config text; an empty document means all defaults. */
function parseConfigText(text: string, file: string): ConfigResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => lines.linePos(offset);
  const invalid = (pos: { line: number; col: number }, reason: string): Failure => ({
    ok: false,
    error: { file, ...pos, key: '', reason: `invalid YAML: ${reason}` },
  });
  const bad = doc.errors[0];
  if (bad) {
    const dup = bad.code === 'DUPLICATE_KEY';
    return invalid(at(bad.pos[0]), dup ? `duplicate key "${duplicateKey(doc, bad.pos[0])}"` : bad.message);
  }
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (err) {
    // toJS throws on an alias without its anchor, or one that expands past maxAliasCount.
    return invalid({ line: 1, col: 1 }, err instanceof Error ? err.message : String(err));
  }
  const locate = locator(doc, at);
  const result = validateConfig(raw, { file, locate });
  return result.ok ? { ...result, locate } : result;
}

/** Reads and validates the config file at `path`. */
export async function loadConfigFile(path: string): Promise<ConfigResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    return { ok: false, error: { file: path, line: 1, col: 1, key: '', reason: `cannot read: ${osReason(err)}` } };
  }
  return parseConfigText(text, path);
}

/** The text of the key that starts at `offset` (where yaml reports a DUPLICATE_KEY). */
function duplicateKey(doc: Document, offset: number): string {
  let key = '?';
  // Only scalar keys are ever duplicates (yaml compares collections as keys by identity), and no
  // other scalar starts where a key does.
  visit(doc, {
    Scalar(_, node) {
      if (node.range?.[0] === offset) key = String(node.value);
    },
  });
  return key;
}

/** Finds the YAML nodes at a config path; falls back to the nearest ancestor that exists. */
function locator(doc: Document, at: (offset: number) => { line: number; col: number }): Locator {
  return (path, part) => {
    const found = findNode(doc, path);
    const node = (part === 'key' ? found.key : null) ?? found.value ?? found.key ?? found.nearest;
    const offset = node?.range?.[0];
    return offset === undefined ? { line: 1, col: 1 } : at(offset);
  };
}

interface Found {
  key: Node | null;
  value: Node | null;
  nearest: Node | null;
}

function findNode(doc: Document, path: readonly PathSegment[]): Found {
  let value: unknown = doc.contents;
  let found: Found = { key: null, value: isNode(value) ? value : null, nearest: isNode(value) ? value : null };
  for (const seg of path) {
    if (isAlias(value)) value = value.resolve(doc);
    let key: Node | null = null;
    let next: unknown;
    if (isMap(value)) {
      const pair = value.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(seg));
      key = isNode(pair?.key) ? pair.key : null;
      next = pair?.value;
    } else if (isSeq(value)) {
      next = value.items[Number(seg)]; // a key into a list finds nothing: items['x'] is undefined
    }
    // Not there: nothing below it is either, and the nearest node found so far stays the answer.
    value = next;
    found = { key, value: isNode(next) ? next : null, nearest: isNode(next) ? next : (key ?? found.nearest) };
  }
  return found;
}

/** Applies command-line flags on top of `config` (see ConfigOverrides for what each does). */
export function applyOverrides(config: Config, o: ConfigOverrides): ConfigResult {
  let next: Config = config;
  if (o.listen?.length) {
    const listen = flagListen(o.listen);
    if (!listen.ok) return listen;
    next = { ...next, listen: listen.value.listen, listenWatched: listen.value.watched };
  }
  if (o.logLevel !== undefined) {
    const level = LOG_LEVELS.find((l) => l === o.logLevel);
    if (!level) return flagError('--log-level', `"${o.logLevel}" is not one of ${LOG_LEVELS.join(', ')}`);
    next = { ...next, logLevel: level };
  }
  if (o.logQueries !== undefined) next = { ...next, logQueries: o.logQueries };
  if (o.logFormat !== undefined) {
    const format = LOG_FORMATS.find((f) => f === o.logFormat);
    if (!format) return flagError('--log-format', `"${o.logFormat}" is not one of ${LOG_FORMATS.join(', ')}`);
    next = { ...next, logFormat: format };
  }
  if (o.logFile !== undefined) {
    // On the command line, a relative path is relative to the working directory, as in a shell.
    const path = o.logFile.startsWith('/') ? o.logFile : join(process.cwd(), o.logFile);
    const file = o.logFile === '' ? { ok: false as const, reason: 'needs a file name' } : parseLogFile(path);
    if (!file.ok) return flagError('--log-file', file.reason);
    next = { ...next, logFile: file.value };
  }
  if (o.user !== undefined) {
    const user = parseUser(o.user);
    if (!user.ok || o.user === '') return flagError('--user', user.ok ? 'needs a user name' : user.reason);
    next = { ...next, user: user.value };
  }
  if (o.controlSocket !== undefined) {
    const path = parseControlSocket(o.controlSocket);
    if (!path.ok) return flagError('--control-socket', path.reason);
    next = { ...next, controlSocket: path.value };
  }
  if (o.workers !== undefined) {
    if (!Number.isInteger(o.workers) || o.workers < 1 || o.workers > 64) {
      return flagError('--workers', `"${o.workers}": must be a whole number from 1 to 64`);
    }
    next = { ...next, server: { ...next.server, workers: o.workers } };
  }
  for (const text of o.route ?? []) {
    const route = fromFlag('--route', parseRouteFlag(text));
    if (!route.ok) return route;
    const i = next.routes.findIndex((r) => r.zone === route.value.zone);
    const routes = i < 0 ? [...next.routes, route.value] : next.routes.map((r, j) => (j === i ? route.value : r));
    next = { ...next, routes };
  }
  if (o.leaseFile?.length) {
    const sources: SourceConfig[] = [];
    for (const text of o.leaseFile) {
      const source = fromFlag('--lease-file', parseSourceFlag(text));
      if (!source.ok) return source;
      sources.push(source.value);
    }
    next = { ...next, default: { ...next.default, sources } };
  }
  if (o.upstream?.length) {
    const servers = flagEndpoints('--upstream', o.upstream);
    if (!servers.ok) return servers;
    next = { ...next, default: { ...next.default, servers: servers.value } };
  }
  return { ok: true, config: next === config ? config : deepFreeze(next) };
}

/** An error in a command-line flag: `<command line>: --flag: reason`. */
export function flagError(flag: string, reason: string): Failure {
  return { ok: false, error: { file: COMMAND_LINE, line: 0, col: 0, key: flag, reason } };
}

/** `--listen` entries (each may hold a comma-separated list), in the forms of parseListenText. */
function flagListen(texts: readonly string[]): Check<ListenEntries> {
  const entries: ListenEntry[] = [];
  for (const text of texts.flatMap((t) => t.split(','))) {
    const entry = fromFlag('--listen', parseListenText(text.trim()));
    if (!entry.ok) return entry;
    const twice = repeatedEntry(entries, entry.value);
    if (twice !== null) return flagError('--listen', `${twice} is given twice`);
    entries.push(entry.value);
  }
  return { ok: true, value: splitListen(entries) };
}

function flagEndpoints(flag: string, texts: readonly string[]): Check<Endpoint[]> {
  return fromFlag(flag, parseEndpoints(texts));
}

function fromFlag<T>(flag: string, r: ParseResult<T>): Check<T> {
  return r.ok ? r : flagError(flag, r.reason);
}

/** `FILE:LINE:COL: reason`, or `<command line>: --flag: reason`. */
export function formatConfigError(e: ConfigError): string {
  if (e.line > 0) return `${e.file}:${e.line}:${e.col}: ${e.reason}`;
  if (e.file === COMMAND_LINE && e.key !== '') return `${e.file}: ${e.key}: ${e.reason}`;
  return `${e.file}: ${e.reason}`;
}

/** The effective configuration, one setting per line, as `dnsfwd check` prints it. */
export function describeConfig(c: Config): string {
  return [
    `config:    ${c.file ?? '(built-in defaults)'}`,
    describeListen(c.listen, c.listenWatched),
    `log level: ${c.logLevel}${c.logQueries ? ', every answered query logged at info' : ''}`,
    `log:       ${c.logFormat} lines to ${c.logFile || 'stdout'}`,
    `user:      ${c.user || '(as started)'}`,
    `control:   ${c.controlSocket || '(no control socket)'}`,
    ...describeRoutes(c.routes, c.default),
    describeUpstream(c.upstream),
    describeServer(c.server),
    ...describeAccess(c.access),
    describeRateLimit(c.rateLimit),
    describeCache(c.cache),
    describeDnssec(c.dnssec),
    describeMetrics(c.metrics),
  ].join('\n');
}

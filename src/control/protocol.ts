// The control socket's protocol: one JSON object per line each way. A request names a command
// and its arguments; the response is `{"ok":true,"result":...}` or `{"ok":false,"error":"..."}`
// with a one-line error. Reading a request never throws: bad JSON, an unknown command or a bad
// argument is an ok:false response. What answers the commands is a ControlTarget (the daemon, or
// in a cluster the primary relaying to its workers).

/** A request line longer than this is refused and the connection closed. */
export const MAX_LINE_BYTES = 64 * 1024;

/** A connection idle this long (no complete request, or the answer read) is closed. */
export const IDLE_TIMEOUT_MS = 30_000;

export type Request =
  | { readonly command: 'status' }
  | { readonly command: 'explain'; readonly name: string; readonly type: string; readonly query: boolean }
  | { readonly command: 'flush'; readonly zone: string | null }
  | { readonly command: 'reload' };

export type Command = Request['command'];

export const COMMANDS: readonly Command[] = ['status', 'explain', 'flush', 'reload'];

export type Response = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: string };

/** What a reload reports: ok with the config file read, or the error (FILE:LINE:COL: reason for a bad config). */
export type ReloadResult = { ok: true; file: string } | { ok: false; error: string };

/** What the commands act on. */
export interface ControlTarget {
  /** The daemon's state now (src/control/status.ts). */
  status(): Promise<unknown>;
  /** How `name` `type` would be answered; `live` also asks the servers now (src/control/explain.ts). */
  explain(name: string, type: string, live: boolean): Promise<unknown>;
  /** Drops cached answers at or under `zone` (all for null); how many. */
  flush(zone: string | null): Promise<number>;
  /** Reads the config again and applies it, as SIGHUP does; resolves once done. */
  reload(): Promise<ReloadResult>;
}

export type Parsed = { readonly ok: true; readonly request: Request } | { readonly ok: false; readonly error: string };

const bad = (error: string): Parsed => ({ ok: false, error });

/** The request on one line (without its newline), or why it is not one. */
export function parseRequest(line: string): Parsed {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return bad('request is not JSON: send one JSON object per line, e.g. {"command":"status"}');
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return bad('request is not a JSON object');
  const r = raw as Record<string, unknown>;
  const command = r['command'];
  if (typeof command !== 'string') return bad('request has no "command" string');
  switch (command) {
    case 'status':
    case 'reload':
      return onlyKeys(r, []) ?? { ok: true, request: { command } };
    case 'explain':
      return onlyKeys(r, ['name', 'type', 'query']) ?? explainRequest(r);
    case 'flush':
      return onlyKeys(r, ['zone']) ?? flushRequest(r);
    default:
      return bad(`unknown command ${JSON.stringify(command).slice(0, 80)}: one of ${COMMANDS.join(', ')}`);
  }
}

function onlyKeys(r: Record<string, unknown>, allowed: readonly string[]): Parsed | null {
  const extra = Object.keys(r).find((k) => k !== 'command' && !allowed.includes(k));
  return extra === undefined ? null : bad(`${String(r['command'])}: unknown argument ${JSON.stringify(extra).slice(0, 80)}`);
}

function explainRequest(r: Record<string, unknown>): Parsed {
  const name = domainName(r['name'], 'explain: "name"');
  if (typeof name !== 'string') return name;
  const type = r['type'] ?? 'A';
  if (typeof type !== 'string' || !/^[A-Za-z][A-Za-z0-9]{0,15}$/.test(type)) {
    return bad('explain: "type" must be a record type such as A, AAAA, MX or TYPE65');
  }
  const query = r['query'] ?? false;
  if (typeof query !== 'boolean') return bad('explain: "query" must be true or false');
  return { ok: true, request: { command: 'explain', name, type: type.toUpperCase(), query } };
}

function flushRequest(r: Record<string, unknown>): Parsed {
  const zone = r['zone'] ?? null;
  if (zone === null) return { ok: true, request: { command: 'flush', zone: null } };
  const name = domainName(zone, 'flush: "zone"');
  return typeof name === 'string' ? { ok: true, request: { command: 'flush', zone: name } } : name;
}

/**
 * `v` as a domain name in lower case without its trailing dot ('' for the root), or why it is
 * not one: labels of 1 to 63 characters, 253 at most in all, printable ASCII without spaces.
 */
function domainName(v: unknown, what: string): string | Parsed {
  if (typeof v !== 'string') return bad(`${what} must be a domain name`);
  const name = v === '.' ? '' : v.replace(/\.$/, '').toLowerCase();
  const show = JSON.stringify(v).slice(0, 80);
  if (name.length > 253) return bad(`${what} ${show}: longer than 253 characters`);
  if (name === '' && v !== '.') return bad(`${what}: empty (use "." for the root)`);
  if (!/^[\x21-\x7e]*$/.test(name)) return bad(`${what} ${show}: only printable ASCII without spaces`);
  if (name !== '' && name.split('.').some((l) => l.length === 0 || l.length > 63)) {
    return bad(`${what} ${show}: each label must be 1 to 63 characters`);
  }
  return name;
}

/** Runs `request` on `target`; an exception becomes an ok:false response with its message on one line. */
export async function answer(target: ControlTarget, request: Request): Promise<Response> {
  try {
    switch (request.command) {
      case 'status':
        return { ok: true, result: await target.status() };
      case 'explain':
        return { ok: true, result: await target.explain(request.name, request.type, request.query) };
      case 'flush':
        return { ok: true, result: { flushed: await target.flush(request.zone) } };
      case 'reload': {
        const r = await target.reload();
        return r.ok ? { ok: true, result: { file: r.file } } : { ok: false, error: oneLine(r.error) };
      }
    }
  } catch (err) {
    return { ok: false, error: oneLine(err instanceof Error ? err.message : String(err)) };
  }
}

/** `text` on one line. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ');
}

/** A response as the line sent on the socket. */
export function encodeResponse(r: Response): string {
  return JSON.stringify(r) + '\n';
}

/** A request as the line sent on the socket. */
export function encodeRequest(r: Request): string {
  return JSON.stringify(r) + '\n';
}

/** A response line read by the client, or null when it is not one. */
export function parseResponse(line: string): Response | null {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return null;
  }
  if (raw === null || typeof raw !== 'object') return null;
  const r = raw as Record<string, unknown>;
  if (r['ok'] === true && 'result' in r) return { ok: true, result: r['result'] };
  if (r['ok'] === false && typeof r['error'] === 'string') return { ok: false, error: r['error'] };
  return null;
}

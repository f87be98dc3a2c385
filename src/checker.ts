// The toolkit each stage's config section (its config.ts) is checked with: a Checker that turns a
// bad value into a ConfigError located in the source (FILE:LINE:COL), and checks for the shapes
// YAML gives (mappings with known keys, lists, strings parsed into values, flags, integers in a range).
import { parseEndpoint, type Endpoint, type ParseResult } from './address.js';

/** A configuration error, located in its file: rendered as `FILE:LINE:COL: reason`. */
export interface ConfigError {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** Dotted path of the offending key, e.g. `routes[1].servers[0]`. */
  readonly key: string;
  readonly reason: string;
}

export type PathSegment = string | number;
/** Where the key or the value at `path` sits in the source text (1-based; 0:0 when unknown). */
export type Locator = (path: readonly PathSegment[], part: 'key' | 'value') => { line: number; col: number };

export type Failure = { ok: false; error: ConfigError };
export type Check<T> = { ok: true; value: T } | Failure;
export type Raw = Readonly<Record<string, unknown>>;
/** A numeric setting: its YAML key and its inclusive range. */
export type Field = readonly [key: string, min: number, max: number];

export const ok = <T>(value: T): Check<T> => ({ ok: true, value });

/** Dotted path of a key, e.g. `routes[1].servers[0]`. */
function keyPath(path: readonly PathSegment[]): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

export class Checker {
  constructor(
    readonly file: string,
    readonly locate: Locator,
  ) {}

  fail(path: readonly PathSegment[], reason: string, part: 'key' | 'value' = 'value'): Failure {
    const { line, col } = this.locate(path, part);
    const key = keyPath(path);
    return { ok: false, error: { file: this.file, line, col, key, reason: key ? `${key}: ${reason}` : reason } };
  }
}

/** The value of `key` in `raw`, or `fallback` when the key is absent. */
export function pick(raw: Raw, key: string, fallback: unknown): unknown {
  return Object.hasOwn(raw, key) ? raw[key] : fallback;
}

/** How an unexpected value reads in an error: `a list`, `the string "x"`, `number 5`. */
export function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return typeof v === 'string' ? `the string "${v}"` : `${typeof v} ${String(v)}`;
}

/** A mapping with only `allowed` keys and all `needed` ones; `key:` alone is an empty mapping. */
export function mapping(c: Checker, raw: unknown, path: PathSegment[], allowed: readonly string[], needed: string[] = []): Check<Raw> {
  const m = raw ?? {};
  const isMapping = typeof m === 'object' && m !== null && !Array.isArray(m);
  if (!isMapping) return c.fail(path, `expected a mapping, got ${describe(raw)}`);
  const unknown = Object.keys(m).find((k) => !allowed.includes(k));
  const others = allowed.join(', ');
  if (unknown !== undefined) return c.fail([...path, unknown], `unknown key (allowed here: ${others})`, 'key');
  const missing = needed.find((k) => !Object.hasOwn(m, k));
  return missing === undefined ? ok(m as Raw) : c.fail(path, `missing key "${missing}"`);
}

/** Each item of a list checked by `one`, which also sees the items accepted so far; `key:` alone is []. */
export function each<T>(
  c: Checker,
  raw: unknown,
  path: PathSegment[],
  one: (item: unknown, path: PathSegment[], done: readonly T[]) => Check<T>,
): Check<T[]> {
  const isList = raw === null || raw === undefined || Array.isArray(raw);
  if (!isList) return c.fail(path, `expected a list, got ${describe(raw)}`);
  const out: T[] = [];
  for (const [i, item] of (raw ?? []).entries()) {
    const r = one(item, [...path, i], out);
    if (!r.ok) return r;
    out.push(r.value);
  }
  return ok(out);
}

/** A string turned into a T by `parse`, whose reason becomes the error. */
export function parsed<T>(c: Checker, raw: unknown, path: PathSegment[], parse: (s: string) => ParseResult<T>): Check<T> {
  if (typeof raw !== 'string') return c.fail(path, `expected a string, got ${describe(raw)}`);
  const r = parse(raw);
  return r.ok ? ok(r.value) : c.fail(path, r.reason);
}

export function oneOf<T extends string>(c: Checker, raw: unknown, path: PathSegment[], choices: readonly T[]): Check<T> {
  return parsed(c, raw, path, (s): ParseResult<T> => {
    const found = choices.find((x) => x === s);
    if (found !== undefined) return { ok: true, value: found };
    return { ok: false, reason: `"${s}" is not one of ${choices.join(', ')}` };
  });
}

export function flag(c: Checker, raw: unknown, path: PathSegment[]): Check<boolean> {
  return typeof raw === 'boolean' ? ok(raw) : c.fail(path, `expected true or false, got ${describe(raw)}`);
}

/** A list of `ADDR[:PORT]`; `ifEmpty`, when given, is the error for an empty list. */
export function endpoints(c: Checker, raw: unknown, path: PathSegment[], ifEmpty: string | null): Check<Endpoint[]> {
  const r = each(c, raw, path, (item, p) => parsed(c, item, p, (s) => parseEndpoint(s)));
  return r.ok && r.value.length === 0 && ifEmpty !== null ? c.fail(path, ifEmpty) : r;
}

/**
 * A section of integer settings, each within its range; missing keys take their `defaults`
 * (spelled as the YAML file spells them). `otherKeys` are the section's keys checked elsewhere.
 */
export function numbers<K extends string>(
  c: Checker,
  raw: unknown,
  section: string,
  fields: Readonly<Record<K, Field>>,
  defaults: Raw,
  otherKeys: readonly string[] = [],
): Check<Record<K, number>> {
  const names = Object.keys(fields) as K[];
  const m = mapping(c, raw, [section], [...names.map((k) => fields[k][0]), ...otherKeys]);
  if (!m.ok) return m;
  const out = {} as Record<K, number>;
  for (const name of names) {
    const [key, min, max] = fields[name];
    const v = integer(c, pick(m.value, key, defaults[key]), [section, key], min, max);
    if (!v.ok) return v;
    out[name] = v.value;
  }
  return ok(out);
}

/** An integer from `min` to `max`. */
export function integer(c: Checker, v: unknown, path: PathSegment[], min: number, max: number): Check<number> {
  const isInt = typeof v === 'number' && Number.isInteger(v);
  if (!isInt) return c.fail(path, `expected an integer, got ${describe(v)}`);
  if (v < min || v > max) return c.fail(path, `must be from ${min} to ${max}, got ${v}`);
  return ok(v);
}

// Every key the config file accepts, found by asking the validator itself (config/schema.ts): a
// mapping with an unknown key is refused with "unknown key (allowed here: A, B, ...)", so probing
// each mapping, and each list item that is a mapping, with a key no schema has lists the keys at
// that place; each of those is probed in turn. A new key, wherever a section's config.ts adds it,
// shows up here without a list kept by hand.
import type { PathSegment } from '../../src/checker.js';
import { validateConfig } from '../../src/config/schema.js';

const PROBE = 'no_such_key_probe';

/** A config that holds VALUE at PATH (a number is a list index) and nothing else. */
function placeAt(path: readonly PathSegment[], value: unknown): unknown {
  return path.reduceRight<unknown>((inner, seg) => (typeof seg === 'number' ? [inner] : { [seg]: inner }), value);
}

/** The keys the validator allows in a mapping at PATH, or null if no mapping is checked there. */
function allowedAt(path: readonly PathSegment[]): string[] | null {
  /** The keys listed when MAPPING (with the probe key added) is at PATH, or the reason it failed otherwise. */
  const probe = (mapping: Record<string, unknown>): { keys: string[] } | { reason: string } | null => {
    const r = validateConfig(placeAt(path, { ...mapping, [PROBE]: 1 }));
    if (r.ok) return null;
    const m = /unknown key \(allowed here: ([^)]*)\)$/.exec(r.error.reason);
    return m && r.error.key.endsWith(PROBE) ? { keys: m[1]!.split(', ').filter(Boolean) } : { reason: r.error.reason };
  };
  const first = probe({});
  if (!first || 'keys' in first) return first?.keys ?? null;
  // A mapping whose shape depends on a key it has (a listen entry's "address" or "interface")
  // names those keys in quotes: each shape is probed with its key.
  const found = new Set<string>();
  for (const [, word] of first.reason.matchAll(/"([a-z_]+)"/g)) {
    const r = probe({ [word!]: null });
    for (const key of r && 'keys' in r ? r.keys : []) found.add(key);
  }
  return found.size > 0 ? [...found] : null;
}

/** Every key path the config file accepts: `cache.size`, `routes[].zone`, `listen[].interface`. */
export function configKeys(): string[] {
  const out = new Set<string>();
  const visit = (path: PathSegment[], name: string, depth: number): void => {
    if (depth > 4) return;
    for (const [at, suffix] of [[path, ''], [[...path, 0], '[]']] as const) {
      if (path.length === 0 && suffix) continue;
      const keys = allowedAt(at);
      if (!keys) continue;
      for (const key of keys) {
        const keyName = `${name}${suffix}${name || suffix ? '.' : ''}${key}`;
        out.add(keyName);
        visit([...at, key], keyName, depth + 1);
      }
    }
  };
  visit([], '', 0);
  return [...out].sort();
}

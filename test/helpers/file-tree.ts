// Builds small directory trees from a description and takes snapshots of them (type, mode, owner,
// content, symlink target), so a test can compare a tree before and after scripts/install.sh.
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** A file's text (or bytes), a symlink (`{ link }`), a directory (`{ dir: true }`); mode and owner optional. */
export type Entry =
  | string
  | Buffer
  | { text: string | Buffer; mode?: number; uid?: number; gid?: number }
  | { link: string }
  | { dir: true; mode?: number };

export type TreeSpec = Record<string, Entry>;

/** Creates every entry of `spec` under `root` (paths relative, parents created 0755). */
export function writeTree(root: string, spec: TreeSpec): void {
  for (const [path, entry] of Object.entries(spec)) {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true, mode: 0o755 });
    if (typeof entry === 'string' || Buffer.isBuffer(entry)) {
      writeFileSync(full, entry, { mode: 0o644 });
      chmodSync(full, 0o644);
    } else if ('link' in entry) {
      symlinkSync(entry.link, full);
    } else if ('dir' in entry) {
      mkdirSync(full, { recursive: true });
      chmodSync(full, entry.mode ?? 0o755);
    } else {
      writeFileSync(full, entry.text);
      chmodSync(full, entry.mode ?? 0o644);
      if (entry.uid !== undefined || entry.gid !== undefined) chownSync(full, entry.uid ?? 0, entry.gid ?? 0);
    }
  }
}

export interface SnapshotOptions {
  /** Include modification times (nanoseconds): a run that rewrites nothing keeps them. */
  readonly mtimes?: boolean;
}

/** One line per path under `root`: type, mode, owner, then content (text or sha256) or link target. */
export function snapshot(root: string, options: SnapshotOptions = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    const full = join(root, rel);
    const st = lstatSync(full, { bigint: true });
    const mode = (Number(st.mode) & 0o7777).toString(8).padStart(4, '0');
    const head = `${mode} ${st.uid}:${st.gid}${options.mtimes ? ` mtime=${st.mtimeNs}` : ''}`;
    if (st.isSymbolicLink()) {
      out[rel] = `link -> ${readlinkSync(full)} ${st.uid}:${st.gid}`;
    } else if (st.isDirectory()) {
      if (rel) out[`${rel}/`] = `dir ${head}`;
      for (const name of readdirSync(full).sort()) walk(rel ? `${rel}/${name}` : name);
    } else {
      out[rel] = `file ${head} ${describeContent(readFileSync(full))}`;
    }
  };
  walk('');
  return out;
}

/** Short texts verbatim (readable diffs), anything else by size and sha256. */
function describeContent(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  if (bytes.length <= 2048 && !text.includes('\0') && Buffer.from(text, 'utf8').equals(bytes)) return JSON.stringify(text);
  return `${bytes.length} bytes sha256=${createHash('sha256').update(bytes).digest('hex')}`;
}

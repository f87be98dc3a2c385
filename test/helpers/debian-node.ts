// The Nodes of other Debian releases, unpacked beside the system's own by scripts/test-nodes.sh
// (which .ci/run calls): Debian 12's nodejs 18, the oldest Node dnsfwd supports, and Debian 11's
// nodejs 12, one too old (as Ubuntu 22.04's). Each runs with its own libraries (LD_LIBRARY_PATH);
// Debian's node 18 also loads some of its built-in modules from /usr/share/nodejs, so it runs in
// a mount namespace of its own where its copy is bind-mounted there.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { requireTool, ROOT } from './tools.js';

export interface DebianNode {
  /** node's path in the unpacked tree. */
  readonly node: string;
  /** Environment words for `env`: its libraries. */
  readonly env: readonly string[];
  /** The command words that run ARGV with this node's files in place: `[...prefix, ...argv]`. */
  readonly prefix: readonly string[];
}

export function debianNode(major: 18 | 12): DebianNode {
  const root = join(ROOT, `.cache/node${major}/root`);
  const node = join(root, 'usr/bin/node');
  if (!existsSync(node)) throw new Error(`${node} is missing: run scripts/test-nodes.sh (.ci/run does)`);
  const env = [`LD_LIBRARY_PATH=${join(root, 'usr/lib/x86_64-linux-gnu')}`];
  if (major === 12) return { node, env, prefix: [] };
  requireTool('unshare');
  const share = join(root, 'usr/share/nodejs');
  // An empty /usr/share/nodejs is made only where the system has none (a mount point is needed).
  const script = `[ -d /usr/share/nodejs ] || mkdir -p /usr/share/nodejs; mount --bind "${share}" /usr/share/nodejs && exec "$@"`;
  return { node, env, prefix: ['unshare', '-m', '--propagation', 'private', 'sh', '-c', script, 'sh'] };
}

// Runs scripts/install.sh --root on a seeded tree in a temporary directory, with stub system
// commands first on PATH (they log to a file, so a test can see that none ran).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemCommandStubs } from './fake-systems.js';
import { snapshot, writeTree, type TreeSpec } from './file-tree.js';
import { ROOT } from './tools.js';

export const INSTALL_SH = join(ROOT, 'scripts/install.sh');

export interface InstallRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A temporary directory holding the target tree (`root`), the stubs and their log. */
export class InstallSandbox {
  readonly dir = mkdtempSync(join(tmpdir(), 'dnsfwd-install-'));
  readonly root = join(this.dir, 'root');
  private readonly stubs = join(this.dir, 'stubs');
  private readonly log = join(this.dir, 'stub.log');

  constructor(seed: TreeSpec) {
    writeTree(this.root, seed);
    writeTree(this.stubs, systemCommandStubs());
  }

  /** install.sh --root <root> ARGS, with only the stubs and the system's bin directories on PATH. */
  run(...args: string[]): InstallRun {
    const r = spawnSync('sh', [INSTALL_SH, '--root', this.root, ...args], {
      encoding: 'utf8',
      env: { PATH: `${this.stubs}:/usr/sbin:/usr/bin:/sbin:/bin`, STUB_LOG: this.log, LC_ALL: 'C' },
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** The system commands that ran, one line each ("systemctl enable dnsfwd.service"). */
  commandsRun(): string[] {
    return existsSync(this.log) ? readFileSync(this.log, 'utf8').split('\n').filter(Boolean) : [];
  }

  read(path: string): string {
    return readFileSync(join(this.root, path), 'utf8');
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** What one install, a second install and an uninstall did to a sandbox's tree. */
export interface RoundTrip {
  readonly before: Record<string, string>;
  readonly first: InstallRun;
  /** The tree after the first run, modification times included. */
  readonly installed: Record<string, string>;
  readonly second: InstallRun;
  readonly afterSecond: Record<string, string>;
  readonly uninstall: InstallRun;
  readonly afterUninstall: Record<string, string>;
}

/**
 * Installs with ARGS, then `inspect`s the installed tree, installs again and uninstalls,
 * taking snapshots between the steps.
 */
export function roundTrip(box: InstallSandbox, args: string[], inspect: (first: InstallRun) => void): RoundTrip {
  const before = snapshot(box.root);
  const first = box.run(...args);
  const installed = snapshot(box.root, { mtimes: true });
  inspect(first);
  const second = box.run(...args);
  const afterSecond = snapshot(box.root, { mtimes: true });
  const uninstall = box.run('--uninstall', ...args);
  const afterUninstall = snapshot(box.root);
  return { before, first, installed, second, afterSecond, uninstall, afterUninstall };
}

/** A config/ file as install.sh appends it to a file it shares with others. */
export function installedBlock(configFile: string): string {
  const body = readFileSync(join(ROOT, 'config', configFile), 'utf8');
  return `# >>> dnsfwd: scripts/install.sh --uninstall removes this block\n${body}# <<< dnsfwd\n`;
}

/** The text of a file in the repository. */
export function repoFile(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

// A PATH with a `dnsfwd` command that runs the built CLI, for the completion scripts, which ask
// `dnsfwd --get-yargs-completions ...` at each TAB.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { CLI } from './tools.js';

/** A directory holding a `dnsfwd` command that runs the built CLI, as the PATH of a shell. */
export function pathWithDnsfwd(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'dnsfwd-completion-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'dnsfwd'), `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`);
  chmodSync(join(dir, 'dnsfwd'), 0o755);
  return `${dir}:/usr/sbin:/usr/bin:/sbin:/bin`;
}

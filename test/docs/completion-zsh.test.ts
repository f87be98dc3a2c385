// Shell completion in zsh: completion/_dnsfwd, loaded by zsh's completion system from fpath in an
// interactive zsh in a pseudo-terminal (zsh/zpty), lists the options that match what was typed,
// with their --help descriptions, asking the built dnsfwd.
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { pathWithDnsfwd } from '../helpers/completion.js';
import { requireBuild, requireTool, ROOT } from '../helpers/tools.js';

requireBuild();
requireTool('zsh');

t.test('zsh: the completion system lists the options through completion/_dnsfwd', async (t) => {
  const path = pathWithDnsfwd(t);
  // zsh/zpty runs an interactive zsh in a pseudo-terminal: the completion system is loaded with
  // completion/ first on fpath, then `dnsfwd --log-` and TAB are typed; each read waits for what
  // must come (the marker printed once set up, then the listing and the command line redrawn).
  const driver = [
    'zmodload zsh/zpty',
    'zpty z zsh -f -i',
    `zpty -w z "fpath=(\${(q)FNDIR} \\$fpath); autoload -Uz compinit; compinit -u -D; PS1='READY> '; print -r -- SET''UP"`,
    "zpty -r z out '*SETUP*READY> *'",
    "zpty -w -n z $'dnsfwd --log-\\t'",
    "zpty -r z out '*--log-queries*dnsfwd --log-*'", // the listing, then the line redrawn under it
    'print -r -- "$out"',
    'zpty -d z',
  ].join('\n');
  const r = spawnSync('zsh', ['-f', '-c', driver], {
    encoding: 'utf8',
    env: { PATH: path, FNDIR: join(ROOT, 'completion'), SHELL: '/bin/zsh', TERM: 'vt100', HOME: tmpdir() },
  });
  t.equal(r.status, 0, r.stderr);
  const listing = r.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]|\0/g, '');
  t.match(listing, /--log-level\s+-- log level/, 'listed with its --help description');
  t.match(listing, /--log-queries\s+-- log every answered query/);
  t.notMatch(listing, '--listen', 'only the options that start with --log-');
});

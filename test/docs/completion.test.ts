// Shell completion: the scripts in completion/ are what `dnsfwd completion` prints (yargs' own,
// for bash and, with SHELL=zsh, for zsh), and they complete a real command line: bash's function
// is called as bash's programmable completion calls it (COMP_WORDS, COMP_CWORD), zsh's through
// zsh's completion system in a pseudo-terminal (zsh/zpty), both asking the built dnsfwd.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { CLI, requireBuild, requireTool, ROOT } from '../helpers/tools.js';

requireBuild();
requireTool('bash');
requireTool('zsh');

const REGENERATE = 'npm run bundle && node dist/dnsfwd.mjs completion >completion/dnsfwd.bash && SHELL=/bin/zsh node dist/dnsfwd.mjs completion >completion/_dnsfwd';

/** A directory holding a `dnsfwd` command that runs the built CLI, as the PATH of a shell. */
function pathWithDnsfwd(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'dnsfwd-completion-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'dnsfwd'), `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`);
  chmodSync(join(dir, 'dnsfwd'), 0o755);
  return `${dir}:/usr/sbin:/usr/bin:/sbin:/bin`;
}

function dnsfwd(args: string[], env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
  if (r.status !== 0) throw new Error(`dnsfwd ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

t.test('completion/ holds what `dnsfwd completion` prints now', async (t) => {
  t.equal(readFileSync(join(ROOT, 'completion/dnsfwd.bash'), 'utf8'), dnsfwd(['completion'], { SHELL: '/bin/bash' }), `bash; regenerate: ${REGENERATE}`);
  t.equal(readFileSync(join(ROOT, 'completion/_dnsfwd'), 'utf8'), dnsfwd(['completion'], { SHELL: '/bin/zsh' }), `zsh; regenerate: ${REGENERATE}`);
  t.notMatch(dnsfwd(['--help']), 'completion', '--help does not list the completion command');
});

/** What bash's completion of WORDS (the last one being completed) offers, through completion/dnsfwd.bash. */
function bashComplete(path: string, words: string[]): string[] {
  const script = [
    'source "$SCRIPT"',
    'complete -p dnsfwd',
    'read -r -a COMP_WORDS <<<"$WORDS"',
    '[ "${WORDS: -1}" != " " ] || COMP_WORDS+=("")',
    'COMP_CWORD=$((${#COMP_WORDS[@]} - 1))',
    '_dnsfwd_yargs_completions',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script], {
    encoding: 'utf8',
    env: { PATH: path, SCRIPT: join(ROOT, 'completion/dnsfwd.bash'), WORDS: words.join(' ') },
  });
  if (r.status !== 0) throw new Error(`bash: exit ${r.status}: ${r.stderr}`);
  const [registration, ...offered] = r.stdout.split('\n').filter(Boolean);
  if (registration !== 'complete -o bashdefault -o default -F _dnsfwd_yargs_completions dnsfwd') throw new Error(`not registered: ${registration}`);
  return offered.sort();
}

t.test('bash: options, their choices and the commands', async (t) => {
  const path = pathWithDnsfwd(t);
  t.same(bashComplete(path, ['dnsfwd', '--lo']), ['--log-level', '--log-queries'], 'dnsfwd --lo<TAB>');
  t.same(bashComplete(path, ['dnsfwd', 'check', '--lo']), ['--log-level', '--log-queries'], 'dnsfwd check --lo<TAB>');
  t.same(bashComplete(path, ['dnsfwd', '-c', 'x.yaml', '--log-level', 'd']), ['debug'], 'a choice, after an option with a value');
  t.same(bashComplete(path, ['dnsfwd', '--log-level', 'i']), ['info']);
  const commands = bashComplete(path, ['dnsfwd', '']);
  t.ok(commands.includes('run') && commands.includes('check'), 'dnsfwd <TAB>: the commands', { commands });
  t.notOk(commands.some((c) => c.startsWith('-')), 'no options for an empty word after the program name');
});

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

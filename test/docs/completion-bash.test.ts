// Shell completion in bash: completion/dnsfwd.bash completes a real command line, its function
// called as bash's programmable completion calls it (COMP_WORDS, COMP_CWORD), asking the built
// dnsfwd. completion-zsh.test.ts does the same for zsh, completion-scripts.test.ts checks that the
// scripts are what `dnsfwd completion` prints.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { pathWithDnsfwd } from '../helpers/completion.js';
import { requireBuild, requireTool, ROOT } from '../helpers/tools.js';

requireBuild();
requireTool('bash');

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
  t.same(bashComplete(path, ['dnsfwd', '--lo']), ['--log-file', '--log-format', '--log-level', '--log-queries'], 'dnsfwd --lo<TAB>');
  t.same(bashComplete(path, ['dnsfwd', 'check', '--lo']), ['--log-file', '--log-format', '--log-level', '--log-queries'], 'dnsfwd check --lo<TAB>');
  t.same(bashComplete(path, ['dnsfwd', '-c', 'x.yaml', '--log-level', 'd']), ['debug'], 'a choice, after an option with a value');
  const commands = bashComplete(path, ['dnsfwd', '']);
  t.ok(commands.includes('run') && commands.includes('check'), 'dnsfwd <TAB>: the commands', { commands });
  t.notOk(commands.some((c) => c.startsWith('-')), 'no options for an empty word after the program name');
});

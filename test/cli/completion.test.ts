// completionArgs: a completion request for a line that names no command yet, ending in an option
// or an option's value, is completed as `dnsfwd run ...`; everything else goes to yargs as it is.
import t from 'tap';
import { completionArgs } from '../../src/cli/completion.js';

const KEY = '--get-yargs-completions';

t.test('a line without a command, at an option or its value: run is put after the program', async (t) => {
  t.same(completionArgs([KEY, 'dnsfwd', '--lo']), [KEY, 'dnsfwd', 'run', '--lo']);
  t.same(completionArgs([KEY, 'dnsfwd', '-']), [KEY, 'dnsfwd', 'run', '-']);
  t.same(completionArgs([KEY, 'dnsfwd', '--log-level', '']), [KEY, 'dnsfwd', 'run', '--log-level', ''], 'the value of an option');
  t.same(completionArgs([KEY, 'dnsfwd', '-c', 'x.yaml', '--lo']), [KEY, 'dnsfwd', 'run', '-c', 'x.yaml', '--lo'], 'after an alias and its value');
  t.same(completionArgs([KEY, 'dnsfwd', '--log-queries', '--w']), [KEY, 'dnsfwd', 'run', '--log-queries', '--w']);
  t.same(completionArgs([KEY, 'dnsfwd', '--config', 'x', '--route', 'a=1', '--upstream', 'd']), [KEY, 'dnsfwd', 'run', '--config', 'x', '--route', 'a=1', '--upstream', 'd']);
});

t.test('left as they are: a command named, a word that is no option, other command lines', async (t) => {
  for (const args of [
    [KEY, 'dnsfwd', ''],
    [KEY, 'dnsfwd', 'ch'],
    [KEY, 'dnsfwd', 'check', '--lo'],
    [KEY, 'dnsfwd', 'run', '--log-level', ''],
    [KEY, 'dnsfwd', '--config', 'x', ''],
    [KEY, 'dnsfwd', '--log-queries', ''],
    [KEY, 'dnsfwd'],
    [KEY],
    ['--help'],
    ['check', '--lo'],
    ['--config', 'x.yaml', '--log-queries'],
    [],
  ]) {
    t.same(completionArgs(args), args, args.join(' '));
  }
});

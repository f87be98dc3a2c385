// Shell completion (completion/ holds the scripts `dnsfwd completion` prints): the scripts ask
// `dnsfwd --get-yargs-completions dnsfwd WORD...` at each TAB, and yargs answers from the commands
// and options it knows. yargs learns a command's options only once the line names the command,
// so a line that names none is completed as `dnsfwd run ...`, the default command's.
import { OPTIONS } from './argv.js';

const COMPLETION_KEY = '--get-yargs-completions';

/** True if WORD is an option that takes the next word as its value (`--config`, `-c`). */
function takesValue(word: string): boolean {
  return OPTIONS.some((o) => o.type !== 'boolean' && (word === `--${o.name}` || (o.alias !== undefined && word === `-${o.alias}`)));
}

/**
 * The arguments for yargs: ARGS as they are, unless they ask for the completion of a line that
 * names no command yet and ends in an option or an option's value; then with `run` put after the
 * program's name, so that yargs offers the default command's options and their choices.
 */
export function completionArgs(args: readonly string[]): string[] {
  if (args[0] !== COMPLETION_KEY || args.length < 3) return [...args];
  const [key, program, ...words] = args as [string, string, ...string[]];
  const current = words[words.length - 1]!;
  const before = words.slice(0, -1);
  let i = 0;
  for (; i < before.length; i++) {
    const word = before[i]!;
    if (!word.startsWith('-')) return [...args]; // a command (or a stray word): yargs knows what to do
    if (takesValue(word)) i++;
  }
  const isValue = i > before.length; // the last option before the current word takes it as its value
  return current.startsWith('-') || isValue ? [key, program, 'run', ...words] : [...args];
}

// The man pages in man/: mandoc's linter has nothing to say about them, dnsfwd(8) has an entry for
// every option of src/cli/argv.ts OPTIONS and every command --help lists, and dnsfwd.yaml(5) one
// for every key the config validator accepts (found by probing it: helpers/config-keys.ts), so an
// option, command or key added without its documentation fails here.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { OPTIONS } from '../../src/cli/argv.js';
import { configKeys } from '../helpers/config-keys.js';
import { CLI, requireBuild, requireTool, ROOT } from '../helpers/tools.js';

requireTool('mandoc');
requireBuild();

const PAGES = ['man/dnsfwd.8', 'man/dnsfwd.yaml.5'];

function mandoc(args: string[]): { status: number | null; output: string } {
  const r = spawnSync('mandoc', args, { encoding: 'utf8' });
  return { status: r.status, output: r.stdout + r.stderr };
}

/** The page as `man` shows it, in plain text (mandoc's overstrikes for bold and underline removed). */
function rendered(page: string): string {
  const r = mandoc(['-Tascii', join(ROOT, page)]);
  if (r.status !== 0) throw new Error(`mandoc -Tascii ${page}: ${r.output}`);
  return r.output.replace(/.\x08/g, '');
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** True if TEXT has an entry (a tagged paragraph, or a heading) that starts with TAG. */
function hasEntry(text: string, tag: string): boolean {
  return new RegExp(`^ +${escape(tag)}(?= |$)`, 'm').test(text);
}

for (const page of PAGES) {
  t.test(`mandoc -Tlint -W all ${page}: nothing to say`, async (t) => {
    const r = mandoc(['-Tlint', '-W', 'all', join(ROOT, page)]);
    t.equal(r.output, '', 'no message, not even of style');
    t.equal(r.status, 0);
  });
}

t.test('dnsfwd(8): every option and every command', async (t) => {
  const text = rendered('man/dnsfwd.8');
  for (const o of OPTIONS) {
    const tag = o.alias ? `-${o.alias}, --${o.name}` : `--${o.name}`;
    t.ok(hasEntry(text, tag), `an entry for ${tag}`);
  }
  const help = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' }).stdout;
  const commands = [...help.matchAll(/^ {2}dnsfwd ([a-z][a-z-]*)/gm)].map((m) => m[1]!);
  t.ok(commands.includes('check'), 'the commands are read from --help', { commands });
  for (const command of commands) t.ok(hasEntry(text, command), `an entry for the command ${command}`);
  for (const tag of ['-h, --help', '-v, --version']) t.ok(hasEntry(text, tag), `an entry for ${tag}`);
  t.notOk(hasEntry(text, '--no-such-option'), 'the check can fail');
});

t.test('dnsfwd.yaml(5): every key the config file accepts', async (t) => {
  const keys = configKeys();
  for (const key of ['listen', 'listen[].interface', 'routes[].zone', 'default.sources[].max_bytes', 'cache.size', 'rate_limit.slip']) {
    t.ok(keys.includes(key), `the probe finds ${key}`);
  }
  const text = rendered('man/dnsfwd.yaml.5');
  for (const key of keys) t.ok(hasEntry(text, key), `an entry for ${key}`);
  t.notOk(hasEntry(text, 'cache.no_such_key'), 'the check can fail');
});

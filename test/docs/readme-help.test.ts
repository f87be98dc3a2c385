// The README's "Command line" block is the literal output of the built dnsfwd's --help, so that a
// new option or command is documented there as --help words it (scripts/readme-help.mjs rewrites
// the block after a change).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { CLI, requireBuild, ROOT } from '../helpers/tools.js';

requireBuild();

const MARKER = '<!-- dnsfwd --help: `npm run bundle && node scripts/readme-help.mjs` rewrites the block below -->';

/** The fenced block under MARKER in README.md, without its fences. */
function readmeBlock(): string {
  const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n');
  const at = lines.indexOf(MARKER);
  if (at < 0 || lines[at + 1] !== '```text') throw new Error(`README.md: no \`\`\`text block under ${MARKER}`);
  const end = lines.indexOf('```', at + 2);
  return lines.slice(at + 2, end).join('\n');
}

t.test('the README shows what dnsfwd --help prints', async (t) => {
  // A pipe, as scripts/readme-help.mjs reads it: yargs wraps at 80 columns.
  const r = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^\s+--log-level\s/m, 'the help lists the options');
  t.equal(readmeBlock(), r.stdout.trimEnd(), 'README "Command line" block; to update it: npm run bundle && node scripts/readme-help.mjs');
});

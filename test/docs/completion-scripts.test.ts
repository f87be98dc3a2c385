// The shell completion scripts in completion/ are what `dnsfwd completion` prints now: yargs' own
// for bash and, with SHELL=zsh, for zsh (a yargs upgrade that changes them shows here); the
// completion command is left out of --help.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { CLI, requireBuild, ROOT } from '../helpers/tools.js';

requireBuild();

const REGENERATE = 'npm run bundle && node dist/dnsfwd.mjs completion >completion/dnsfwd.bash && SHELL=/bin/zsh node dist/dnsfwd.mjs completion >completion/_dnsfwd';

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

#!/usr/bin/env node
// Rewrites the README's "Command line" block (the fenced block under the `dnsfwd --help` marker)
// with what the built dnsfwd's --help prints now. Run it after a change to the options or commands:
//   npm run bundle && node scripts/readme-help.mjs
// test/docs/readme-help.test.ts fails until the README and --help agree.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const README = fileURLToPath(new URL('../README.md', import.meta.url));
const CLI = fileURLToPath(new URL('../dist/dnsfwd.mjs', import.meta.url));
/** The marker line; the fenced block right after it is --help's output. */
const MARKER = '<!-- dnsfwd --help: `npm run bundle && node scripts/readme-help.mjs` rewrites the block below -->';

// A pipe, not a terminal: yargs wraps at 80 columns whatever the terminal's width.
const help = execFileSync(process.execPath, [CLI, '--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const text = readFileSync(README, 'utf8');
const block = new RegExp(`^${MARKER.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n\`\`\`text\\n[^]*?^\`\`\`$`, 'm');
if (!block.test(text)) {
  process.stderr.write(`readme-help: README.md has no block under the line\n${MARKER}\n`);
  process.exit(1);
}
writeFileSync(README, text.replace(block, () => `${MARKER}\n\`\`\`text\n${help.trimEnd()}\n\`\`\``));

// `dnsfwd` through yargs: --help, --version, `check`, and every command line that argv.ts does
// not take as a plain run (an unknown flag, a missing value): yargs explains what is wrong.
import { readFileSync } from 'node:fs';
import yargs, { type Argv } from 'yargs';
import parse from 'yargs-parser';
import { hideBin } from 'yargs/helpers';
import { OPTIONS, type Flags } from './argv.js';
import { check, run } from './run.js';
import { DEFAULT_TIMEOUT_S, waitReadyCommand } from './wait-ready.js';

/**
 * A number flag's value: a whole number as a number; anything else as it was written, for the
 * config checks to name it (yargs' own number type turns `abc` into NaN).
 */
const wholeNumber = (v: string): number | string => (/^\d+$/.test(v) ? Number(v) : v);

function options(y: Argv): Argv<Flags> {
  let out = y;
  for (const o of OPTIONS) {
    out = out.option(o.name, {
      type: o.type === 'boolean' ? 'boolean' : 'string',
      ...(o.type === 'number' ? { coerce: wholeNumber } : {}),
      requiresArg: o.type !== 'boolean',
      describe: o.describe,
      ...(o.alias ? { alias: o.alias } : {}),
      ...(o.array ? { array: true } : {}),
      ...(o.choices ? { choices: [...o.choices] } : {}),
    });
  }
  return out as Argv<Flags>;
}

/** Set by the single-file build (npm run bundle); the tsc build reads package.json. */
declare const DNSFWD_VERSION: string | undefined;

function version(): string {
  if (typeof DNSFWD_VERSION === 'string') return DNSFWD_VERSION;
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * What --version prints: dnsfwd's version, the Node that runs it (a guest's own may be older than
 * the one it was built with), and the config file these arguments would use.
 */
function versionText(args: readonly string[]): string {
  const given = parse([...args], { string: ['config'], alias: { config: ['c'] } }).config as string | string[] | undefined;
  const config = given === undefined ? '(embedded default)' : [given].flat().join(' ');
  return [`dnsfwd ${version()}`, `node ${process.version} (${process.execPath})`, `config ${config}`].join('\n');
}

await yargs(hideBin(process.argv))
  .scriptName('dnsfwd')
  .usage('$0 [run|check|wait-ready] [options]\n\nLocal DNS forwarder: routes each query by zone to Consul, libvirt\'s dnsmasq or the DHCP nameservers.')
  .command(['run', '$0'], 'run the daemon (the default command)', options, (argv) => run(argv))
  .command('check', 'validate the configuration and print it; exit 2 with FILE:LINE:COL: reason on error', options, (argv) => check(argv))
  .command(
    'wait-ready',
    'wait until the daemon run with these options answers over UDP and TCP on each address it listens on; exit 1 if not within --timeout',
    (y) => options(y).option('timeout', { type: 'string', requiresArg: true, describe: `seconds to wait (default ${DEFAULT_TIMEOUT_S})` }),
    (argv) => waitReadyCommand(argv),
  )
  .version(versionText(hideBin(process.argv)))
  .strict()
  .fail((msg, err) => {
    if (err && err.name !== 'YError') throw err; // a bug: let Node print the stack
    // yargs' messages may span lines ("Invalid values:\n  Argument: ..."): one line, as every other error.
    const line = (msg ?? err?.message ?? '').replace(/\s*\n\s*/g, ' ');
    process.stderr.write(`dnsfwd: ${line}\nRun "dnsfwd --help" for the options.\n`);
    process.exit(2);
  })
  .help()
  .alias('h', 'help')
  .alias('v', 'version')
  .parseAsync();

// `dnsfwd` through yargs: --help, --version, `check`, the commands that talk to a running daemon
// over its control socket (status, explain, flush, reload), and every command line that argv.ts
// does not take as a plain run (an unknown flag, a missing value): yargs explains what is wrong.
import yargs, { type Argv } from 'yargs';
import parse from 'yargs-parser';
import { hideBin } from 'yargs/helpers';
import { EXIT_REJECTED, runCommand, signalReload } from '../control/client.js';
import { formatExplain } from '../control/explain.js';
import { formatStatus } from '../control/status.js';
import { OPTIONS, type Flags, type OptionSpec } from './argv.js';
import { completionArgs } from './completion.js';
import { BASH_COMPLETION, ZSH_COMPLETION } from './completion-scripts.js';
import { check, run } from './run.js';
import { dnsfwdVersion } from '../version.js';
import { DEFAULT_TIMEOUT_S, waitReadyCommand } from './wait-ready.js';

/**
 * A number flag's value: a whole number as a number; anything else as it was written, for the
 * config checks to name it (yargs' own number type turns `abc` into NaN).
 */
const wholeNumber = (v: string): number | string => (/^\d+$/.test(v) ? Number(v) : v);

/** The options of OPTIONS (those named in `only`, or all) for a command. */
function someOptions(y: Argv, only: readonly string[] | null): Argv<Flags> {
  let out = y;
  for (const o of OPTIONS.filter((spec: OptionSpec) => only === null || only.includes(spec.name))) {
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

/** Every option: `run` and `check`. */
const options = (y: Argv): Argv<Flags> => someOptions(y, null);

/** The options of the commands that talk to the daemon: where its socket is. */
const socketOptions = (y: Argv): Argv<Flags> => someOptions(y, ['config', 'control-socket']);

const json = { type: 'boolean', describe: 'print the result as JSON' } as const;

/** What `dnsfwd flush` prints. */
const flushed = (r: unknown): string => {
  const n = (r as { flushed: number }).flushed;
  return `flushed ${n} answer${n === 1 ? '' : 's'}`;
};

const pretty = (r: unknown): string => JSON.stringify(r, null, 2);

/**
 * What --version prints: dnsfwd's version, the Node that runs it (a guest's own may be older than
 * the one it was built with), and the config file these arguments would use.
 */
function versionText(args: readonly string[]): string {
  const given = parse([...args], { string: ['config'], alias: { config: ['c'] } }).config as string | string[] | undefined;
  const config = given === undefined ? '(embedded default)' : [given].flat().join(' ');
  return [`dnsfwd ${dnsfwdVersion()}`, `node ${process.version} (${process.execPath})`, `config ${config}`].join('\n');
}

// `dnsfwd completion`: the bash script, or the zsh one when SHELL is a zsh (as yargs decides).
if (hideBin(process.argv)[0] === 'completion') {
  process.stdout.write(/zsh/.test(process.env.SHELL ?? '') ? ZSH_COMPLETION : BASH_COMPLETION);
  process.exit(0);
}

await yargs(completionArgs(hideBin(process.argv)))
  .scriptName('dnsfwd')
  .usage('$0 [run|check|status|explain|flush|reload|wait-ready] [options]\n\nLocal DNS forwarder: routes each query by zone to Consul, libvirt\'s dnsmasq or the DHCP nameservers.')
  .command(['run', '$0'], 'run the daemon (the default command)', options, (argv) => run(argv))
  .command('check', 'validate the configuration and print it; exit 2 with FILE:LINE:COL: reason on error', options, (argv) => check(argv))
  .command(
    'status',
    'ask the running daemon for its listeners, routes and servers, sources and cache',
    (y) => socketOptions(y).option('json', json),
    (argv) => runCommand(argv, { command: 'status' }, argv.json ? pretty : formatStatus),
  )
  .command(
    'explain <name> [type]',
    'show how the running daemon would answer NAME (TYPE, A by default): route, servers, cache',
    (y) =>
      socketOptions(y)
        .positional('name', { type: 'string', demandOption: true, describe: 'the name asked' })
        .positional('type', { type: 'string', default: 'A', describe: 'record type (A, AAAA, MX, TYPE65...)' })
        .option('query', { type: 'boolean', default: false, describe: 'also ask the servers now: the live answer, who gave it, how long it took' })
        .option('json', json),
    (argv) => runCommand(argv, { command: 'explain', name: argv.name, type: argv.type, query: argv.query }, argv.json ? pretty : formatExplain),
  )
  .command(
    'flush [zone]',
    'drop the cached answers of the running daemon: all, or those at or under ZONE; print how many',
    (y) => socketOptions(y).positional('zone', { type: 'string', describe: 'a zone, e.g. consul' }),
    (argv) => runCommand(argv, { command: 'flush', zone: argv.zone ?? null }, flushed),
  )
  .command(
    'reload',
    'make the running daemon read its config again (as SIGHUP) and wait: exit 2 with FILE:LINE:COL: reason if it is rejected',
    (y) =>
      socketOptions(y).option('pid', {
        type: 'string',
        coerce: wholeNumber,
        requiresArg: true,
        describe: 'without a control socket (control_socket: ""), check the config and send SIGHUP to this process instead (the service files pass the daemon\'s)',
      }),
    (argv) => {
      const pid = argv.pid as number | string | undefined;
      if (pid !== undefined && (typeof pid !== 'number' || pid < 1)) {
        process.stderr.write(`dnsfwd: --pid: "${pid}" is not a process id\n`);
        process.exitCode = EXIT_REJECTED;
        return;
      }
      const fallback = pid === undefined ? undefined : () => signalReload(argv, pid);
      return runCommand(argv, { command: 'reload' }, (r) => `reloaded ${(r as { file: string }).file}`, EXIT_REJECTED, fallback);
    },
  )
  .command(
    'wait-ready',
    'wait until the daemon run with these options answers over UDP and TCP on each address it listens on; exit 1 if not within --timeout',
    (y) => options(y).option('timeout', { type: 'string', requiresArg: true, describe: `seconds to wait (default ${DEFAULT_TIMEOUT_S})` }),
    (argv) => waitReadyCommand(argv),
  )
  .version(versionText(hideBin(process.argv)))
  // `dnsfwd completion` prints the bash (or, with SHELL=zsh, zsh) script that completion/ ships;
  // hidden from --help. The script asks `dnsfwd --get-yargs-completions WORDS...` at each TAB.
  .completion('completion', false)
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

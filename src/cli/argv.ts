// The command-line options, described once. yargs builds --help and its checks from this table
// (command.ts); a plain `dnsfwd [run] --flag VALUE ...` is read with yargs-parser, the parser
// inside yargs, so that the running daemon does not carry yargs itself (about 11 MiB of RSS).
import parse from 'yargs-parser';
import type { ConfigOverrides } from '../config/types.js';
import { LOG_FORMATS, LOG_LEVELS } from '../log.js';

export interface Flags extends ConfigOverrides {
  readonly config?: string;
}

export interface OptionSpec {
  readonly name: string;
  readonly alias?: string;
  readonly type: 'string' | 'number' | 'boolean';
  readonly array?: boolean;
  readonly choices?: readonly string[];
  /** '' given explicitly is a value (`--control-socket ""`: no socket), not a missing one. */
  readonly emptyOk?: boolean;
  readonly describe: string;
}

export const OPTIONS: readonly OptionSpec[] = [
  { name: 'config', alias: 'c', type: 'string', describe: 'YAML config file (default: the embedded default)' },
  {
    name: 'listen',
    type: 'string',
    array: true,
    describe:
      'listen on ADDR[:PORT] (UDP+TCP), e.g. 127.0.0.1:53 or [::1]:53; iface:NAME[:PORT] for every address of ' +
      'interface NAME while it has them (e.g. iface:docker0); optional:ADDR[:PORT] for an address listened on ' +
      'while the host has it; repeatable; replaces the configured list',
  },
  {
    name: 'route',
    type: 'string',
    array: true,
    describe: 'ZONE=SERVER[,SERVER...]: forward ZONE to these servers (SERVER is ADDR[:PORT], port 53 by default); adds to or replaces a configured route',
  },
  {
    name: 'lease-file',
    type: 'string',
    array: true,
    describe: '[KIND:]PATH: a file naming the default route servers, KIND dhclient (the default), dhcpcd, networkd or resolvconf; * allowed in the file name, DIR/ for the kind\'s files in DIR; replaces the configured sources',
  },
  {
    name: 'upstream',
    type: 'string',
    array: true,
    describe: 'static server for the default route, used when no source gives any; replaces the configured list',
  },
  { name: 'log-level', type: 'string', choices: LOG_LEVELS, describe: 'log level' },
  { name: 'log-queries', type: 'boolean', describe: 'log every answered query at info (log_queries)' },
  { name: 'log-format', type: 'string', choices: LOG_FORMATS, describe: 'log lines as json (the default) or readable text (log_format)' },
  { name: 'log-file', type: 'string', describe: 'append the log lines to this file instead of stdout; SIGUSR2 reopens it (log_file)' },
  { name: 'workers', type: 'number', describe: 'processes answering queries (cluster; each has its own cache)' },
  { name: 'user', type: 'string', describe: 'started as root: run as this user once the sockets are bound' },
  {
    name: 'control-socket',
    type: 'string',
    emptyOk: true,
    describe: 'the Unix socket of the status, explain, flush and reload commands (control_socket; default /run/dnsfwd/control.sock)',
  },
];

const camel = (name: string): string => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * The flags of a plain run (`dnsfwd [run]` with known options, each with a proper value), or null
 * for anything else — help, version, check, an unknown flag, a missing value — which yargs handles.
 */
export function plainRun(args: readonly string[]): Flags | null {
  const strings = OPTIONS.filter((o) => o.type === 'string').map((o) => o.name);
  const parsed = parse([...args], {
    string: strings,
    number: OPTIONS.filter((o) => o.type === 'number').map((o) => o.name),
    boolean: OPTIONS.filter((o) => o.type === 'boolean').map((o) => o.name),
    array: OPTIONS.filter((o) => o.array).map((o) => o.name),
    alias: Object.fromEntries(OPTIONS.filter((o) => o.alias).map((o) => [o.name, [o.alias!]])),
    configuration: { 'camel-case-expansion': false, 'duplicate-arguments-array': true },
  });
  const { _: positional, ...given } = parsed;
  if (positional.length > 1 || (positional.length === 1 && positional[0] !== 'run')) return null;
  const flags: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(given)) {
    const spec = OPTIONS.find((o) => o.name === key || o.alias === key);
    if (!spec) return null; // --help, --version or an unknown flag
    if (!validValue(spec, value) && !(spec.emptyOk && value === '' && emptyGiven(args, spec))) return null;
    flags[camel(spec.name)] = value;
  }
  return flags as Flags;
}

/** Whether `args` give `spec` the value '' in so many words (`--name ""` or `--name=`), not by leaving it out. */
function emptyGiven(args: readonly string[], spec: OptionSpec): boolean {
  const names = [`--${spec.name}`, ...(spec.alias ? [`-${spec.alias}`] : [])];
  return args.some((a, i) => names.some((n) => a === `${n}=` || (a === n && args[i + 1] === '')));
}

function validValue(spec: OptionSpec, value: unknown): boolean {
  const one = (v: unknown): boolean => {
    if (spec.type === 'boolean') return typeof v === 'boolean';
    if (spec.type === 'number') return typeof v === 'number' && Number.isFinite(v);
    return typeof v === 'string' && v !== '' && (spec.choices === undefined || spec.choices.includes(v));
  };
  if (spec.array) return Array.isArray(value) && value.length > 0 && value.every(one);
  return one(value);
}

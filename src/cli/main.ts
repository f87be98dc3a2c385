#!/usr/bin/env node
// The `dnsfwd` executable's first step, written so that any Node that can load an ES module
// parses it (no syntax newer than ES5 but the deferred import(), no top-level await): it checks
// the Node version before the program, whose syntax and APIs need Node >= 18.19, is loaded. An
// older Node gets one line (the version found, the version needed, where the README says how to
// get one) and exit 1, never a stack or a syntax error in minified code.
//
// `--node-settings ARGS...` prints the Node settings dnsfwd runs with (node-flags.ts, the same for
// every command) and exits, without loading the program: bin/dnsfwd asks for them, then runs node
// with them. Anything else is the program
// (program.ts): `dnsfwd.mjs` next to `dnsfwd-program.mjs` in the single-file build (esbuild
// defines DNSFWD_PROGRAM), `main.js` next to `program.js` in the tsc build.

import { NODE_FLAGS } from './node-flags.js';

declare const DNSFWD_PROGRAM: string | undefined;

/** The oldest Node dnsfwd runs on (package.json engines). */
var NEEDED = [18, 19];


function tooOld(version: string): boolean {
  var v = version.split('.');
  var major = Number(v[0]);
  var minor = Number(v[1]);
  return major < NEEDED[0]! || (major === NEEDED[0] && minor < NEEDED[1]!);
}

/**
 * Holds the signals that would end the process while the program loads (early-signals.ts takes
 * them over): a SIGHUP or SIGTERM during start-up is acted on once the daemon runs, not fatal.
 */
function holdSignals(): void {
  var early = {
    names: ['SIGHUP', 'SIGTERM', 'SIGINT', 'SIGUSR1', 'SIGUSR2', 'SIGALRM', 'SIGVTALRM', 'SIGIO'],
    signals: [] as string[],
    hold: function (signal: string): void {
      early.signals.push(signal);
    },
  };
  for (var i = 0; i < early.names.length; i++) process.on(early.names[i] as NodeJS.Signals, early.hold);
  (globalThis as unknown as Record<symbol, unknown>)[Symbol.for('dnsfwd.early-signals')] = early;
}

var program = typeof DNSFWD_PROGRAM === 'string' ? DNSFWD_PROGRAM : './program.js';
var args = process.argv.slice(2);

if (tooOld(process.versions.node)) {
  process.stderr.write(
    'dnsfwd: Node.js ' + process.versions.node + ' (' + process.execPath + ') is too old: dnsfwd needs Node.js ' + NEEDED.join('.') +
      ' or newer (README.md, section Install, says which package to install)\n',
  );
  process.exit(1);
} else if (args[0] === '--node-settings') {
  process.stdout.write(NODE_FLAGS.join(' ') + '\n');
} else {
  holdSignals();
  // The deferred import: an old Node never parses the program.
  void import(program).then(function (m: { main(args: string[]): Promise<void> }) {
    return m.main(args);
  });
}

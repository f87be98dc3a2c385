// A long-running child process of an end-to-end test (a DHCP client, a dnsmasq, the namespace
// holder): its output kept for failure messages, killed on stop and when the test process exits.
import { spawn, type ChildProcess } from 'node:child_process';

export class LabProcess {
  private out = '';
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.stdout?.setEncoding('utf8').on('data', (c: string) => (this.out += c));
    child.stderr?.setEncoding('utf8').on('data', (c: string) => (this.out += c));
    const killOnExit = () => child.kill('SIGKILL');
    process.on('exit', killOnExit);
    this.exited = new Promise((resolve) =>
      child.on('exit', (code) => {
        process.off('exit', killOnExit);
        resolve(code);
      }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  get output(): string {
    return this.out;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.alive) this.child.kill(sig);
  }

  /** Sends `sig`, then SIGKILL after 5 s; resolves with the exit code. */
  async stop(sig: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (!this.alive) return this.child.exitCode;
    this.child.kill(sig);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** Resolves once `re` appears in the output; rejects if the process exits first or after `ms`. */
  async waitOutput(re: RegExp, ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (!re.test(this.out)) {
      if (!this.alive) throw new Error(`${this.name} exited (${this.child.exitCode}) before printing ${re}:\n${this.out}`);
      if (Date.now() > until) throw new Error(`${this.name} did not print ${re} within ${ms} ms:\n${this.out}`);
      await sleep(25);
    }
  }
}

/**
 * Starts `argv` under `setpriv --pdeathsig KILL`, so it dies with the test process even if the test
 * crashes (a program that changes its credentials clears that; the exit handler covers it).
 */
export function startProcess(name: string, argv: readonly string[]): LabProcess {
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new LabProcess(name, child);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every `everyMs` until it is true (→ true) or `ms` have passed (→ false). */
export async function pollUntil(check: () => boolean, ms: number, everyMs = 10): Promise<boolean> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) return false;
    await sleep(everyMs);
  }
  return true;
}

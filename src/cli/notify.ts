// Readiness under systemd (Type=notify): once dnsfwd answers, it tells the service manager so by
// running systemd's own `systemd-notify --ready` (the sd_notify protocol is a Unix datagram, which
// Node cannot send). The unit's NotifyAccess=all lets that child speak for the service.
// systemd-notify of systemd 246 and later (Debian 12 has 252) sends READY=1 and then waits until
// systemd has processed it (sd_notify_barrier: a BARRIER=1 message carrying a pipe that systemd
// closes), unless --no-block: the child is still alive, in the service's cgroup, when systemd reads
// its message, so the message is attributed to the unit and not dropped. dnsfwd does not wait for
// it: the child runs on its own while dnsfwd answers.
import { type ChildProcess, spawn } from 'node:child_process';
import type { Logger } from '../log.js';

/** The most of systemd-notify's error output a warning quotes. */
const STDERR_MAX = 500;

/**
 * $NOTIFY_SOCKET as the service manager set it (undefined without one), taken out of the
 * environment: a child — a cluster worker — does not inherit it and cannot say "ready" in dnsfwd's
 * place (sd_notify's unset_environment).
 */
export function takeNotifySocket(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const socket = env.NOTIFY_SOCKET;
  delete env.NOTIFY_SOCKET;
  return socket === '' ? undefined : socket;
}

/**
 * Tells the service manager at `socket` that dnsfwd is ready, with `status` as the unit's status
 * text (no-op without a socket). A missing systemd-notify or its failure is one warning, logged
 * by the time the child returned emits 'close'.
 */
export function notifyReady(socket: string | undefined, status: string, log: Logger, command = 'systemd-notify'): ChildProcess | undefined {
  if (socket === undefined) return undefined;
  const child = spawn(command, ['--ready', `--status=${status}`], {
    env: { ...process.env, NOTIFY_SOCKET: socket },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(0, STDERR_MAX);
  });
  let warned = false;
  const warn = (reason: string) => {
    if (warned) return;
    warned = true;
    log.warn({ command, error: reason }, 'could not tell the service manager that dnsfwd is ready');
  };
  child.on('error', (err) => warn(err.message));
  child.on('close', (code, signal) => {
    if (code === 0) return;
    const how = code === null ? `killed by ${signal}` : `exit status ${code}`;
    warn(stderr.trim() === '' ? how : `${how}: ${stderr.trim().replace(/\s*\n\s*/g, ' ')}`);
  });
  return child;
}

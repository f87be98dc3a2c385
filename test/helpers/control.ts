// Helpers of the control socket tests: a stale socket file, raw protocol lines, a user's ids.
import { spawn } from 'node:child_process';
import { lstatSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';

/** A socket file with nothing listening behind it: what a daemon killed by SIGKILL leaves. */
export async function staleSocket(path: string): Promise<string> {
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`]);
  await new Promise((resolve) => child.stdout.once('data', resolve));
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  if (!lstatSync(path).isSocket()) throw new Error(`no socket file at ${path}`);
  return path;
}

/** Sends `text` on the socket and reads `count` response lines. */
export function raw(path: string, text: string, count: number): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const c = createConnection(path);
    let got = '';
    c.setEncoding('utf8');
    c.on('data', (d: string) => {
      got += d;
      const lines = got.split('\n').filter(Boolean);
      if (lines.length >= count) {
        c.destroy();
        resolve(lines.map((l) => JSON.parse(l) as unknown));
      }
    });
    c.on('error', reject);
    c.write(text);
  });
}

/** The uid and gid /etc/passwd gives `user`. */
export function idsOf(user: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${user}:`));
  if (!line) throw new Error(`no user ${user}`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

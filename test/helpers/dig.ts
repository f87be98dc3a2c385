// Runs the real `dig` and reads what it printed: status, flags, answer records, transport.
import { execFile } from 'node:child_process';
import { requireTool } from './tools.js';

export interface DigResult {
  readonly status: string;
  readonly flags: string[];
  readonly answers: { name: string; ttl: number; type: string; data: string }[];
  /** dig printed ";; Truncated, retrying in TCP mode." */
  readonly retriedTcp: boolean;
  readonly raw: string;
}

export interface DigOptions {
  readonly type?: string;
  readonly tcp?: boolean;
  /** false → +noedns; a number → +bufsize=N. */
  readonly edns?: boolean | number;
  readonly timeout?: number;
  readonly extra?: string[];
  /** Run dig in this network namespace (a path such as /proc/PID/ns/net). */
  readonly netns?: string;
}

export async function dig(server: string, port: number, name: string, o: DigOptions = {}): Promise<DigResult> {
  const args = [`@${server}`, '-p', String(port), name, o.type ?? 'A', '+tries=1', `+time=${o.timeout ?? 5}`];
  if (o.tcp) args.push('+tcp');
  if (o.edns === false) args.push('+noedns');
  else if (typeof o.edns === 'number') args.push(`+bufsize=${o.edns}`);
  args.push('+nocookie', ...(o.extra ?? []));
  const raw = await new Promise<string>((resolve) => {
    const [cmd, argv] = o.netns ? [requireTool('nsenter'), [`--net=${o.netns}`, requireTool('dig'), ...args]] : [requireTool('dig'), args];
    execFile(cmd, argv, { timeout: 20_000 }, (_err, stdout, stderr) => resolve(stdout + stderr));
  });
  return { ...parseDig(raw), raw };
}

export function parseDig(raw: string): Omit<DigResult, 'raw'> {
  const status = /status: ([A-Z]+)/.exec(raw)?.[1] ?? (/timed out|no servers could be reached/.test(raw) ? 'TIMEOUT' : 'UNKNOWN');
  const flags = (/;; flags: ([a-z ]*);/.exec(raw)?.[1] ?? '').trim().split(/\s+/).filter(Boolean);
  const answers: DigResult['answers'] = [];
  const section = /;; ANSWER SECTION:\n([\s\S]*?)(?:\n\n|$)/.exec(raw)?.[1] ?? '';
  for (const line of section.split('\n')) {
    const m = /^(\S+)\s+(\d+)\s+IN\s+(\S+)\s+(.*)$/.exec(line.trim());
    if (m) answers.push({ name: m[1]!, ttl: Number(m[2]), type: m[3]!, data: m[4]! });
  }
  return { status, flags, answers, retriedTcp: /Truncated, retrying in TCP mode/.test(raw) };
}

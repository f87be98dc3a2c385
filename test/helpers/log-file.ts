// Reading the log file a daemon started with --log-file writes (its own appends, not stdout).
import { existsSync, readFileSync } from 'node:fs';
import type { LogLine } from './daemon.js';
import { until } from './wait.js';

/** The JSON lines of the file at `path` now ([] if it does not exist). */
export function fileLines(path: string): LogLine[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as LogLine);
}

/** Waits (up to `ms`) until the file has at least `count` lines with message `msg`; returns them. */
export async function waitForFileMsg(path: string, msg: string, count = 1, ms = 20_000): Promise<LogLine[]> {
  const matching = () => fileLines(path).filter((l) => l.msg === msg);
  await until(`${count} "${msg}" line(s) in ${path}`, () => matching().length >= count, ms, 20);
  return matching();
}

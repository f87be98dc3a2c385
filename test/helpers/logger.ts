// The one in-memory logger of the tests: a pino logger whose lines are kept, parsed, for asserting
// what was logged, and waited for (an event that must come after what a test proves did not happen).
import pino, { type Logger } from 'pino';

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export const LEVEL = { trace: 10, debug: 20, info: 30, warn: 40, error: 50 } as const;

export interface CapturedLog {
  readonly logger: Logger;
  readonly lines: LogLine[];
  /** The lines at warn level. */
  warnings(): LogLine[];
  /** The first line from index `since` on (already logged or yet to come) that matches `pred`; rejects after `ms`. */
  next(pred: (l: LogLine) => boolean, since?: number, ms?: number): Promise<LogLine>;
}

export function captureLog(level = 'debug'): CapturedLog {
  const lines: LogLine[] = [];
  const waiters = new Set<() => void>();
  const logger = pino(
    { level },
    {
      write: (s: string) => {
        lines.push(JSON.parse(s) as LogLine);
        for (const w of [...waiters]) w();
      },
    },
  );
  const next = (pred: (l: LogLine) => boolean, since = 0, ms = 10_000): Promise<LogLine> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = lines.slice(since).find(pred);
        if (!found) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no matching log line within ${ms} ms; lines:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`));
      }, ms);
      waiters.add(check);
      check();
    });
  return { logger, lines, warnings: () => lines.filter((l) => l.level === LEVEL.warn), next };
}

/** A logger that drops everything, for tests that look at something else. */
export function quietLogger(): Logger {
  return pino({ level: 'silent' });
}

// The process logger: pino JSON lines on stdout; components take child loggers.
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function createLogger(level: LevelWithSilent = 'info'): Logger {
  return pino({ level, base: { name: 'dnsfwd' }, timestamp: pino.stdTimeFunctions.isoTime });
}

// The process logger: pino lines on stdout, or appended to a log file (log_file) that SIGUSR2
// reopens after a rotation; components take child loggers. Lines are JSON, or one readable line
// each (log_format: text, log-text.ts). When stdout is the journal (systemd's JOURNAL_STREAM),
// each line starts with its syslog priority, `<4>` for a warning, which journald strips and
// stores: `journalctl -p warning` then works, and the rest of the line is as elsewhere.
import { fchmodSync, fstatSync, openSync } from 'node:fs';
import pino, { type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { DnsfwdError, osReason } from './errors.js';
import { textLine } from './log-text.js';

export type { Logger };
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'text'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** The mode of a log file dnsfwd creates: the service's group may read it. */
const LOG_FILE_MODE = 0o640;

/** The syslog priority of each pino level: fatal crit, error err, warn warning, info info, debug and trace debug. */
const PRIORITY: Readonly<Record<number, string>> = { 60: '<2>', 50: '<3>', 40: '<4>', 30: '<6>', 20: '<7>', 10: '<7>' };

export interface LogOptions {
  readonly level?: LevelWithSilent;
  readonly format?: LogFormat;
  /** A file to append the lines to instead of stdout; '' or absent: stdout. */
  readonly file?: string;
  /** The environment JOURNAL_STREAM is read from. */
  readonly env?: NodeJS.ProcessEnv;
  /** The descriptor that stands for stdout (1; a test gives another). */
  readonly stdout?: number;
}

/** The logger of the process, and what can change where and how it writes. */
export interface ProcessLog {
  readonly logger: Logger;
  /** The file the lines go to, '' for stdout. */
  readonly file: string;
  readonly format: LogFormat;
  setFormat(format: LogFormat): void;
  /**
   * Opens the log file again by its name (after a rotation moved it away) and writes there from
   * now on; the lines before are flushed to the old one. If it cannot be opened, the lines keep
   * going to the old one and an error line says why. Without a log file: a debug line.
   */
  reopen(): void;
}

/**
 * Creates the process logger. Throws a DnsfwdError (LOG_FILE) when the log file cannot be opened
 * for appending; a missing file is created with mode 0640.
 */
export function createLogger(options: LogOptions = {}): ProcessLog {
  const file = options.file ?? '';
  const stdout = options.stdout ?? 1;
  const journal = file === '' && stdoutIsJournal(options.env ?? process.env, stdout);
  const sink = new LineSink(file === '' ? stdout : openLogFile(file), journal, options.format ?? 'json');
  const logger = pino({ level: options.level ?? 'info', base: { name: 'dnsfwd' }, timestamp: pino.stdTimeFunctions.isoTime }, sink);
  return {
    logger,
    file,
    get format() {
      return sink.format;
    },
    setFormat: (format) => void (sink.format = format),
    reopen: () => {
      if (file === '') {
        logger.debug('SIGUSR2: no log file to reopen (the lines go to stdout)');
        return;
      }
      let fd: number;
      try {
        fd = openLogFile(file);
      } catch (err) {
        logger.error({ file, error: (err as Error).message }, 'log file not reopened: still writing to the old one');
        return;
      }
      sink.switchTo(fd);
      logger.info({ file }, 'log file reopened');
    },
  };
}

/**
 * True when fd 1 is the journal's stream: systemd sets JOURNAL_STREAM to its device and inode,
 * and a stdout redirected elsewhere since (a pipe, a file) does not match them.
 */
export function stdoutIsJournal(env: NodeJS.ProcessEnv, fd = 1): boolean {
  const m = /^(\d+):(\d+)$/.exec(env.JOURNAL_STREAM ?? '');
  if (!m) return false;
  let st;
  try {
    st = fstatSync(fd, { bigint: true });
  } catch {
    return false; // not open
  }
  return st.dev === BigInt(m[1]!) && st.ino === BigInt(m[2]!);
}

/** Opens `path` for appending; creates it with LOG_FILE_MODE (whatever the umask) if missing. */
function openLogFile(path: string): number {
  try {
    const fd = openSync(path, 'ax', LOG_FILE_MODE);
    fchmodSync(fd, LOG_FILE_MODE);
    return fd;
  } catch {
    // There already; or it cannot be created, and the open below says why.
  }
  try {
    return openSync(path, 'a');
  } catch (err) {
    throw logFileError(path, err);
  }
}

function logFileError(path: string, err: unknown): DnsfwdError {
  return new DnsfwdError('LOG_FILE', `cannot open the log file ${path}: ${osReason(err)}`, { cause: err });
}

/**
 * Where pino writes: each line, in the chosen format and with its journal priority when wanted,
 * goes to an asynchronous writer (pino's own, sonic-boom) on an open file descriptor. pino tells
 * it the level of the line it writes (lastLevel: the destination asks for the metadata), so the
 * prefix costs no parsing.
 */
class LineSink implements DestinationStream {
  readonly [pino.symbols.needsMetadataGsym] = true;
  /** Set by pino before each write. */
  lastLevel = 30;
  private out: Writer;

  constructor(
    fd: number,
    private readonly journal: boolean,
    public format: LogFormat,
  ) {
    this.out = writer(fd);
  }

  write(line: string): void {
    const text = this.format === 'text' ? textLine(line) : line;
    this.out.write(this.journal ? (PRIORITY[this.lastLevel] ?? '<6>') + text : text);
  }

  flush(cb?: (err?: Error) => void): void {
    this.out.flush(cb);
  }

  /** Writes to `fd` from now on; the old writer flushes what it holds, then closes its descriptor. */
  switchTo(fd: number): void {
    const old = this.out;
    this.out = writer(fd);
    old.end();
  }
}

type Writer = ReturnType<typeof pino.destination>;

/**
 * pino's writer on `fd` (it flushes at exit, and stops quietly on EPIPE). Another write error (a
 * full disk) is said on stderr, not fatal: the daemon goes on answering.
 */
function writer(fd: number): Writer {
  const out = pino.destination({ dest: fd, sync: false });
  out.on('error', (err: Error) => {
    process.stderr.write(`dnsfwd: writing a log line failed: ${err.message}\n`);
  });
  return out;
}


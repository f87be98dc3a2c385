// Stable error codes for the failures dnsfwd raises, in one table: binding, upstreams, the user to
// run as, the control socket, the log file. Parse results (config, lease files, packets) are values,
// not exceptions; exceptions are for bugs and for failures at the edge (bind, I/O).

const ErrorCodes = {
  BIND_DENIED: 'binding a listen address needs privilege',
  BIND_IN_USE: 'listen address already in use',
  BIND_UNAVAILABLE: 'listen address is not on this host',
  BIND_FAILED: 'listen address cannot be bound',
  UPSTREAM_TIMEOUT: 'upstream did not answer in time',
  UPSTREAM_REFUSED: 'upstream unreachable (ICMP)',
  UPSTREAM_CLOSED: 'upstream closed the connection',
  UPSTREAM_MALFORMED: 'upstream reply whose records do not parse',
  UPSTREAM_UNWANTED: 'unwanted replies past the threshold on the upstream socket',
  UPSTREAM_CASE: 'upstream reply with the question in another letter case',
  ALL_FAILED: 'every server of the route failed',
  DEADLINE: 'query deadline passed',
  USER_UNKNOWN: 'the user to run as does not exist',
  USER_SWITCH: 'becoming the configured user failed',
  CONTROL_SOCKET: 'the control socket cannot be made',
  LOG_FILE: 'the log file cannot be opened',
  TRUST_ANCHORS: 'the trust anchors file cannot be used',
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export class DnsfwdError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? ErrorCodes[code], options);
    this.code = code;
    this.name = 'DnsfwdError';
  }
}

export function isDnsfwdError(err: unknown, code?: ErrorCode): err is DnsfwdError {
  return err instanceof DnsfwdError && (code === undefined || err.code === code);
}

const OS_REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a path component is not a directory',
  ELOOP: 'too many symbolic links',
};

/** Why a file operation failed, in words for an operator ("no such file"), or the error's code. */
export function osReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code !== undefined) return OS_REASONS[code] ?? code;
  return err instanceof Error ? err.message : String(err);
}

// Stable error codes for everything dnsfwd reports to operators, in one table.
// Parse results are values; exceptions are for bugs and for failures at the edge (bind, I/O).

export const ErrorCodes = {
  CONFIG_READ: 'config file cannot be read',
  CONFIG_SYNTAX: 'config file is not valid YAML',
  CONFIG_INVALID: 'config file has an invalid value',
  ARG_INVALID: 'command-line argument is invalid',
  BIND_DENIED: 'binding a listen address needs privilege',
  BIND_IN_USE: 'listen address already in use',
  BIND_UNAVAILABLE: 'listen address is not on this host',
  BIND_FAILED: 'listen address cannot be bound',
  UPSTREAM_TIMEOUT: 'upstream did not answer in time',
  UPSTREAM_REFUSED: 'upstream unreachable (ICMP)',
  UPSTREAM_BAD_REPLY: 'upstream reply malformed',
  UPSTREAM_CLOSED: 'upstream closed the connection',
  NO_SERVERS: 'route has no servers',
  ALL_FAILED: 'every server of the route failed',
  DEADLINE: 'query deadline passed',
  USER_UNKNOWN: 'the user to run as does not exist',
  USER_SWITCH: 'becoming the configured user failed',
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

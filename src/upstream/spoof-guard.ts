// What dnsfwd keeps per upstream server against blind spoofing (RFC 5452), apart from its health
// (health.ts): whether the server echoes the question's letter case, so that it can be asked with
// 0x20 randomisation (mixed-case.ts), and a throttle for the warnings about forged replies.
import { formatEndpoint, type Endpoint } from '../address.js';
import { LogThrottle } from '../log-throttle.js';
import { EndpointMap } from './endpoint-map.js';

/**
 * How long a server found not to echo the letter case is asked without 0x20 before it is tried
 * again: as long as one that rejects EDNS is asked without it (group.ts EDNS_REJECTED_MS).
 */
export const NO_ECHO_MS = 15 * 60_000;

/** One server's letter-case echo. */
export class CaseEcho {
  private plainUntil = 0;
  /** Said once per server: a server that does not echo case is found again every NO_ECHO_MS. */
  private told = false;

  /** Whether to randomise the case of the name asked of this server now. */
  mixedCase(now: number): boolean {
    return now >= this.plainUntil;
  }

  /** The server answered with another case than asked, over TCP too: no 0x20 for NO_ECHO_MS. True the first time only. */
  recordNoEcho(now: number): boolean {
    this.plainUntil = now + NO_ECHO_MS;
    const first = !this.told;
    this.told = true;
    return first;
  }
}

export class SpoofGuard {
  private readonly echo = new EndpointMap(() => new CaseEcho());
  /** At most one warning a minute per server about replies that were not its own. */
  private readonly warnings = new LogThrottle();

  caseEcho(server: Endpoint): CaseEcho {
    return this.echo.get(server);
  }

  /** Counts one forged-looking event from `server`; the count to log when a warning is due, else 0. */
  unwanted(server: Endpoint): number {
    return this.warnings.count(formatEndpoint(server));
  }

  /** Lets go of servers no route uses any more. */
  retain(inUse: Iterable<Endpoint>): void {
    this.echo.retain(inUse);
  }
}

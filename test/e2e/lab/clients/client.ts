// What the scenario needs from a DHCP client in the guest: how it is installed (its files in /etc),
// how it starts, where it leaves the nameservers it was given, and how to make it renew.
import type { Guest } from '../guest.js';
import type { LabProcess } from '../process.js';

export interface DhcpClient {
  readonly proc: LabProcess;
  /** The file, as the test sees it, where the client leaves the nameservers (dnsfwd watches it). */
  readonly stateFile: string;
  /** The nameservers that file names now. */
  servers(): string[];
  /** Makes the client renew soon, if it does not by itself within the server's T1 (4 s). */
  renew(): void;
}

export interface ClientSetup {
  readonly name: string;
  /** Programs it needs (each fails the run with its Debian package when missing). */
  readonly tools: readonly string[];
  /** Files its installation with dnsfwd puts in the guest's /etc, by path relative to /etc. */
  etc(): Record<string, string>;
  /** Starts it in the foreground on the guest's interface; stopped at the lab's teardown. */
  start(guest: Guest): DhcpClient;
}

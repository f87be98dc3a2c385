// ISC dhclient as Debian and Ubuntu run it, with the enter hook scripts/install.sh adds
// (config/dhclient-enter-hook as /etc/dhcp/dhclient-enter-hooks.d/zz-dnsfwd) so that
// dhclient-script leaves resolv.conf alone while the lease file keeps the server's nameservers.
// dhclient writes a renewed lease to the file at most every 15 s (MIN_LEASE_WRITE), so with the
// lab's 4-second renewals the file, and dnsfwd, learn of new nameservers up to 15 s after the ACK.
import { dhclientServers, readServers } from '../client-state.js';
import type { Guest } from '../guest.js';
import { NET } from '../lab.js';
import type { ClientSetup, DhcpClient } from './client.js';
import { glue } from './glue.js';

const LEASE_FILE = `/var/lib/dhcp/dhclient.${NET.guestIf}.leases`;

export const dhclient: ClientSetup = {
  name: 'dhclient',
  tools: ['dhclient', 'dhclient-script'],
  etc: () => ({ 'dhcp/dhclient-enter-hooks.d/zz-dnsfwd': glue('dhclient-enter-hook') }),
  start(guest: Guest): DhcpClient {
    // ifupdown's command line, in the foreground (-d) so the test owns the process.
    const proc = guest.spawn('dhclient', [
      'dhclient', '-4', '-d', '-v', '-pf', `/run/dhclient.${NET.guestIf}.pid`, '-lf', LEASE_FILE, NET.guestIf,
    ]);
    const stateFile = guest.hostPath(LEASE_FILE);
    return { proc, stateFile, servers: () => readServers(stateFile, (b) => dhclientServers(b.toString('latin1'))), renew: () => {} };
  },
};

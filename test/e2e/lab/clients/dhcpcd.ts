// dhcpcd 9 with the distribution's dhcpcd.conf plus the block scripts/install.sh appends
// (config/dhcpcd.conf: `nohook resolv.conf`); the lease (the raw DHCPACK) stays in
// /var/lib/dhcpcd/<iface>.lease, where dnsfwd reads it. dnsfwd runs as root here, so the exit
// hook that gives the lease files to the group dnsfwd is not installed.
import { readFileSync } from 'node:fs';
import { dhcpcdServers, readServers } from '../client-state.js';
import type { Guest } from '../guest.js';
import { NET } from '../lab.js';
import type { ClientSetup, DhcpClient } from './client.js';
import { withGlueBlock } from './glue.js';

const LEASE_FILE = `/var/lib/dhcpcd/${NET.guestIf}.lease`;

function distributionConf(): string {
  try {
    return readFileSync('/etc/dhcpcd.conf', 'utf8');
  } catch {
    throw new Error(`/etc/dhcpcd.conf is missing: apt-get install -y dhcpcd-base`);
  }
}

export const dhcpcd: ClientSetup = {
  name: 'dhcpcd',
  tools: ['dhcpcd'],
  etc: () => ({
    'dhcpcd.conf': [
      withGlueBlock(distributionConf(), 'dhcpcd.conf'),
      '# test speed: no random start delay, no ARP probe of the offered address',
      'nodelay',
      'noarp',
      '',
    ].join('\n'),
  }),
  start(guest: Guest): DhcpClient {
    const proc = guest.spawn('dhcpcd', ['dhcpcd', '-4', '-B', '-d', NET.guestIf]);
    const stateFile = guest.hostPath(LEASE_FILE);
    return { proc, stateFile, servers: () => readServers(stateFile, dhcpcdServers), renew: () => {} };
  },
};

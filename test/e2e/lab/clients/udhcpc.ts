// busybox udhcpc as Alpine runs it: its event script reads /etc/udhcpc/udhcpc.conf, where
// scripts/install.sh's block (config/udhcpc.conf) sets RESOLV_CONF=/etc/dnsfwd/resolv.dhcp, and
// writes the nameservers there (temp file, then rename) instead of /etc/resolv.conf. udhcpc keeps
// no lease file of its own. Debian's udhcpc script ignores udhcpc.conf, so the guest's
// /etc/udhcpc/default.script is one that behaves like Alpine's.
import { readServers, resolvConfServers } from '../client-state.js';
import type { Guest } from '../guest.js';
import { NET } from '../lab.js';
import type { ClientSetup, DhcpClient } from './client.js';
import { withGlueBlock } from './glue.js';

const RESOLV_DHCP = '/etc/dnsfwd/resolv.dhcp';

/** The event script, after Alpine's default.script (address, default route, resolv.conf file). */
const EVENT_SCRIPT = `#!/bin/sh
RESOLV_CONF=/etc/resolv.conf
[ -f /etc/udhcpc/udhcpc.conf ] && . /etc/udhcpc/udhcpc.conf

write_resolv_conf() {
	if [ -z "$RESOLV_CONF" ] || [ "$RESOLV_CONF" = no ] || [ -z "$dns" ]; then return 0; fi
	tmp="$RESOLV_CONF.$$"
	{
		if [ -n "$search" ]; then echo "search $search"; elif [ -n "$domain" ]; then echo "search $domain"; fi
		for s in $dns; do echo "nameserver $s"; done
	} > "$tmp"
	chmod a+r "$tmp"
	mv "$tmp" "$RESOLV_CONF"
}

case "$1" in
	deconfig)
		ip -4 addr flush dev "$interface" ;;
	bound|renew)
		ip -4 addr replace "$ip/$mask" \${broadcast:+broadcast $broadcast} dev "$interface"
		for r in $router; do ip -4 route replace default via "$r" dev "$interface"; break; done
		write_resolv_conf ;;
esac
exit 0
`;

export const udhcpc: ClientSetup = {
  name: 'udhcpc',
  tools: ['udhcpc'],
  etc: () => ({
    'udhcpc/udhcpc.conf': withGlueBlock('', 'udhcpc.conf'),
    'udhcpc/default.script': EVENT_SCRIPT,
  }),
  start(guest: Guest): DhcpClient {
    const proc = guest.spawn('udhcpc', [
      'udhcpc', '-f', '-i', NET.guestIf, '-p', `/run/udhcpc.${NET.guestIf}.pid`, '-s', '/etc/udhcpc/default.script',
    ]);
    const stateFile = guest.hostPath(RESOLV_DHCP);
    // udhcpc renews at half the lease (60 s) whatever T1 says; SIGUSR1 renews now.
    return { proc, stateFile, servers: () => readServers(stateFile, (b) => resolvConfServers(b.toString())), renew: () => proc.signal('SIGUSR1') };
  },
};

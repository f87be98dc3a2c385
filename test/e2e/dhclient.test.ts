// End to end on a Debian/Ubuntu-like guest with ISC dhclient: dnsmasq's DHCP lease reaches dnsfwd
// through /var/lib/dhcp/dhclient.eth0.leases, and a change of nameservers is followed.
import t from 'tap';
import { dhclient } from './lab/clients/dhclient.js';
import { clientScenario } from './lab/scenario.js';

await clientScenario(t, dhclient);

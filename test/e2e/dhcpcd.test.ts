// End to end on a guest with dhcpcd: dnsmasq's DHCP lease reaches dnsfwd through
// /var/lib/dhcpcd/eth0.lease (the raw DHCPACK), and a change of nameservers is followed.
import t from 'tap';
import { dhcpcd } from './lab/clients/dhcpcd.js';
import { clientScenario } from './lab/scenario.js';

await clientScenario(t, dhcpcd);

// End to end on an Alpine-like guest with busybox udhcpc: its event script writes the nameservers
// to /etc/dnsfwd/resolv.dhcp, dnsfwd reads them from there, and a change of nameservers is followed.
import t from 'tap';
import { udhcpc } from './lab/clients/udhcpc.js';
import { clientScenario } from './lab/scenario.js';

await clientScenario(t, udhcpc);

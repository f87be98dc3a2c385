// Trees that look enough like an Alpine, Debian or Ubuntu guest for scripts/install.sh --root:
// os-release, accounts, the DHCP client's programs and files, resolv.conf. Programs are stubs.
import type { TreeSpec } from './file-tree.js';

const PROGRAM = { text: '#!/bin/sh\nexit 0\n', mode: 0o755 };
/** A raw DHCPACK stand-in: dhcpcd writes the lease file root:root 0640. */
const DHCPCD_LEASE = { text: Buffer.from([2, 1, 6, 0, 0x63, 0x82, 0x53, 0x63, 6, 4, 192, 168, 121, 1, 255]), mode: 0o640 };

const ALPINE_BASE: TreeSpec = {
  'etc/os-release': 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME="Alpine Linux v3.20"\n',
  'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nbin:x:1:1:bin:/bin:/sbin/nologin\ndaemon:x:2:2:daemon:/sbin:/sbin/nologin\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n',
  'etc/group': 'root:x:0:root\nbin:x:1:root,bin,daemon\ndaemon:x:2:root,bin,daemon\nnogroup:x:65533:\nnobody:x:65534:\n',
  'etc/shadow': { text: 'root:*::0:::::\nbin:!::0:::::\ndaemon:!::0:::::\nnobody:!::0:::::\n', mode: 0o640 },
  'bin/busybox': PROGRAM,
  'bin/sh': { link: '/bin/busybox' },
  'sbin/udhcpc': { link: '/bin/busybox' },
  'usr/bin/node': PROGRAM,
  'var/lib': { dir: true },
};

/** Alpine with busybox udhcpc only; udhcpc.conf already there, without a final newline. */
export const ALPINE_UDHCPC: TreeSpec = {
  ...ALPINE_BASE,
  'etc/udhcpc/udhcpc.conf': 'NO_GATEWAY="eth1"',
  'etc/resolv.conf': 'search lab.test\nnameserver 192.168.121.1\nnameserver 192.168.121.2\n',
};

/** Alpine with ISC dhclient (its package adds the user dhcp) and an enter hook of the admin's own. */
export const ALPINE_DHCLIENT: TreeSpec = {
  ...ALPINE_BASE,
  'etc/passwd': `${ALPINE_BASE['etc/passwd'] as string}dhcp:x:100:101:dhcp:/var/lib/dhcp:/sbin/nologin\n`,
  'etc/group': `${ALPINE_BASE['etc/group'] as string}dhcp:x:101:dhcp\n`,
  'usr/sbin/dhclient': PROGRAM,
  'sbin/dhclient-script': PROGRAM,
  'etc/dhcp/dhclient.conf': 'option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;\n',
  'etc/dhclient-enter-hooks': '# set by the admin\nnew_host_name=guest\n',
  'var/lib/dhcp': { dir: true },
  'etc/resolv.conf': 'nameserver 192.168.121.1\n',
};

const DEBIAN_ACCOUNTS: TreeSpec = {
  'etc/passwd':
    'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n_apt:x:42:65534::/nonexistent:/usr/sbin/nologin\n' +
    'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\ndhcpcd:x:100:65534:DHCP Client Daemon,,,:/usr/lib/dhcpcd:/bin/false\n' +
    'systemd-network:x:998:998:systemd Network Management:/:/usr/sbin/nologin\n',
  'etc/group': 'root:x:0:\ndaemon:x:1:\nadm:x:4:\nnogroup:x:65534:\nsystemd-journal:x:999:\nsystemd-network:x:998:\n',
  'etc/shadow': { text: 'root:*:19700:0:99999:7:::\ndaemon:*:19700:0:99999:7:::\n', mode: 0o640 },
  'etc/gshadow': { text: 'root:*::\ndaemon:*::\nadm:*::\nnogroup:*::\n', mode: 0o640 },
  bin: { link: 'usr/bin' },
  sbin: { link: 'usr/sbin' },
  lib: { link: 'usr/lib' },
  'usr/bin/node': PROGRAM,
  'etc/systemd/system': { dir: true },
};

/** Debian 12 with ifupdown's dhclient, and dhcpcd too (a lease file already written). */
export const DEBIAN_DHCLIENT: TreeSpec = {
  ...DEBIAN_ACCOUNTS,
  'etc/os-release': 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n',
  'usr/sbin/dhclient': PROGRAM,
  'usr/sbin/dhclient-script': PROGRAM,
  'etc/dhcp/debug': 'RUN="no"\n',
  'etc/dhcp/dhclient-enter-hooks.d/debug': { link: '../debug' },
  'etc/dhcp/dhclient-exit-hooks.d/debug': { link: '../debug' },
  'var/lib/dhcp/dhclient.eth0.leases': 'lease {\n  interface "eth0";\n  option domain-name-servers 192.168.121.1;\n}\n',
  'usr/sbin/dhcpcd': PROGRAM,
  'etc/dhcpcd.conf': 'duid\npersistent\nvendorclassid\noption domain_name_servers, domain_name, domain_search\nslaac private\n',
  'var/lib/dhcpcd/eth0.lease': DHCPCD_LEASE,
  'etc/resolv.conf': 'domain lab.test\nsearch lab.test\nnameserver 192.168.121.1\n',
};

/** Ubuntu with netplan's systemd-networkd and systemd-resolved's stub in resolv.conf. */
export const UBUNTU_NETWORKD: TreeSpec = {
  ...DEBIAN_ACCOUNTS,
  'etc/os-release': 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\nID_LIKE=debian\n',
  'usr/lib/systemd/systemd-networkd': PROGRAM,
  'usr/lib/systemd/systemd-resolved': PROGRAM,
  'etc/systemd/resolved.conf': '[Resolve]\n#DNS=\n#DNSStubListener=yes\n',
  'etc/netplan/50-cloud-init.yaml': { text: 'network:\n  version: 2\n  ethernets:\n    eth0:\n      dhcp4: true\n', mode: 0o600 },
  'run/systemd/netif/leases/2': 'ADDRESS=192.168.121.168\nDNS=192.168.121.1 192.168.121.2\n',
  'etc/resolv.conf': { link: '../run/systemd/resolve/stub-resolv.conf' },
};

/** Commands install.sh must never run with --root: each stub logs its name and arguments. */
export const SYSTEM_COMMANDS = [
  'systemctl', 'rc-update', 'rc-service', 'useradd', 'groupadd', 'userdel', 'groupdel',
  'adduser', 'addgroup', 'deluser', 'delgroup', 'dhclient', 'dhcpcd', 'udhcpc', 'networkctl',
];

/** The stub programs, for a directory put first on PATH; they append to $STUB_LOG. */
export function systemCommandStubs(): TreeSpec {
  const stub = { text: '#!/bin/sh\necho "${0##*/} $*" >>"$STUB_LOG"\n', mode: 0o755 };
  return Object.fromEntries(SYSTEM_COMMANDS.map((name) => [name, stub]));
}

// Writes dhclient-style lease blocks for tests (expiry one day ahead, so the lease is current).
export function leaseBlock(servers: string[], iface = 'eth0', domain = 'vagrant.test'): string {
  const d = new Date(Date.now() + 86_400_000);
  const p = (n: number) => String(n).padStart(2, '0');
  const when = `${d.getUTCDay()} ${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
  return [
    'lease {',
    `  interface "${iface}";`,
    '  fixed-address 192.168.121.168;',
    '  option subnet-mask 255.255.255.0;',
    '  option routers 192.168.121.1;',
    `  option domain-name-servers ${servers.join(',')};`,
    `  option domain-name "${domain}";`,
    `  renew ${when};`,
    `  rebind ${when};`,
    `  expire ${when};`,
    '}',
    '',
  ].join('\n');
}

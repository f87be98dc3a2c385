// The guest's own resolv.conf: /etc/netns/<guest>/resolv.conf, which `ip netns exec` mounts over
// /etc/resolv.conf. /etc/netns goes again with the last lab that needed it, if a lab made it.
import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';

const ETC_NETNS = '/etc/netns';
/** Left in /etc/netns by the lab that created it, so whichever lab leaves last removes it. */
const MADE_BY_LAB = '.made-by-dnsfwd-e2e';

export function writeNetnsResolvConf(netns: string, content: string): string {
  try {
    mkdirSync(ETC_NETNS);
    writeFileSync(`${ETC_NETNS}/${MADE_BY_LAB}`, '');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  mkdirSync(`${ETC_NETNS}/${netns}`, { recursive: true });
  const file = `${ETC_NETNS}/${netns}/resolv.conf`;
  writeFileSync(file, content);
  return file;
}

export function removeNetnsResolvConf(netns: string): void {
  rmSync(`${ETC_NETNS}/${netns}`, { recursive: true, force: true });
  const marker = `${ETC_NETNS}/${MADE_BY_LAB}`;
  if (!existsSync(marker)) return;
  const left = readdirSync(ETC_NETNS).filter((name) => name !== MADE_BY_LAB);
  if (left.length) return;
  rmSync(marker, { force: true });
  try {
    rmdirSync(ETC_NETNS);
  } catch {
    // Another lab created its directory meanwhile: it is now the one to remove /etc/netns.
    writeFileSync(marker, '');
  }
}

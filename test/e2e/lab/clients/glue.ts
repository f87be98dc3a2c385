// dnsfwd's DHCP client glue (the repository's config/ files) as scripts/install.sh puts it in
// /etc: whole files, or blocks appended to a file that may hold the administrator's settings.
import { readFileSync } from 'node:fs';
import { ROOT } from '../../../helpers/tools.js';

const BEGIN_MARK = '# >>> dnsfwd: scripts/install.sh --uninstall removes this block';
const END_MARK = '# <<< dnsfwd';

/** The content of config/NAME. */
export function glue(name: string): string {
  return readFileSync(`${ROOT}/config/${name}`, 'utf8');
}

/** `existing` (may be empty) with config/NAME appended as install.sh's block. */
export function withGlueBlock(existing: string, name: string): string {
  const head = existing && !existing.endsWith('\n') ? `${existing}\n` : existing;
  return `${head}${BEGIN_MARK}\n${glue(name)}${END_MARK}\n`;
}

// The unit under Debian's real systemd (booted in a sandbox, systemd-boot.ts), installed as
// install.sh installs it (User=dnsfwd, the built single file, /etc/dnsfwd/dnsfwd.yaml): readiness
// is honest. Once `systemctl start nss-lookup.target` returns — the target dnsfwd is ordered
// before — dig answers over UDP and over TCP at once, with no retry; the same once `systemctl
// start dnsfwd` returns with two workers; and a dnsfwd that cannot bind its address never reports
// ready, so its start fails.
import { copyFileSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import t from 'tap';
import { UNIT } from '../helpers/systemd-unit.js';
import { SystemdBoot } from '../helpers/systemd-boot.js';
import { BIN, CLI, requireBuild, requireTool, ROOT } from '../helpers/tools.js';

requireBuild();
for (const tool of ['dig', 'useradd', 'groupadd', 'systemd-notify']) requireTool(tool);

/** Puts the build, dnsfwd's entry and a node it can run where install.sh puts them; adds the user. */
const SETUP = `
mkdir -p /usr/lib/dnsfwd /etc/dnsfwd
cp "$DIST/dnsfwd.mjs" "$DIST/dnsfwd-program.mjs" /usr/lib/dnsfwd/
cp "$DIST/dnsfwd" /usr/sbin/dnsfwd
# A node under /root would be hidden by ProtectHome=: a copy, not a link.
[ -x /usr/bin/node ] || cp "$NODE" /usr/bin/node
groupadd --system dnsfwd
useradd --system --gid dnsfwd --no-create-home --shell /usr/sbin/nologin dnsfwd
install -m 0640 -g dnsfwd /dev/null /etc/dnsfwd/dnsfwd.yaml
`;

const SCRIPT = `
config() { printf 'listen: ["127.0.0.1:53"]\\nserver:\\n  workers: %s\\ndefault:\\n  servers: ["127.0.0.1:5301"]\\n' "$1" >/etc/dnsfwd/dnsfwd.yaml; }
# One query, one try: localhost is answered by dnsfwd itself.
answer() { dig +time=5 +tries=1 "$@" @127.0.0.1 localhost | grep -o 'status: [A-Z]*' || echo none; }
rc() { if "$@"; then echo 0; else echo $?; fi; }

config 1
# As at boot: dnsfwd's start job pulls in nss-lookup.target; waiting for the target waits for dnsfwd.
systemctl start --no-block dnsfwd
echo "@@ target $(rc systemctl start nss-lookup.target)"
echo "@@ udp $(answer +notcp)"
echo "@@ tcp $(answer +tcp)"
echo "@@ status $(systemctl show -P StatusText dnsfwd)"
echo "@@ after $(systemctl show -P After nss-lookup.target)"
echo "@@ user $(ps -o user= -p "$(systemctl show -P MainPID dnsfwd)")"
systemctl stop dnsfwd

config 2
echo "@@ start2 $(rc systemctl start dnsfwd)"
echo "@@ udp2 $(answer +notcp)"
echo "@@ tcp2 $(answer +tcp)"
echo "@@ status2 $(systemctl show -P StatusText dnsfwd)"
systemctl stop dnsfwd

config 1
mkfifo "$SANDBOX/taken"
node -e 'require("net").createServer().listen(53, "127.0.0.1", () => console.log("up"))' >"$SANDBOX/taken" &
read -r up <"$SANDBOX/taken"
echo "@@ taken $up"
echo "@@ busy $(rc systemctl start dnsfwd)"
echo "@@ busy_status [$(systemctl show -P StatusText dnsfwd)]"
systemctl stop dnsfwd
kill $!
`;

/** The lines after "@@ " in the script's output, by their first word. */
function results(stdout: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^@@ (\S+) ?(.*)$/.exec(line);
    if (m) map.set(m[1]!, m[2]!);
  }
  return map;
}

t.test('under systemd, dnsfwd is ready (and nss-lookup.target reached) only once it answers over UDP and TCP', async (t) => {
  const boot = new SystemdBoot('the systemd readiness test');
  t.teardown(() => boot.remove());
  const units = {
    'dnsfwd.service': readFileSync(UNIT, 'utf8'),
    // Only where its log goes: a file the test reads (there is no journald in the sandbox).
    'dnsfwd.service.d/log.conf': `[Service]\nStandardOutput=append:${boot.dir}/dnsfwd.log\nStandardError=inherit\n`,
  };
  // The build goes in through the sandbox's own directory: the sandbox has a /tmp of its own, and
  // the repository may be under /tmp.
  for (const f of [CLI, join(ROOT, 'dist/dnsfwd-program.mjs'), BIN]) copyFileSync(f, join(boot.dir, basename(f)));
  const r = boot.run(units, SETUP, SCRIPT, { DIST: boot.dir, NODE: process.execPath });
  const res = results(r.stdout);
  const log = (() => {
    try {
      return readFileSync(`${boot.dir}/dnsfwd.log`, 'utf8');
    } catch {
      return '(no log)';
    }
  })();
  const context = { stdout: r.stdout, stderr: r.stderr, systemd: r.log, log };
  t.equal(r.status, 0, 'systemd ran the script and exited', context);
  t.equal(res.get('target'), '0', 'nss-lookup.target reached', context);
  t.equal(res.get('udp'), 'status: NOERROR', 'then dig over UDP answers at once', context);
  t.equal(res.get('tcp'), 'status: NOERROR', '...and over TCP', context);
  t.equal(res.get('status'), 'answering on 127.0.0.1:53', 'the status text dnsfwd sent');
  t.match(res.get('after'), /(^| )dnsfwd\.service( |$)/, 'nss-lookup.target is ordered after dnsfwd');
  t.equal(res.get('user'), 'dnsfwd', 'as the unit\'s user');
  t.equal(res.get('start2'), '0', 'with two workers: started', context);
  t.equal(res.get('udp2'), 'status: NOERROR', '...then dig over UDP answers at once', context);
  t.equal(res.get('tcp2'), 'status: NOERROR', '...and over TCP', context);
  t.equal(res.get('status2'), '2 workers answering', 'the status text the primary sent');
  t.equal(res.get('taken'), 'up', '127.0.0.1:53 taken over TCP');
  t.not(res.get('busy'), '0', 'a dnsfwd that cannot bind fails its start', context);
  t.equal(res.get('busy_status'), '[]', '...having never said it was ready');
  t.match(log, /address already in use|EADDRINUSE|in use/i, '...because the address was in use');
});

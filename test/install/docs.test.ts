// install.sh --root puts the man pages (gzipped, as Alpine, Debian and Ubuntu ship theirs) and the
// bash and zsh completions where each distribution's man, bash-completion and zsh look (Debian's
// paths are Ubuntu's), records them in its manifest like every other file, and --uninstall takes
// them (and the directories it made for them) away.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import t, { type Test } from 'tap';
import { ALPINE_UDHCPC, UBUNTU_NETWORKD } from '../helpers/fake-systems.js';
import { InstallSandbox, repoFile, roundTrip } from '../helpers/install-script.js';
import { requireRoot } from '../helpers/tools.js';

requireRoot('the install tests check file owners that only root can set');

/** The man pages and completions installed at their paths in a tree, with their sources. */
function docsAt(zsh: string): Record<string, string> {
  return {
    'usr/share/man/man8/dnsfwd.8.gz': 'man/dnsfwd.8',
    'usr/share/man/man5/dnsfwd.yaml.5.gz': 'man/dnsfwd.yaml.5',
    'usr/share/bash-completion/completions/dnsfwd': 'completion/dnsfwd.bash',
    [zsh]: 'completion/_dnsfwd',
  };
}

/** Checks that each file of DOCS is in BOX's tree, as its source (gunzipped), and in the manifest. */
function checkInstalled(t: Test, box: InstallSandbox, docs: Record<string, string>, stdout: string): void {
  const manifest = box.read('var/lib/dnsfwd/install/manifest').split('\n');
  for (const [path, source] of Object.entries(docs)) {
    const bytes = readFileSync(join(box.root, path));
    t.equal((path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8'), repoFile(source), `${path} is ${source}`);
    t.ok(manifest.includes(`file\t/${path}`), `recorded: ${path}`);
    t.match(stdout, `created /${path}\n`);
  }
  t.ok(manifest.includes('dir\t/usr/share/man/man8'), 'the directories it made are recorded too');
}

t.test('Ubuntu: man pages and completions installed, left alone by a second run, uninstalled', async (t) => {
  const box = new InstallSandbox(UBUNTU_NETWORKD);
  t.teardown(() => box.remove());
  const docs = docsAt('usr/share/zsh/vendor-completions/_dnsfwd');
  const r = roundTrip(box, [], (first) => {
    t.equal(first.status, 0, first.stderr);
    checkInstalled(t, box, docs, first.stdout);
  });
  t.equal(r.second.status, 0);
  t.same(r.afterSecond, r.installed, 'a second run rewrites nothing (gzip -n: the same bytes)');
  t.equal(r.uninstall.status, 0, r.uninstall.stderr);
  for (const path of Object.keys(docs)) t.match(r.uninstall.stdout, `removed /${path}\n`);
  t.same(r.afterUninstall, r.before, 'gone, with the directories made for them');
});

t.test('Alpine: zsh completion in site-functions, where its zsh looks', async (t) => {
  const box = new InstallSandbox(ALPINE_UDHCPC);
  t.teardown(() => box.remove());
  const r = box.run();
  t.equal(r.status, 0, r.stderr);
  checkInstalled(t, box, docsAt('usr/share/zsh/site-functions/_dnsfwd'), r.stdout);
  t.notOk(existsSync(join(box.root, 'usr/share/zsh/vendor-completions')), 'not in Debian\'s directory');
});

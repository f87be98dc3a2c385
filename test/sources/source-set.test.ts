// SourceSet: the default route's sources as one; their servers in order without duplicates.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { formatEndpoint } from '../../src/address.js';
import { SourceSet } from '../../src/sources/source-set.js';
import { quietLogger } from '../helpers/logger.js';

// Two clients (here two resolv.conf files) naming the same server: it is one upstream, not two.
t.test('state(): the servers of every source in order, each once; every lease', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dnsfwd-sourceset-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'a.conf'), 'nameserver 10.0.0.1\nnameserver 10.0.0.2\n');
  await writeFile(join(dir, 'b.conf'), 'nameserver 10.0.0.2\nnameserver 10.0.0.3\n');
  const set = new SourceSet(
    ['a.conf', 'b.conf'].map((f) => ({ kind: 'resolvconf' as const, path: join(dir, f), optional: false })),
    quietLogger(),
    () => {},
  );
  t.teardown(() => set.close());
  await set.start();
  const state = set.state();
  t.same(state.servers.map(formatEndpoint), ['10.0.0.1:53', '10.0.0.2:53', '10.0.0.3:53']);
  t.equal(state.links.length, 2, 'one lease per file');
});

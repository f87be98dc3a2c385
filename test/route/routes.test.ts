// Routes: the table swapped in on each change, and what the operator is told: each change of the
// default route's servers, of the link domains' routes, of the servers left out as dnsfwd itself,
// once per change, not once per rebuild.
import t, { type Test } from 'tap';
import { parseEndpoint, type Endpoint } from '../../src/address.js';
import { applyOverrides, defaultConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { Routes } from '../../src/route/routes.js';
import { SpecialZone } from '../../src/route/special.js';
import type { SourceState } from '../../src/sources/source.js';
import { Upstreams } from '../../src/upstream/setup.js';
import { captureLog } from '../helpers/logger.js';

const ep = (s: string): Endpoint => {
  const r = parseEndpoint(s);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
};
const configOf = (overrides: Parameters<typeof applyOverrides>[1]): Config => {
  const r = applyOverrides(defaultConfig(), { listen: ['127.0.0.1:53'], ...overrides });
  if (!r.ok) throw new Error(r.error.reason);
  return r.config;
};
const sources = (servers: string[], links: SourceState['links'] = []): SourceState => ({ servers: servers.map(ep), links });

function setup(t: Test, config: Config) {
  const log = captureLog('info');
  const upstreams = new Upstreams(log.logger, config.upstream);
  t.teardown(() => upstreams.close());
  const routes = new Routes(config, upstreams, log.logger);
  const messages = (msg: string) => log.lines.filter((l) => l.msg === msg);
  return { routes, log, messages };
}

// Guards the comparison in reportDefault, and the empty lists for "none" on either side.
t.test('the default route servers are reported when they change, with [] for none', async (t) => {
  const config = configOf({});
  const { routes, messages } = setup(t, config);
  const changed = () => messages('default route servers changed');
  t.same(changed(), [], 'no servers at first: nothing to report');
  routes.rebuild(config, sources(['10.0.0.1']));
  routes.rebuild(config, sources(['10.0.0.1']));
  t.equal(changed().length, 1, 'one line for two rebuilds with the same servers');
  t.match(changed()[0], { zone: '.' });
  t.same([changed()[0]?.old, changed()[0]?.new], [[], ['10.0.0.1:53']], 'from none');
  routes.rebuild(config, sources([]));
  t.equal(changed().length, 2);
  t.same(changed()[1]?.new, [], 'back to none');
  t.same(changed()[1]?.old, ['10.0.0.1:53']);
});

// Guards the comparison in reportDropped: a server that is dnsfwd itself is reported once.
t.test('a server left out as dnsfwd itself is reported once, not on every rebuild', async (t) => {
  const config = configOf({ listen: ['127.0.0.1:53', '[::1]:53'] });
  const { routes, log } = setup(t, config);
  routes.rebuild(config, sources(['127.0.0.1', '10.0.0.1']));
  routes.rebuild(config, sources(['127.0.0.1', '10.0.0.1']));
  t.match(log.warnings(), [{ server: '127.0.0.1:53', msg: 'not forwarding to this server: it is dnsfwd itself' }]);
  t.equal(log.warnings().length, 1, 'one warning for two rebuilds');
  routes.rebuild(config, sources(['::1', '10.0.0.1']));
  t.equal(log.warnings().length, 2, 'another server: another warning');
});

// Guards the comparison in reportLinks: the link domains' routes are reported when they change.
t.test('link domain routes are reported when they change', async (t) => {
  const config = configOf({});
  const { routes, messages } = setup(t, config);
  const link = { link: 'eth0', servers: [ep('10.1.0.1')], domains: ['lab.test'] };
  routes.rebuild(config, sources(['10.1.0.1'], [link]));
  routes.rebuild(config, sources(['10.1.0.1'], [link]));
  t.match(messages('link domain routes changed'), [{ old: {}, new: { 'lab.test': ['10.1.0.1:53'] } }], 'one line for two rebuilds');
  t.equal(messages('link domain routes changed').length, 1);
  routes.rebuild(config, sources(['10.1.0.1']));
  t.match(messages('link domain routes changed')[1], { old: { 'lab.test': ['10.1.0.1:53'] }, new: {} }, 'the lease lost its domain');
  t.same(routes.describe()['.'], ['10.1.0.1:53'], 'the table in force');
});

// Guards the SpecialZone check of describe(): the built-in routes are not listed as configured ones.
t.test('describe lists the forwarding routes, not the built-in ones; a configured special zone is listed', async (t) => {
  const config = configOf({ route: ['corp.local=10.5.0.1', 'invalid=10.6.0.1'] });
  const { routes } = setup(t, config);
  routes.rebuild(config, sources(['10.1.0.1']));
  t.same(
    [...routes.table.routes()].filter((r) => r.group instanceof SpecialZone).map((r) => r.zone),
    ['localhost', 'local'],
    'in the table: the built-in routes the config leaves',
  );
  t.same(routes.describe(), {
    consul: ['127.0.0.1:8600'],
    'corp.local': ['10.5.0.1:53'],
    invalid: ['10.6.0.1:53'],
    '.': ['10.1.0.1:53'],
  });
});

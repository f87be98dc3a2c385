// The host's addresses with a fake interface reader: the snapshot (canonical spelling, CIDR,
// sorted), a change reported once (appear, disappear, reappear), every read reported to onPoll,
// a failing read warned about once, the timer only while someone subscribes; and the endpoints
// the watched listen entries stand for.
import type { NetworkInterfaceInfo } from 'node:os';
import t from 'tap';
import type { WatchedListen } from '../../src/address.js';
import { type HostAddress, HostAddresses, hostAddressesOf, watchedEndpoints } from '../../src/server/host-addresses.js';
import { captureLog } from '../helpers/logger.js';
import { WAIT_MS } from '../helpers/wait.js';

type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

function v4(address: string, prefix: number, internal = false): NetworkInterfaceInfo {
  return { address, netmask: '', family: 'IPv4', mac: '00:00:00:00:00:00', internal, cidr: `${address}/${prefix}` };
}

function v6(address: string, prefix: number, scopeid = 0): NetworkInterfaceInfo {
  return { address, netmask: '', family: 'IPv6', mac: '00:00:00:00:00:00', internal: false, cidr: `${address}/${prefix}`, scopeid };
}

/** A reader whose answer the test sets; it throws while `fail` is set. */
function fakeReader(initial: Interfaces) {
  const state = { now: initial, fail: null as Error | null, reads: 0 };
  const read = () => {
    state.reads++;
    if (state.fail) throw state.fail;
    return state.now;
  };
  return { state, read };
}

const LO = { lo: [v4('127.0.0.1', 8, true)] };
const DOCKER = { docker0: [v4('172.17.0.1', 16), v6('fe80::42:acff:fe11:1', 64, 5)] };

t.test('hostAddressesOf: canonical addresses, the CIDR, sorted by interface and address', async (t) => {
  const list = hostAddressesOf({ eth0: [v6('FD00:0:0:0:0:0:0:1', 64), v4('10.0.0.2', 24)], br0: [v4('192.168.1.1', 24)], none: undefined });
  t.same(list, [
    { interface: 'br0', address: '192.168.1.1', family: 4, cidr: '192.168.1.1/24', internal: false },
    { interface: 'eth0', address: '10.0.0.2', family: 4, cidr: '10.0.0.2/24', internal: false },
    { interface: 'eth0', address: 'fd00::1', family: 6, cidr: 'fd00::1/64', internal: false },
  ]);
  const numeric = { ...v6('::2', 128), family: 6 } as unknown as NetworkInterfaceInfo;
  t.equal(hostAddressesOf({ x: [numeric] })[0]!.family, 6, 'a numeric family (older Node) is read too');
  const noMask = hostAddressesOf({ x: [{ ...v4('10.0.0.1', 8), cidr: null }, { ...v6('fd00::1', 64), cidr: null }] });
  t.same(noMask.map((a) => a.cidr), ['10.0.0.1/32', 'fd00::1/128'], 'no CIDR (a netmask Node cannot read): the address alone');
});

t.test('onChange: appear, disappear, reappear, each once; an unchanged read is no change', async (t) => {
  const { state, read } = fakeReader(LO);
  const hosts = new HostAddresses(captureLog().logger, { read, intervalMs: 60_000 });
  const changes: Array<[string[], string[]]> = [];
  const show = (l: readonly HostAddress[]) => l.map((a) => `${a.interface} ${a.cidr}`);
  const off = hosts.onChange((now, before) => changes.push([show(now), show(before)]));
  t.teardown(off);
  hosts.poll();
  t.same(changes, [], 'the first read after subscribing is the baseline');
  state.now = { ...LO, ...DOCKER };
  hosts.poll();
  hosts.poll();
  state.now = LO;
  hosts.poll();
  hosts.poll();
  state.now = { ...LO, ...DOCKER };
  hosts.poll();
  const lo = ['lo 127.0.0.1/8'];
  const both = ['docker0 172.17.0.1/16', 'docker0 fe80::42:acff:fe11:1/64', 'lo 127.0.0.1/8'];
  t.same(changes, [
    [both, lo],
    [lo, both],
    [both, lo],
  ]);
  state.now = { lo: [v4('127.0.0.1', 16, true)] };
  hosts.poll();
  t.equal(changes.length, 4, 'a new prefix length is a change');
  t.same(show(hosts.current()), ['lo 127.0.0.1/16'], 'current() is the last read');
});

t.test('onPoll: every read, changed or not; current() without a subscriber reads afresh', async (t) => {
  const { state, read } = fakeReader(LO);
  const hosts = new HostAddresses(captureLog().logger, { read, intervalMs: 60_000 });
  t.same(hosts.current().map((a) => a.address), ['127.0.0.1']);
  state.now = DOCKER;
  t.same(hosts.current().map((a) => a.address), ['172.17.0.1', 'fe80::42:acff:fe11:1'], 'not polling: a fresh read');
  let polls = 0;
  const off = hosts.onPoll(() => polls++);
  const readsBefore = state.reads;
  state.now = LO;
  t.same(hosts.current().map((a) => a.address), ['172.17.0.1', 'fe80::42:acff:fe11:1'], 'polling: the last read');
  t.equal(state.reads, readsBefore, 'without reading again');
  hosts.poll();
  hosts.poll();
  t.equal(polls, 2);
  off();
});

t.test('a read that fails keeps the last addresses, warned about once, and once more after it recovered', async (t) => {
  const { state, read } = fakeReader({ ...LO, ...DOCKER });
  const log = captureLog();
  const hosts = new HostAddresses(log.logger, { read, intervalMs: 60_000 });
  let changes = 0;
  const seen: string[][] = [];
  t.teardown(hosts.onChange(() => changes++));
  t.teardown(hosts.onPoll((now) => seen.push(now.map((a) => a.address))));
  state.fail = Object.assign(new Error('ENOMEM'), { code: 'ENOMEM' });
  for (let i = 0; i < 3; i++) hosts.poll();
  t.equal(changes, 0, 'no change reported');
  t.same(seen.at(-1), ['172.17.0.1', 'fe80::42:acff:fe11:1', '127.0.0.1'], 'onPoll still gets the last addresses');
  t.match(log.warnings(), [{ msg: "cannot read the host's interface addresses: keeping the last ones, retrying", err: 'ENOMEM' }]);
  t.equal(log.warnings().length, 1, 'one warning for three failed reads');
  state.fail = null;
  hosts.poll();
  t.ok(log.lines.some((l) => l.msg === "the host's interface addresses can be read again"));
  state.fail = new Error('again');
  hosts.poll();
  hosts.poll();
  t.equal(log.warnings().length, 2, 'a new failure after a good read is warned about again');
});

t.test('a failing first read gives no addresses', async (t) => {
  const { state, read } = fakeReader(LO);
  state.fail = new Error('no netlink');
  const hosts = new HostAddresses(captureLog().logger, { read, intervalMs: 60_000 });
  t.same(hosts.current(), []);
});

t.test('the timer reads on its own, unref\'d, only while someone subscribes', async (t) => {
  const { state, read } = fakeReader(LO);
  const hosts = new HostAddresses(captureLog().logger, { read, intervalMs: 5 });
  t.notOk(hosts.polling, 'nobody listens: no timer');
  const changed = new Promise<readonly HostAddress[]>((resolve) => {
    const off = hosts.onChange((now) => {
      off();
      resolve(now);
    });
  });
  t.ok(hosts.polling);
  const timer = (hosts as unknown as { timer: NodeJS.Timeout }).timer;
  t.notOk(timer.hasRef(), 'the timer does not keep the process alive');
  state.now = DOCKER;
  // The timer being unref'd, this wait's own (ref'd) bound keeps the test process alive meanwhile.
  let bound: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (bound = setTimeout(() => reject(new Error('no change read within 10 s')), WAIT_MS)));
  const now = await Promise.race([changed, late]).finally(() => clearTimeout(bound));
  t.same(now.map((a) => a.address), ['172.17.0.1', 'fe80::42:acff:fe11:1'], 'the timer read the change');
  t.notOk(hosts.polling, 'the last subscriber left: the timer is stopped');
  const offA = hosts.onPoll(() => {});
  const offB = hosts.onChange(() => {});
  offA();
  t.ok(hosts.polling, 'one subscriber left: still polling');
  offB();
  t.notOk(hosts.polling);
});

t.test('watchedEndpoints: an interface stands for its IPv4 and non-link-local IPv6 addresses; an optional address when the host has it', async (t) => {
  const addresses = hostAddressesOf({
    ...LO,
    docker0: [v4('172.17.0.1', 16), v6('fd00:17::1', 64), v6('fe80::1', 64, 4), v6('febf::1', 64, 4)],
    nomad: [v4('172.26.64.1', 20)],
  });
  const show = (w: readonly WatchedListen[]) => watchedEndpoints(w, addresses).map((e) => `${e.interface} ${e.endpoint.host} ${e.endpoint.port} ${e.endpoint.family}`);
  t.same(show([{ kind: 'interface', name: 'docker0', port: 53 }]), ['docker0 172.17.0.1 53 4', 'docker0 fd00:17::1 53 6']);
  t.same(show([{ kind: 'interface', name: 'nomad', port: 5353 }]), ['nomad 172.26.64.1 5353 4']);
  t.same(show([{ kind: 'interface', name: 'eth9', port: 53 }]), [], 'an interface the host does not have');
  t.same(show([{ kind: 'interface', name: 'docker', port: 53 }]), [], 'the name matches whole');
  const optional = (host: string, port = 53, family: 4 | 6 = 4): WatchedListen => ({ kind: 'address', endpoint: { host, port, family } });
  t.same(show([optional('172.26.64.1')]), ['nomad 172.26.64.1 53 4']);
  t.same(show([optional('172.26.64.2')]), [], 'an address the host does not have');
  t.same(show([optional('fd00:17::1', 54, 6)]), ['docker0 fd00:17::1 54 6']);
  t.same(
    show([{ kind: 'interface', name: 'docker0', port: 53 }, optional('172.17.0.1'), { kind: 'interface', name: 'docker0', port: 54 }]),
    ['docker0 172.17.0.1 53 4', 'docker0 fd00:17::1 53 6', 'docker0 172.17.0.1 54 4', 'docker0 fd00:17::1 54 6'],
    'an endpoint named twice counts once',
  );
});

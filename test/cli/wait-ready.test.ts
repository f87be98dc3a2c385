// wait-ready.ts: the --timeout argument, the addresses and the name it asks, and the wait itself
// against a fake daemon on 127.0.76.1 (UDP and TCP answered, or TCP not listened on).
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import t, { type Test } from 'tap';
import { plainRun } from '../../src/cli/argv.js';
import { parseTimeout, readyQuestion, readyTargets, waitReady, waitReadyCommand } from '../../src/cli/wait-ready.js';
import type { HostAddress } from '../../src/server/host-addresses.js';
import { freePort } from '../helpers/ports.js';

const HOST = '127.0.76.1';

t.test('--timeout: seconds, 10 by default; anything else is one reason', async (t) => {
  t.same(parseTimeout(undefined), { ok: true, ms: 10_000 });
  t.same(parseTimeout('3'), { ok: true, ms: 3000 });
  t.same(parseTimeout('0.5'), { ok: true, ms: 500 });
  t.same(parseTimeout('3600'), { ok: true, ms: 3_600_000 });
  for (const bad of ['0', '0.0', '-1', '3601', 'abc', '', '1e3', '5s', ' 5']) {
    const r = parseTimeout(bad);
    t.same(r, { ok: false, reason: `expected seconds, a number above 0 and at most 3600; got "${bad}"` }, bad);
  }
  t.same(parseTimeout(['1', '2']), { ok: false, reason: 'expected seconds, a number above 0 and at most 3600; given more than once' });
});

t.test('wait-ready is not a plain run: it goes through yargs, and the daemon never sees it', async (t) => {
  t.equal(plainRun(['wait-ready']), null);
  t.equal(plainRun(['wait-ready', '--timeout', '5', '--config', '/etc/dnsfwd/dnsfwd.yaml']), null);
});

const ep = (host: string, port = 53) => ({ host, port, family: host.includes(':') ? (6 as const) : (4 as const) });
const addr = (iface: string, address: string): HostAddress => ({
  interface: iface,
  address,
  family: address.includes(':') ? 6 : 4,
  cidr: `${address}/24`,
  internal: false,
});

t.test('readyTargets: each listen address, a wildcard as its loopback, and the watched ones the host has now', async (t) => {
  const listen = [ep('127.0.0.1'), ep('0.0.0.0', 5300), ep('::'), ep('192.168.1.5')];
  const listenWatched = [
    { kind: 'interface' as const, name: 'docker0', port: 53 },
    { kind: 'interface' as const, name: 'nomad', port: 53 },
    { kind: 'address' as const, endpoint: ep('10.0.0.7', 5353) },
    { kind: 'address' as const, endpoint: ep('127.0.0.1') },
  ];
  const host = [addr('docker0', '172.17.0.1'), addr('eth0', '10.0.0.7'), addr('lo', '127.0.0.1')];
  t.same(readyTargets({ listen, listenWatched }, host), [
    ep('127.0.0.1'),
    ep('127.0.0.1', 5300),
    ep('::1'),
    ep('192.168.1.5'),
    ep('172.17.0.1'),
    ep('10.0.0.7', 5353),
  ]);
  t.same(readyTargets({ listen: [], listenWatched }, []), [], 'nothing listened on yet: nothing to ask');
});

t.test('readyQuestion: a name dnsfwd answers itself, in a zone no route takes', async (t) => {
  t.equal(readyQuestion([]), 'localhost.');
  t.equal(readyQuestion([{ zone: 'localhost' }] as never), 'local.');
  t.equal(readyQuestion([{ zone: 'consul' }] as never), 'localhost.');
});

/** A fake daemon on HOST: answers every question over UDP, and over TCP unless `tcp` is false. */
async function fakeDaemon(t: Test, tcp: boolean): Promise<{ port: number; asked: string[] }> {
  const port = await freePort(HOST);
  const asked: string[] = [];
  const reply = (q: Buffer) => {
    asked.push(q.subarray(12).toString('latin1'));
    const r = Buffer.from(q);
    r[2] = r[2]! | 0x80;
    return r;
  };
  const udp = createSocket('udp4');
  udp.on('message', (m, from) => udp.send(reply(m), from.port, from.address));
  await new Promise<void>((r) => udp.bind(port, HOST, r));
  t.teardown(() => udp.close());
  if (tcp) {
    const server = createServer((s) => s.once('data', (d) => s.end(Buffer.concat([d.subarray(0, 2), reply(d.subarray(2))]))));
    await new Promise<void>((r) => server.listen(port, HOST, r));
    t.teardown(() => server.close());
  }
  return { port, asked };
}

t.test('waitReady: resolves once UDP and TCP both answer', async (t) => {
  const fake = await fakeDaemon(t, true);
  await waitReady([ep(HOST, fake.port)], 'localhost.', 10_000);
  t.equal(fake.asked.length, 2, 'one question each over UDP and TCP');
  t.ok(fake.asked.every((q) => q.includes('localhost')), 'localhost. asked');
});

t.test('waitReady: one line naming the address and transport that did not answer', async (t) => {
  const fake = await fakeDaemon(t, false);
  await t.rejects(waitReady([ep(HOST, fake.port)], 'localhost.', 500), {
    message: `no answer from ${HOST}:${fake.port} over TCP within 0.5 s (ECONNREFUSED)`,
  });
  t.ok(fake.asked.length >= 1, 'UDP was answered first');
});

t.test('waitReady: a UDP question nobody answers is the one line too', async (t) => {
  const port = await freePort(HOST);
  await t.rejects(waitReady([ep(HOST, port)], 'localhost.', 500), { message: `no answer from ${HOST}:${port} over UDP within 0.5 s (ECONNREFUSED)` });
});

/** Runs the command with process.exit and stderr caught: the exit code and what it wrote. */
async function command(t: Test, flags: Parameters<typeof waitReadyCommand>[0]): Promise<{ code: number | undefined; stderr: string }> {
  const exit = process.exit;
  const write = process.stderr.write;
  let stderr = '';
  class Exit {
    constructor(readonly code: number | undefined) {}
  }
  process.exit = ((code?: number) => {
    throw new Exit(code);
  }) as typeof process.exit;
  process.stderr.write = ((s: string) => {
    stderr += s;
    return true;
  }) as typeof process.stderr.write;
  t.teardown(() => {
    process.exit = exit;
    process.stderr.write = write;
  });
  try {
    await waitReadyCommand(flags);
  } catch (err) {
    if (err instanceof Exit) return { code: err.code, stderr };
    throw err;
  } finally {
    process.exit = exit;
    process.stderr.write = write;
  }
  return { code: undefined, stderr };
}

t.test('the command: exit 0 once answered; 2 on a bad --timeout or config; 1 when not answered; one line each', async (t) => {
  const fake = await fakeDaemon(t, true);
  t.same(await command(t, { listen: [`${HOST}:${fake.port}`] }), { code: 0, stderr: '' });
  t.same(await command(t, { listen: [`${HOST}:${fake.port}`], timeout: 'soon' }), {
    code: 2,
    stderr: 'dnsfwd: --timeout: expected seconds, a number above 0 and at most 3600; got "soon"\n',
  });
  t.same(await command(t, { listen: ['nowhere'] }), {
    code: 2,
    stderr: 'dnsfwd: <command line>: --listen: "nowhere": not an IP address (use ADDR, ADDR:PORT or [IPv6]:PORT)\n',
  });
  const port = await freePort(HOST);
  t.same(await command(t, { listen: [`${HOST}:${port}`], timeout: '0.3' }), {
    code: 1,
    stderr: `dnsfwd: wait-ready: no answer from ${HOST}:${port} over UDP within 0.3 s (ECONNREFUSED)\n`,
  });
});

// `dnsfwd status` and `explain` in a cluster (server.workers 2): status gives each worker's own
// report (its pid, its cache), under a heading each in the human form; explain is one worker's.
import t from 'tap';
import type { ExplainReport } from '../../src/control/explain.js';
import type { StatusReport } from '../../src/control/status.js';
import { runDnsfwd, startDnsfwd } from '../helpers/daemon.js';
import { aRecord, startFake } from '../helpers/fake-upstream.js';
import { freePort } from '../helpers/ports.js';

const LISTEN = '127.0.78.11';
const CONSUL = '127.0.78.12';
const consulPort = await freePort(CONSUL);
const consul = await startFake({ address: CONSUL, port: consulPort, answer: (n) => ({ answers: [aRecord(n, '10.0.0.5', 60)] }) });
t.teardown(() => consul.close());
const port = await freePort(LISTEN);
const daemon = await startDnsfwd(['--workers', '2', '--listen', `${LISTEN}:${port}`, '--route', `consul=${CONSUL}:${consulPort}`, '--lease-file', '/nonexistent/dhclient.leases']);
t.teardown(() => daemon.stop());
await daemon.waitForMsg('all workers started', 30_000);

const ctl = (args: string[]) => runDnsfwd([...args, '--control-socket', daemon.controlSocket!]);

t.test("status: each worker's report, under a heading each", async (t) => {
  const r = await ctl(['status', '--json']);
  t.equal(r.code, 0, r.stderr);
  const workers = (JSON.parse(r.stdout) as { workers: (StatusReport & { pid: number })[] }).workers;
  t.equal(workers.length, 2);
  t.not(workers[0]!.pid, workers[1]!.pid);
  for (const w of workers) {
    t.same(w.routes.find((x) => x.zone === 'consul')?.servers.map((s) => s.server), [`${CONSUL}:${consulPort}`], `worker ${w.pid}: its routes`);
    t.same(w.listeners, [{ address: `${LISTEN}:${port}`, transports: ['udp', 'tcp'] }]);
  }
  const text = (await ctl(['status'])).stdout;
  for (const w of workers) t.match(text, new RegExp(`== worker ${w.pid} ==\\ndnsfwd \\S+ \\(node v[\\d.]+\\), pid ${w.pid},`));
  t.equal(text.match(/^Routes \(servers in the order they are tried\):$/gm)?.length, 2, "both workers' routes");

  const e = await ctl(['explain', 'web.service.consul', '--json']);
  t.equal(e.code, 0, e.stderr);
  const report = JSON.parse(e.stdout) as ExplainReport;
  t.ok(workers.some((w) => w.pid === report.pid), 'explain: one worker answers, with its pid');
  t.match(report.route, { zone: 'consul', origin: { kind: 'config' } });
});

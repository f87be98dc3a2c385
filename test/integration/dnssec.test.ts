// DNSSEC validation end to end, with the real dig: dnsfwd forwards to a plain Unbound in front of a
// signed hierarchy of NSDs (test/helpers/signed-hierarchy.ts) with the test root's KSK as its trust
// anchor, and a validating Unbound of the same hierarchy is the oracle: for each case dnsfwd's RCODE
// and AD bit are the oracle's. Then what only dnsfwd does: Extended DNS Errors, CD=1, a DO=0 client,
// `.consul` never validated, a server that strips DNSSEC records (allow-downgrade answers, validate
// SERVFAILs), the cache keeping the verdict, the modes and `dnsfwd check` on a bad anchors file.
import { execFile, spawnSync } from 'node:child_process';
import t, { type Test } from 'tap';
import { runDnsfwd, startDnsfwd, type DaemonProcess } from '../helpers/daemon.js';
import { startDnsmasq } from '../helpers/dnsmasq.js';
import { freePort } from '../helpers/ports.js';
import { ALTERED_A, CASES, query, startSignedHierarchy, UNSIGNED_UNDER_OPTOUT, WWW_A, type Endpoint, type QueryOptions } from '../helpers/signed-hierarchy.js';
import { requireRoot, requireTool, ROOT } from '../helpers/tools.js';

requireRoot('the signed hierarchy runs NSD on port 53 of 127.0.90.x');
for (const tool of ['nsd', 'unbound', 'ldns-keygen', 'ldns-key2ds', 'ldns-signzone', 'dig', 'dnsmasq', 'setpriv']) requireTool(tool);
t.setTimeout(240_000);

const h = await startSignedHierarchy();
t.teardown(() => h.stop());
const { secure, nsec3, optout, insecure, bogus, expired, nokey, alg5, nta, iterations, sha1ds } = CASES;

// dnsfwd's own addresses: 127.0.91.0/24 (the hierarchy has 127.0.90.0/24).
const CONSUL = { address: '127.0.91.9', port: await freePort('127.0.91.9') };
const consul = await startDnsmasq({ address: CONSUL.address, port: CONSUL.port, records: ['--address=/service.consul/10.91.0.9'] });
t.teardown(() => consul.stop());

const dir = t.testdir({ 'anchors.txt': `; the test root's KSK\n${h.trustAnchorDs}\n` });

/** A dnsfwd on `address` forwarding the default route to `upstream`, with `dnssec` as the YAML mapping's body. */
async function daemon(address: string, upstream: Endpoint, dnssec: string, routes: string[] = []): Promise<{ d: DaemonProcess; at: Endpoint }> {
  const port = await freePort(address);
  const file = `${dir}/${address}.yaml`;
  const { writeFileSync } = await import('node:fs');
  writeFileSync(
    file,
    [
      `listen: ["${address}:${port}"]`,
      'routes:',
      `  - {zone: consul, servers: ["${CONSUL.address}:${CONSUL.port}"]}`,
      ...routes.map((r) => `  - ${r}`),
      `default: {sources: [], servers: ["${upstream.address}:${upstream.port}"]}`,
      `dnssec: {${dnssec}}`,
      'log_level: debug',
      '',
    ].join('\n'),
  );
  const d = await startDnsfwd(['--config', file]);
  t.teardown(() => d.stop());
  return { d, at: { address, port } };
}

const anchors = `trust_anchors: "${dir}/anchors.txt", negative_trust_anchors: ["${nta.slice(0, -1)}"]`;
const main = await daemon('127.0.91.1', h.resolver, `mode: allow-downgrade, ${anchors}`);
const strict = await daemon('127.0.91.2', h.resolver, `mode: validate, ${anchors}`);
const downgrading = await daemon('127.0.91.3', h.stripper, `mode: allow-downgrade, ${anchors}`);
const refusing = await daemon('127.0.91.4', h.stripper, `mode: validate, ${anchors}`);
const off = await daemon('127.0.91.5', h.resolver, `mode: off, ${anchors}`);
const server = `["${h.resolver.address}:${h.resolver.port}"]`;
const routed = await daemon('127.0.91.6', h.resolver, `mode: validate, ${anchors}`, [
  `{zone: ${bogus.slice(0, -1)}, servers: ${server}}`,
  `{zone: ${nokey.slice(0, -1)}, servers: ${server}, dnssec: true}`,
]);

interface Case {
  readonly name: string;
  readonly type: string;
  readonly o?: QueryOptions;
  /** What both should say; checked against the oracle too. */
  readonly rcode: string;
  readonly ad: boolean;
}

/** dnsfwd at `at` and the oracle agree on RCODE and AD, and both are `c`'s. */
async function agrees(t: Test, at: Endpoint, c: Case): Promise<void> {
  const [ours, oracle] = await Promise.all([query(at, c.name, c.type, c.o), query(h.oracle, c.name, c.type, c.o)]);
  const label = `${c.name} ${c.type}${c.o?.cd ? ' +cd' : ''}${c.o?.dnssec ? ' +dnssec' : ''}`;
  t.equal(oracle.rcode, c.rcode, `${label}: the oracle says ${c.rcode}`, { dig: oracle.raw });
  t.equal(oracle.ad, c.ad, `${label}: the oracle's AD=${c.ad ? 1 : 0}`, { dig: oracle.raw });
  t.equal(ours.rcode, oracle.rcode, `${label}: dnsfwd's RCODE is the oracle's`, { dig: ours.raw });
  t.equal(ours.ad, oracle.ad, `${label}: dnsfwd's AD is the oracle's`, { dig: ours.raw });
}

const CASES_BOTH: Case[] = [
  { name: `www.${secure}`, type: 'A', rcode: 'NOERROR', ad: true },
  { name: `alias.${secure}`, type: 'A', rcode: 'NOERROR', ad: true },
  { name: `any.wild.${secure}`, type: 'A', rcode: 'NOERROR', ad: true },
  { name: secure, type: 'MX', rcode: 'NOERROR', ad: true },
  { name: `nothing.${secure}`, type: 'A', rcode: 'NXDOMAIN', ad: true },
  { name: `www.${secure}`, type: 'AAAA', rcode: 'NOERROR', ad: true },
  { name: `ent.${secure}`, type: 'A', rcode: 'NOERROR', ad: true },
  { name: `www.${nsec3}`, type: 'A', rcode: 'NOERROR', ad: true },
  { name: `nothing.${nsec3}`, type: 'A', rcode: 'NXDOMAIN', ad: true },
  { name: `www.${nsec3}`, type: 'AAAA', rcode: 'NOERROR', ad: true },
  { name: `any.wild.${nsec3}`, type: 'A', rcode: 'NOERROR', ad: true },
  { name: `www.${insecure}`, type: 'A', rcode: 'NOERROR', ad: false },
  { name: `www.${UNSIGNED_UNDER_OPTOUT}`, type: 'A', rcode: 'NOERROR', ad: false },
  { name: `nothing.${optout}`, type: 'A', rcode: 'NXDOMAIN', ad: false },
  { name: `www.${bogus}`, type: 'A', rcode: 'SERVFAIL', ad: false },
  { name: `www.${expired}`, type: 'A', rcode: 'SERVFAIL', ad: false },
  { name: `www.${nokey}`, type: 'A', rcode: 'SERVFAIL', ad: false },
  { name: `www.${bogus}`, type: 'A', o: { cd: true }, rcode: 'NOERROR', ad: false },
  { name: `www.${nta}`, type: 'A', rcode: 'NOERROR', ad: false },
  { name: `www.${iterations}`, type: 'A', rcode: 'NOERROR', ad: true },
  { name: `nothing.${iterations}`, type: 'A', rcode: 'NXDOMAIN', ad: false },
  { name: `www.${secure}`, type: 'A', o: { dnssec: true }, rcode: 'NOERROR', ad: true },
  { name: `nothing.${nsec3}`, type: 'A', o: { dnssec: true }, rcode: 'NXDOMAIN', ad: true },
];

t.test('allow-downgrade (the default mode) agrees with the validating Unbound on every case', async (t) => {
  for (const c of CASES_BOTH) await agrees(t, main.at, c);
});

t.test('validate agrees with it too, when the servers pass DNSSEC records', async (t) => {
  for (const c of CASES_BOTH) await agrees(t, strict.at, c);
});

t.test('asked again, each answer comes from the cache with the same verdict', async (t) => {
  for (const c of CASES_BOTH.filter((x) => x.rcode !== 'SERVFAIL')) await agrees(t, main.at, c);
  const hits = main.d.logs.filter((l) => l.msg === 'DNSSEC: bogus, answering SERVFAIL').length;
  t.ok(hits >= 3, 'bogus answers are logged with their reason at debug');
});

t.test('algorithm 5 (RSASHA1) is insecure here, where Unbound 1.17 still calls it secure', async (t) => {
  const ours = await query(main.at, `www.${alg5}`, 'A');
  t.equal(ours.rcode, 'NOERROR');
  t.notOk(ours.ad, 'AD=0: a deprecated algorithm makes the zone insecure, not bogus');
  t.same(ours.answers, [`www.${alg5} A ${WWW_A}`]);
});

t.test('a zone delegated with a SHA-1 DS alone is insecure here, not bogus', async (t) => {
  const ours = await query(main.at, `www.${sha1ds}`, 'A');
  t.equal(ours.rcode, 'NOERROR');
  t.notOk(ours.ad, 'AD=0: a deprecated digest makes the delegation insecure');
  t.same(ours.answers, [`www.${sha1ds} A ${WWW_A}`]);
  const oracle = await query(h.oracle, `www.${sha1ds}`, 'A');
  t.equal(oracle.rcode, 'NOERROR', 'Unbound answers too');
  t.comment(`Unbound 1.17 gives AD=${oracle.ad ? 1 : 0} for it`);
  const i = await runDnsfwd(['explain', `www.${sha1ds}`, '--control-socket', main.d.controlSocket!]);
  t.match(i.stdout, new RegExp(`${sha1ds.slice(0, -1).replace(/\./g, '\\.')}: insecure: no DS with a supported algorithm and digest`));
});

t.test('bogus answers carry an Extended DNS Error saying why', async (t) => {
  const cases: [string, RegExp][] = [
    [`www.${bogus}`, /EDE: 6 \(DNSSEC Bogus\)/],
    [`www.${expired}`, /EDE: 7 \(Signature Expired\)/],
    [`www.${nokey}`, /EDE: 9 \(DNSKEY Missing\)/],
  ];
  for (const [name, ede] of cases) {
    const r = await query(main.at, name, 'A', { dnssec: true });
    t.equal(r.rcode, 'SERVFAIL', name);
    t.match(r.raw, ede, `${name}: ${ede}`);
  }
  const line = main.d.logs.find((l) => l.msg === 'DNSSEC: bogus, answering SERVFAIL' && l.qname === `www.${expired}`.slice(0, -1));
  t.match(String(line?.why), /expired/, 'the debug line says why');
});

t.test('CD=1 gets the bogus data unvalidated, and the next CD=0 query is still SERVFAIL', async (t) => {
  const cd = await query(main.at, `www.${bogus}`, 'A', { cd: true });
  t.same(cd.answers, [`www.${bogus} A ${ALTERED_A}`]);
  t.equal((await query(main.at, `www.${bogus}`, 'A')).rcode, 'SERVFAIL');
});

t.test('a DO=0 client gets no RRSIG; a DO=1 client gets them, and AD', async (t) => {
  const plain = await query(main.at, `www.${secure}`, 'A');
  t.same(plain.answers, [`www.${secure} A ${WWW_A}`]);
  t.ok(plain.ad, 'AD, as dig sets AD in its query');
  const signed = await query(main.at, `www.${secure}`, 'A', { dnssec: true });
  t.same(signed.answers.map((a) => a.split(' ').slice(0, 3).join(' ')), [`www.${secure} A ${WWW_A}`, `www.${secure} RRSIG A`]);
});

t.test('.consul is never validated', async (t) => {
  const r = await query(main.at, 'web.service.consul', 'A', { dnssec: true });
  t.equal(r.rcode, 'NOERROR');
  t.notOk(r.ad);
  t.same(r.answers, ['web.service.consul. A 10.91.0.9']);
  const s = await query(strict.at, 'web.service.consul', 'A');
  t.equal(s.rcode, 'NOERROR', 'not in validate mode either');
});

t.test('a route to servers of its own is not validated unless it says dnssec: true', async (t) => {
  const r = await query(routed.at, `www.${bogus}`, 'A');
  t.equal(r.rcode, 'NOERROR', 'a bogus zone on a route of its own: passed on');
  t.notOk(r.ad);
  t.same(r.answers, [`www.${bogus} A ${ALTERED_A}`]);
  t.equal((await query(routed.at, `www.${nokey}`, 'A')).rcode, 'SERVFAIL', 'a route with dnssec: true is validated');
  t.equal((await query(routed.at, `www.${expired}`, 'A')).rcode, 'SERVFAIL', 'the default route is');
});

t.test('the special-use names are not validated: test. does not exist in the root, and is insecure', async (t) => {
  const r = await query(main.at, 'anything.test', 'A');
  t.equal(r.rcode, 'NXDOMAIN', 'the test root says so');
  t.notOk(r.ad, 'insecure by default (RFC 6761), not a secure NXDOMAIN');
  const root = await query(main.at, 'anything.nowhere', 'A');
  t.equal(root.rcode, 'NXDOMAIN');
  t.ok(root.ad, 'another name the root proves absent: secure');
});

t.test('a server that strips DNSSEC records: allow-downgrade answers insecure, validate SERVFAILs', async (t) => {
  const r = await query(downgrading.at, `www.${secure}`, 'A');
  t.equal(r.rcode, 'NOERROR');
  t.notOk(r.ad, 'insecure');
  // The stripper writes names as the query spelt them (0x20 case upstream, RFC 5452 §9.3).
  t.same(r.answers.map((a) => a.toLowerCase()), [`www.${secure} a ${WWW_A}`]);
  await downgrading.d.waitForMsg('DNSSEC: this server gives no DNSSEC records; its answers are not validated (dnssec: allow-downgrade)');
  t.equal((await query(downgrading.at, `www.${bogus}`, 'A')).rcode, 'NOERROR', 'downgraded: nothing is validated');
  const again = downgrading.d.logs.filter((l) => String(l.msg).startsWith('DNSSEC: this server gives no DNSSEC')).length;
  t.equal(again, 1, 'said once for the server');
  const v = await query(refusing.at, `www.${secure}`, 'A', { dnssec: true });
  t.equal(v.rcode, 'SERVFAIL', 'validate never downgrades');
  t.match(v.raw, /EDE: 10 \(RRSIGs Missing\)/);
});

t.test('dnssec: off passes the servers\' answers as they are', async (t) => {
  t.equal((await query(off.at, `www.${bogus}`, 'A')).rcode, 'NOERROR');
  const r = await query(off.at, `www.${secure}`, 'A', { dnssec: true });
  t.notOk(r.ad, 'AD is the upstream\'s: the plain resolver sets none');
  t.match(r.raw, /RRSIG/);
});

t.test('dnsfwd check names the anchors file and its line', async (t) => {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(`${dir}/bad-anchors.txt`, `${h.trustAnchorDs}\n. IN DS 1 13 2 XYZ\n`);
  writeFileSync(`${dir}/bad.yaml`, `dnssec: {trust_anchors: "${dir}/bad-anchors.txt"}\nlisten: ["127.0.91.8:53"]\n`);
  const out = await new Promise<{ code: number | null; stderr: string }>((resolve) =>
    execFile(process.execPath, [`${ROOT}/dist/dnsfwd.mjs`, 'check', '--config', `${dir}/bad.yaml`], (err, _o, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
    ),
  );
  t.equal(out.code, 2);
  t.match(out.stderr, new RegExp(`${dir}/bad-anchors.txt:2:0: .*hex`));
});

t.test('dnsfwd explain shows the verdict and the chain of trust it used', async (t) => {
  const ctl = (...args: string[]) => runDnsfwd([...args, '--control-socket', main.d.controlSocket!]);
  const r = await ctl('explain', `www.${secure}`, '--query');
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /live query: NOERROR \(AD: DNSSEC secure\)/);
  t.match(r.stdout, /dnssec: allow-downgrade, validated; the chain of trust known now:/);
  t.match(r.stdout, /\n {4}\.: secure/, 'the root');
  t.match(r.stdout, new RegExp(`\\n {4}${secure.slice(0, -1).replace(/\./g, '\\.')}: secure`), 'the zone');
  const c = await ctl('explain', 'web.service.consul');
  t.match(c.stdout, /dnssec: allow-downgrade, not validated: its route has servers of its own/);
  const i = await ctl('explain', `www.${insecure}`, '--query');
  t.match(i.stdout, new RegExp(`${insecure.slice(0, -1).replace(/\./g, '\\.')}: insecure: a delegation without DS`));
});

t.test('a trust anchors file that stops parsing: the start fails with its line, a reload keeps the anchors in force', async (t) => {
  const { writeFileSync } = await import('node:fs');
  const file = `${dir}/reload-anchors.txt`;
  writeFileSync(file, `${h.trustAnchorDs}\n`);
  const r = await daemon('127.0.91.7', h.resolver, `mode: validate, trust_anchors: "${file}"`);
  t.ok((await query(r.at, `www.${secure}`, 'A')).ad, 'secure with the file as it was');
  writeFileSync(file, `${h.trustAnchorDs}\n. IN DS 1 13 2 ( 00\n`);
  const since = r.d.logs.length;
  r.d.child.kill('SIGHUP');
  const line = await r.d.waitForMsg('new configuration could not be applied: keeping the old one', 10_000, since);
  t.match(String(line.error), new RegExp(`${file}:2: a parenthesis left open`));
  t.ok((await query(r.at, `www.${nsec3}`, 'A')).ad, 'still validating with the anchors in force');
  const again = spawnSync(process.execPath, [`${ROOT}/dist/dnsfwd.mjs`, 'run', '--config', `${dir}/127.0.91.7.yaml`, '--control-socket', `${dir}/x.sock`], { encoding: 'utf8', timeout: 20_000 });
  t.not(again.status, 0, 'a start with that file fails');
  t.match(again.stderr, new RegExp(`trust anchors ${file}:2: a parenthesis left open`));
});

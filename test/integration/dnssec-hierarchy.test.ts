// The signed test hierarchy (test/helpers/signed-hierarchy.ts) is what the DNSSEC tests take it for:
// a validating Unbound (the oracle) judges each case as intended, the plain resolver passes DNSSEC
// records through and answers CD queries, the stripper removes them; stop() leaves nothing behind.
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import t, { type Test } from 'tap';
import { claimBlock } from '../helpers/loopback-block.js';
import { portFree } from '../helpers/ports.js';
import { ALTERED_A, CASES, startSignedHierarchy, WWW_A, type Endpoint, type QueryOptions } from '../helpers/signed-hierarchy.js';
import { requireRoot, requireTool } from '../helpers/tools.js';

requireRoot('the signed hierarchy runs NSD on port 53 of 127.0.90.x');
for (const tool of ['nsd', 'unbound', 'ldns-keygen', 'ldns-key2ds', 'ldns-signzone', 'dig', 'setpriv']) requireTool(tool);

const h = await startSignedHierarchy();
t.teardown(() => h.stop());
t.comment(`the hierarchy started in ${h.startupMs} ms, on ${h.servers.root.address} and the next addresses`);

const { secure, nsec3, optout, insecure, bogus, expired, nokey, alg5, nta, iterations } = CASES;

interface Expect {
  readonly rcode: string;
  readonly ad: boolean;
  /** The answer section exactly (`owner TYPE rdata`); omitted: not checked. */
  readonly answers?: string[];
}

/** Asks `server` and checks rcode, AD and the answers, with dig's output and the logs on failure. */
async function expectAnswer(t: Test, server: Endpoint, name: string, type: string, want: Expect, o: QueryOptions = {}) {
  const r = await h.query(server, name, type, o);
  const extra = { dig: r.raw, logs: r.rcode === want.rcode ? undefined : h.logs() };
  t.equal(r.rcode, want.rcode, `${name} ${type}: ${want.rcode}`, extra);
  t.equal(r.ad, want.ad, `${name} ${type}: AD=${want.ad ? 1 : 0}`, extra);
  if (want.answers) t.same(r.answers, want.answers, `${name} ${type}: the answer`, extra);
  return r;
}

t.test('the trust anchor is the root KSK, as a DS and a DNSKEY line', async (t) => {
  t.match(h.trustAnchorDs, /^\. IN DS \d+ 13 2 [0-9A-F]{64}$/);
  t.match(h.trustAnchorDnskey, /^\. IN DNSKEY 257 3 13 [A-Za-z0-9+/=]+$/);
  await expectAnswer(t, h.oracle, '.', 'SOA', { rcode: 'NOERROR', ad: true });
  await expectAnswer(t, h.oracle, 'example.', 'SOA', { rcode: 'NOERROR', ad: true });
});

t.test('oracle: signed zones are secure', async (t) => {
  const www = (zone: string) => [`www.${zone} A ${WWW_A}`];
  await expectAnswer(t, h.oracle, `www.${secure}`, 'A', { rcode: 'NOERROR', ad: true, answers: www(secure) });
  await expectAnswer(t, h.oracle, `alias.${secure}`, 'A', {
    rcode: 'NOERROR',
    ad: true,
    answers: [`alias.${secure} CNAME www.${secure}`, ...www(secure)],
  });
  await expectAnswer(t, h.oracle, `any.wild.${secure}`, 'A', { rcode: 'NOERROR', ad: true, answers: [`any.wild.${secure} A 192.0.2.2`] });
  await expectAnswer(t, h.oracle, secure, 'TXT', { rcode: 'NOERROR', ad: true, answers: [`${secure} TXT "dnsfwd test zone ${secure}"`] });
  const mx = await expectAnswer(t, h.oracle, secure, 'MX', { rcode: 'NOERROR', ad: true });
  t.same(mx.answers.sort(), [`${secure} MX 10 mail.${secure}`, `${secure} MX 20 mail2.${secure}`]);
  await expectAnswer(t, h.oracle, `www.${nsec3}`, 'A', { rcode: 'NOERROR', ad: true, answers: www(nsec3) });
  await expectAnswer(t, h.oracle, `www.${optout}`, 'A', { rcode: 'NOERROR', ad: true, answers: www(optout) });
});

t.test('oracle: denial of existence with NSEC and NSEC3 is secure', async (t) => {
  await expectAnswer(t, h.oracle, `nothing.${secure}`, 'A', { rcode: 'NXDOMAIN', ad: true, answers: [] });
  await expectAnswer(t, h.oracle, `www.${secure}`, 'AAAA', { rcode: 'NOERROR', ad: true, answers: [] });
  await expectAnswer(t, h.oracle, `ent.${secure}`, 'A', { rcode: 'NOERROR', ad: true, answers: [] });
  await expectAnswer(t, h.oracle, `nothing.${nsec3}`, 'A', { rcode: 'NXDOMAIN', ad: true, answers: [] });
  await expectAnswer(t, h.oracle, `www.${nsec3}`, 'AAAA', { rcode: 'NOERROR', ad: true, answers: [] });
  await expectAnswer(t, h.oracle, `any.wild.${nsec3}`, 'A', { rcode: 'NOERROR', ad: true, answers: [`any.wild.${nsec3} A 192.0.2.2`] });
});

t.test('oracle: insecure delegations, plain and under Opt-Out, answer without AD', async (t) => {
  await expectAnswer(t, h.oracle, `www.${insecure}`, 'A', { rcode: 'NOERROR', ad: false, answers: [`www.${insecure} A ${WWW_A}`] });
  const unsigned = `www.unsigned.${optout}`;
  await expectAnswer(t, h.oracle, unsigned, 'A', { rcode: 'NOERROR', ad: false, answers: [`${unsigned} A ${WWW_A}`] });
  // An NXDOMAIN proved by an Opt-Out NSEC3 says nothing about unsigned delegations: insecure (RFC 5155 §9.2).
  await expectAnswer(t, h.oracle, `nothing.${optout}`, 'A', { rcode: 'NXDOMAIN', ad: false });
});

t.test('oracle: bogus, expired and missing-key zones fail; CD=1 returns the bogus answer', async (t) => {
  for (const zone of [bogus, expired, nokey]) await expectAnswer(t, h.oracle, `www.${zone}`, 'A', { rcode: 'SERVFAIL', ad: false, answers: [] });
  const www = `www.${bogus}`;
  await expectAnswer(t, h.oracle, www, 'A', { rcode: 'NOERROR', ad: false, answers: [`${www} A ${ALTERED_A}`] }, { cd: true });
});

t.test('oracle: the negative trust anchor makes nta.example. insecure', async (t) => {
  const www = `www.${nta}`;
  await expectAnswer(t, h.oracle, www, 'A', { rcode: 'NOERROR', ad: false, answers: [`${www} A ${ALTERED_A}`] });
});

t.test('oracle: Unbound 1.17 on RSASHA1 and on NSEC3 with 200 iterations (see the helper)', async (t) => {
  await expectAnswer(t, h.oracle, `www.${alg5}`, 'A', { rcode: 'NOERROR', ad: true, answers: [`www.${alg5} A ${WWW_A}`] });
  await expectAnswer(t, h.oracle, `www.${iterations}`, 'A', { rcode: 'NOERROR', ad: true, answers: [`www.${iterations} A ${WWW_A}`] });
  await expectAnswer(t, h.oracle, `nothing.${iterations}`, 'A', { rcode: 'NXDOMAIN', ad: false, answers: [] });
});

t.test('resolver: DNSSEC records with DO, bogus answers with CD, no AD', async (t) => {
  const www = await expectAnswer(t, h.resolver, `www.${secure}`, 'A', { rcode: 'NOERROR', ad: false }, { dnssec: true });
  t.same(www.answers.map((a) => a.split(' ').slice(0, 3).join(' ')), [`www.${secure} A ${WWW_A}`, `www.${secure} RRSIG A`]);
  const keys = await expectAnswer(t, h.resolver, secure, 'DNSKEY', { rcode: 'NOERROR', ad: false }, { dnssec: true });
  t.same(keys.answers.map((a) => a.split(' ')[1]).sort(), ['DNSKEY', 'DNSKEY', 'RRSIG']);
  const nx = await expectAnswer(t, h.resolver, `nothing.${nsec3}`, 'A', { rcode: 'NXDOMAIN', ad: false }, { dnssec: true });
  t.match(nx.raw, /\bIN\s+NSEC3\s/, 'the NSEC3 records of the denial');
  await expectAnswer(t, h.resolver, `www.${bogus}`, 'A', { rcode: 'NOERROR', ad: false, answers: [`www.${bogus} A ${ALTERED_A}`] }, { cd: true });
  const plain = await expectAnswer(t, h.resolver, `www.${secure}`, 'A', { rcode: 'NOERROR', ad: false }, {});
  t.same(plain.answers, [`www.${secure} A ${WWW_A}`], 'without DO: no RRSIG');
});

t.test('stripper: no RRSIG, NSEC, NSEC3, DNSKEY or DS even when asked with DO', async (t) => {
  // Records of any section (dig prints the question and comments after ';').
  const records = (raw: string) => raw.split('\n').filter((l) => /^[^;\s]\S*\s+\d+\s+IN\s/.test(l));
  const dnssecTypes = /^\S+\s+\d+\s+IN\s+(RRSIG|NSEC|NSEC3|DNSKEY|DS)\s/;
  const www = await expectAnswer(t, h.stripper, `www.${secure}`, 'A', { rcode: 'NOERROR', ad: false, answers: [`www.${secure} A ${WWW_A}`] }, { dnssec: true });
  t.same(records(www.raw).filter((l) => dnssecTypes.test(l)), []);
  const cases = [[secure, 'DNSKEY', 'NOERROR'], [secure, 'DS', 'NOERROR'], [`nothing.${secure}`, 'A', 'NXDOMAIN'], [`nothing.${nsec3}`, 'A', 'NXDOMAIN']] as const;
  for (const [name, type, rcode] of cases) {
    const r = await h.query(h.stripper, name, type, { dnssec: true });
    t.equal(r.rcode, rcode, `${name} ${type}: ${rcode}`, { dig: r.raw });
    const all = records(r.raw);
    t.ok(type !== 'A' || all.some((l) => /\sIN\s+SOA\s/.test(l)), `${name} ${type}: the SOA of the denial stays`, { dig: r.raw });
    t.same(all.filter((l) => dnssecTypes.test(l)), [], `${name} ${type}: no DNSSEC records`, { dig: r.raw });
  }
  // The same queries to the resolver do return them: the stripper removed them.
  const direct = await h.query(h.resolver, `nothing.${secure}`, 'A', { dnssec: true });
  t.ok(records(direct.raw).some((l) => dnssecTypes.test(l)), 'the resolver itself returns NSEC and RRSIG', { dig: direct.raw });
});

t.test('a taken address fails the start with the listener named', async (t) => {
  // The last block, 127.0.90.225 on: hold its first address's port 53.
  const holder = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => holder.bind(53, '127.0.90.225', resolve));
  t.teardown(() => holder.close());
  await t.rejects(claimBlock([1], 14), /127\.0\.90\.225:53 is taken[\s\S]*nsd or unbound/);
});

// Last: the teardown's stop() is then a second call.
t.test('stop() ends every server and removes the directory, and can be called again', async (t) => {
  await h.stop();
  await h.stop();
  t.notOk(existsSync(h.dir), 'the temporary directory is gone');
  for (const s of [...Object.values(h.servers), h.resolver, h.oracle, h.stripper]) {
    t.ok(await portFree(s.address, s.port), `${s.address}:${s.port} is free again`);
  }
});

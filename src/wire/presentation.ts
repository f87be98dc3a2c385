// A reply's answer records in presentation form (RFC 1035 §5.1), as dig and resolvectl print them:
// `web.service.consul. 0 IN A 10.0.0.5`, owner names in lower case (a server answering a 0x20
// query may echo its mixed case). For `dnsfwd explain --query`: decoded with dns-packet, off the
// hot path; a type it does not know is written as RFC 3597 writes unknown data.
import dnsPacket from 'dns-packet';

type Decoded = ReturnType<typeof dnsPacket.decode>;
type AnyRecord = NonNullable<Decoded['answers']>[number];

/** A decoded reply: its answer records in presentation form; null when it does not decode. */
export function answerRecords(reply: Buffer): string[] | null {
  let p: Decoded;
  try {
    p = dnsPacket.decode(reply);
  } catch {
    return null;
  }
  return (p.answers ?? []).map(recordText);
}

function recordText(a: AnyRecord): string {
  const ttl = 'ttl' in a ? (a.ttl ?? 0) : 0;
  const klass = 'class' in a ? mnemonic(String(a.class ?? 'IN'), 'CLASS') : 'IN';
  const data = 'data' in a ? rdataText(a.type, a.data as unknown) : '';
  return `${fqdn(a.name.toLowerCase())} ${ttl} ${klass} ${mnemonic(a.type, 'TYPE')} ${data}`.trimEnd();
}

/** dns-packet's `UNKNOWN_65400` as RFC 3597's `TYPE65400` (or `CLASS…`). */
function mnemonic(text: string, prefix: string): string {
  const m = /^UNKNOWN_(\d+)$/.exec(text);
  return m ? `${prefix}${m[1]}` : text;
}

/** A name with its trailing dot (the root is `.`). */
function fqdn(name: string): string {
  return name === '' || name === '.' ? '.' : `${name.replace(/\.$/, '')}.`;
}

function quoted(b: Buffer | string): string {
  return `"${String(b).replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

function rdataText(type: string, data: unknown): string {
  if (Buffer.isBuffer(data)) return `\\# ${data.length}${data.length > 0 ? ` ${data.toString('hex')}` : ''}`;
  if (typeof data === 'string') return ['CNAME', 'DNAME', 'NS', 'PTR'].includes(type) ? fqdn(data) : data;
  if (Array.isArray(data)) return data.map((d) => quoted(d as Buffer)).join(' '); // TXT
  const d = data as Record<string, unknown>;
  switch (type) {
    case 'MX':
      return `${d.preference as number} ${fqdn(d.exchange as string)}`;
    case 'SRV':
      return `${d.priority as number} ${d.weight as number} ${d.port as number} ${fqdn(d.target as string)}`;
    case 'SOA':
      return [fqdn(d.mname as string), fqdn(d.rname as string), d.serial, d.refresh, d.retry, d.expire, d.minimum].join(' ');
    case 'CAA':
      return `${d.flags as number} ${d.tag as string} ${quoted(d.value as string)}`;
    default:
      return JSON.stringify(data);
  }
}

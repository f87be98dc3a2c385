// dns-packet for the slow paths: decoding a message for diagnostics (trace logs). Never on the
// hot path, never throws.
import dnsPacket from 'dns-packet';

export interface ReplySummary {
  readonly rcode: string;
  readonly answers: string[];
}

/** A reply's rcode and answer records in presentation form, e.g. `web.service.consul 0 A 10.0.0.1`. */
export function summariseReply(b: Buffer): ReplySummary | { readonly undecodable: string } {
  try {
    const p = dnsPacket.decode(b) as ReturnType<typeof dnsPacket.decode> & { rcode?: string };
    const answers = (p.answers ?? []).map((a) => {
      const data = 'data' in a ? a.data : '';
      const text = typeof data === 'string' ? data : Buffer.isBuffer(data) ? data.toString('hex') : JSON.stringify(data);
      return `${a.name} ${'ttl' in a ? a.ttl : ''} ${a.type} ${text}`;
    });
    return { rcode: p.rcode ?? 'NOERROR', answers };
  } catch (err) {
    return { undecodable: (err as Error).message };
  }
}

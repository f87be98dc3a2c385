// Builds DNS messages with dns-packet for unit tests.
import dnsPacket, { type Packet } from 'dns-packet';

export function query(name: string, type: 'A' | 'AAAA' | 'TXT' | 'PTR' = 'A', opts: { id?: number; edns?: number; do?: boolean } = {}): Buffer {
  const packet: Packet = {
    type: 'query',
    id: opts.id ?? 0x1234,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name, class: 'IN' }],
  };
  if (opts.edns !== undefined) {
    packet.additionals = [{ type: 'OPT', name: '.', udpPayloadSize: opts.edns, flags: opts.do ? dnsPacket.DNSSEC_OK : 0 } as never];
  }
  return dnsPacket.encode(packet);
}

export function answer(q: Buffer, addresses: string[], opts: { ttl?: number; rcode?: number } = {}): Buffer {
  const decoded = dnsPacket.decode(q);
  const qn = decoded.questions![0]!;
  const out = dnsPacket.encode({
    type: 'response',
    id: decoded.id,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.AUTHORITATIVE_ANSWER,
    questions: [qn],
    answers: addresses.map((data) => ({ type: 'A' as const, name: qn.name, ttl: opts.ttl ?? 60, class: 'IN' as const, data })),
    additionals: decoded.additionals?.filter((r) => r.type === 'OPT'),
  } as Packet);
  out[3] = (out[3]! & 0xf0) | (opts.rcode ?? 0);
  return out;
}

/** dns-packet's decode, typed with the `rcode` it returns at run time. */
export function decode(b: Buffer): ReturnType<typeof dnsPacket.decode> & { rcode: string } {
  return dnsPacket.decode(b) as ReturnType<typeof dnsPacket.decode> & { rcode: string };
}

// A fake upstream that sees and answers raw bytes, over UDP and TCP on one 127.0.0.x address: for
// tests of what exactly dnsfwd sends upstream (its header, its OPT record) and of replies dns2
// cannot build (extended RCODEs, AD, options). Records every query it receives.
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type Packet } from 'dns-packet';

export type RawTransport = 'udp' | 'tcp';

export interface RawQuery {
  readonly bytes: Buffer;
  readonly transport: RawTransport;
  readonly decoded: Packet;
}

export interface RawUpstream {
  readonly seen: RawQuery[];
  /** The queries for `name` (case-insensitive) received so far. */
  queriesFor(name: string): RawQuery[];
  close(): Promise<void>;
}

/** `answer` gets each query and returns the reply's bytes, or null to stay silent. */
export async function startRawUpstream(
  address: string,
  port: number,
  answer: (q: RawQuery) => Buffer | null,
): Promise<RawUpstream> {
  const seen: RawQuery[] = [];
  const take = (bytes: Buffer, transport: RawTransport): Buffer | null => {
    let decoded: Packet;
    try {
      decoded = dnsPacket.decode(bytes);
    } catch {
      return null;
    }
    const q = { bytes: Buffer.from(bytes), transport, decoded };
    seen.push(q);
    return answer(q);
  };
  const udp = dgram.createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    const r = take(msg, 'udp');
    if (r) udp.send(r, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => udp.bind(port, address, resolve));
  const sockets = new Set<net.Socket>();
  const tcp = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
    let buf = Buffer.alloc(0);
    s.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        const r = take(msg, 'tcp');
        if (r) {
          const len = Buffer.alloc(2);
          len.writeUInt16BE(r.length);
          s.write(Buffer.concat([len, r]));
        }
      }
    });
  });
  await new Promise<void>((resolve) => tcp.listen(port, address, resolve));
  return {
    seen,
    queriesFor: (name) => seen.filter((q) => q.decoded.questions?.[0]?.name.toLowerCase() === name.toLowerCase()),
    close: async () => {
      udp.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    },
  };
}

export interface ReplyOptions {
  readonly addresses?: readonly string[];
  /** The low four bits go in the header, the rest in the OPT record (RFC 6891 §6.1.3). */
  readonly rcode?: number;
  /** AD in the header (RFC 4035 §3.2.3). */
  readonly ad?: boolean;
  /** An OPT record in the reply, with these options; none when absent. */
  readonly optOptions?: { code: number; data: Buffer }[];
  readonly ttl?: number;
}

/** A reply to `q` with A records for its question, built by dns-packet. */
export function rawReply(q: RawQuery, o: ReplyOptions = {}): Buffer {
  const question = q.decoded.questions![0]!;
  const rcode = o.rcode ?? 0;
  const packet: Packet = {
    type: 'response',
    id: q.decoded.id,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (o.ad ? dnsPacket.AUTHENTIC_DATA : 0),
    questions: [question],
    answers: (o.addresses ?? []).map((data) => ({ type: 'A' as const, name: question.name, ttl: o.ttl ?? 60, class: 'IN' as const, data })),
  };
  if (o.optOptions || rcode > 15) {
    packet.additionals = [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: rcode >> 4, flags: 0, options: o.optOptions ?? [] } as never];
  }
  const out = dnsPacket.encode(packet);
  out[3] = (out[3]! & 0xf0) | (rcode & 0x0f);
  return out;
}

/** The OPT record of a raw message as dnsfwd wrote it: [flags, options], or null. */
export function optOf(bytes: Buffer): { udpSize: number; version: number; flags: number; options: number[] } | null {
  const d = dnsPacket.decode(bytes);
  const opt = d.additionals?.find((r) => r.type === 'OPT') as
    | { udpPayloadSize: number; ednsVersion?: number; flags: number; options: { code: number }[] }
    | undefined;
  if (!opt) return null;
  return { udpSize: opt.udpPayloadSize, version: opt.ednsVersion ?? 0, flags: opt.flags, options: opt.options.map((o) => o.code) };
}

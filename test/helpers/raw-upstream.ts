// A fake upstream that sees and answers raw bytes, over UDP and TCP on one 127.0.0.x address: for
// tests of what exactly dnsfwd sends upstream (its header, its OPT record) and of replies dns2
// cannot build (extended RCODEs, AD, options). Records every query it receives.
import dgram from 'node:dgram';
import net from 'node:net';
import { isLoopProbe } from './fake-upstream.js';
import dnsPacket, { type Answer, type Packet } from 'dns-packet';
import { FrameReader, frame } from '../../src/wire/framing.js';

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

/**
 * `answer` gets each query and returns the reply's bytes, or null to stay silent. `record: false`
 * keeps `seen` empty (a long benchmark's queries would fill the memory).
 */
export async function startRawUpstream(
  address: string,
  port: number,
  answer: (q: RawQuery) => Buffer | null,
  { record = true }: { record?: boolean } = {},
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
    // dnsfwd's loop probes: NXDOMAIN from here, not seen by the test's answer function or counts.
    if (isLoopProbe(decoded.questions?.[0]?.name ?? '')) return Buffer.from(dnsPacket.encode({ ...decoded, type: 'response', flags: 0x8180 | 3 } as Packet));
    if (record) seen.push(q);
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
    const frames = new FrameReader();
    s.on('data', (chunk) => {
      for (const msg of frames.push(chunk)) {
        const r = take(msg, 'tcp');
        if (r) s.write(frame(r));
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
  /** A records for the question's name (with `ttl`), before `answers`. */
  readonly addresses?: readonly string[];
  readonly answers?: readonly Answer[];
  readonly authorities?: readonly Answer[];
  /** The low four bits go in the header, the rest in the OPT record (RFC 6891 §6.1.3). */
  readonly rcode?: number;
  /** AD in the header (RFC 4035 §3.2.3). */
  readonly ad?: boolean;
  /** An OPT record in the reply, with these options; none when absent. */
  readonly optOptions?: { code: number; data: Buffer }[];
  readonly ttl?: number;
}

/** A reply to the decoded query `q`, built by dns-packet: its ID, question, RD and CD, RA set. */
export function rawReply(q: { readonly decoded: Packet }, o: ReplyOptions = {}): Buffer {
  const question = q.decoded.questions![0]!;
  const rcode = o.rcode ?? 0;
  const echoed = (q.decoded.flags ?? 0) & (dnsPacket.RECURSION_DESIRED | dnsPacket.CHECKING_DISABLED);
  const packet: Packet = {
    type: 'response',
    id: q.decoded.id,
    flags: echoed | dnsPacket.RECURSION_AVAILABLE | (o.ad ? dnsPacket.AUTHENTIC_DATA : 0),
    questions: [question],
    answers: [...(o.addresses ?? []).map((data) => address(question.name, data, o.ttl)), ...(o.answers ?? [])],
    authorities: [...(o.authorities ?? [])],
  };
  if (o.optOptions || rcode > 15) {
    packet.additionals = [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: rcode >> 4, flags: 0, options: o.optOptions ?? [] } as never];
  }
  const out = dnsPacket.encode(packet);
  out[3] = (out[3]! & 0xf0) | (rcode & 0x0f);
  return out;
}

/** Whether the query asked for DNSSEC records (DO in its OPT record). */
export function doBit(q: { readonly decoded: Packet }): boolean {
  return (q.decoded.additionals ?? []).some((r) => r.type === 'OPT' && ((r as { flags?: number }).flags ?? 0) & dnsPacket.DNSSEC_OK);
}

// Records for replies (dns-packet's shapes), class IN.
export const address = (name: string, data: string, ttl = 60): Answer => ({ type: 'A', name, ttl, class: 'IN', data });
export const cname = (name: string, data: string, ttl = 60): Answer => ({ type: 'CNAME', name, ttl, class: 'IN', data });
export const soa = (zone: string, minimum = 30): Answer => ({
  type: 'SOA', name: zone, ttl: 60, class: 'IN',
  data: { mname: `ns.${zone}`, rname: `hostmaster.${zone}`, serial: 1, refresh: 60, retry: 60, expire: 60, minimum },
});
/** An RRSIG over `covered` at `name` whose signature is filler: dnsfwd passes it on, nobody checks it. */
export const rrsig = (name: string, covered: string): Answer => ({
  type: 'RRSIG', name, ttl: 60, class: 'IN',
  data: { typeCovered: covered, algorithm: 13, labels: name.split('.').length, originalTTL: 60, expiration: 2_000_000_000, inception: 1_700_000_000, keyTag: 4242, signersName: name.split('.').slice(-2).join('.'), signature: Buffer.alloc(64, 7) },
} as Answer);

/** The OPT record of a raw message as dnsfwd wrote it: [flags, options], or null. */
export function optOf(bytes: Buffer): { udpSize: number; version: number; flags: number; options: number[] } | null {
  const d = dnsPacket.decode(bytes);
  const opt = d.additionals?.find((r) => r.type === 'OPT') as
    | { udpPayloadSize: number; ednsVersion?: number; flags: number; options: { code: number }[] }
    | undefined;
  if (!opt) return null;
  return { udpSize: opt.udpPayloadSize, version: opt.ednsVersion ?? 0, flags: opt.flags, options: opt.options.map((o) => o.code) };
}

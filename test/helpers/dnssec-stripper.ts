// A DNSSEC-stripping middlebox on loopback, as some home routers are: it forwards each UDP query to a
// resolver with the DO bit cleared and returns the reply without RRSIG, NSEC, NSEC3, DNSKEY and DS.
import dgram from 'node:dgram';
import dnsPacket, { type Packet } from 'dns-packet';
import type { Endpoint } from './dns-servers.js';

/** The record types it removes from every section of a reply (RFC 4034 §2-§5, RFC 5155 §3). */
export const STRIPPED_TYPES: ReadonlySet<string> = new Set(['RRSIG', 'NSEC', 'NSEC3', 'DNSKEY', 'DS']);

/** How long it waits for the resolver's reply to one query before forgetting the query. */
const UPSTREAM_WAIT_MS = 10_000;

export interface Stripper extends Endpoint {
  /** Queries it has forwarded. */
  readonly forwarded: number;
  stop(): Promise<void>;
}

/** `query` with the DO bit of its OPT record cleared (RFC 3225 §3), or null if it does not parse. */
export function clearDo(query: Buffer): Buffer | null {
  let p: Packet;
  try {
    p = dnsPacket.decode(query);
  } catch {
    return null;
  }
  for (const r of p.additionals ?? []) {
    if (r.type === 'OPT') r.flags = (r.flags ?? 0) & ~dnsPacket.DNSSEC_OK;
  }
  return dnsPacket.encode(p);
}

/** `reply` without the DNSSEC record types and without AD, or null if it does not parse. */
export function stripReply(reply: Buffer): Buffer | null {
  let p: Packet;
  try {
    p = dnsPacket.decode(reply);
  } catch {
    return null;
  }
  const keep = <T extends { type: string }>(rs: T[] | undefined): T[] => (rs ?? []).filter((r) => !STRIPPED_TYPES.has(r.type));
  p.answers = keep(p.answers);
  p.authorities = keep(p.authorities);
  p.additionals = keep(p.additionals);
  p.flags = (p.flags ?? 0) & ~dnsPacket.AUTHENTIC_DATA;
  return dnsPacket.encode(p);
}

/** Starts the stripper on `address:port`, forwarding to `upstream`. */
export async function startStripper(address: string, port: number, upstream: Endpoint): Promise<Stripper> {
  const server = dgram.createSocket('udp4');
  const pending = new Map<dgram.Socket, NodeJS.Timeout>();
  let forwarded = 0;
  server.on('message', (msg, client) => {
    const query = clearDo(msg);
    if (!query) return;
    const out = dgram.createSocket('udp4');
    const done = () => {
      clearTimeout(pending.get(out));
      if (pending.delete(out)) out.close();
    };
    pending.set(out, setTimeout(done, UPSTREAM_WAIT_MS));
    out.on('error', done);
    out.on('message', (reply) => {
      const stripped = stripReply(reply);
      if (stripped) server.send(stripped, client.port, client.address);
      done();
    });
    out.send(query, upstream.port, upstream.address);
    forwarded++;
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.bind(port, address, () => (server.off('error', reject), resolve()));
  });
  let stopped: Promise<void> | undefined;
  return {
    address,
    port,
    get forwarded() {
      return forwarded;
    },
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        for (const [s, timer] of pending) (clearTimeout(timer), s.close());
        pending.clear();
        server.close(() => resolve());
      })),
  };
}

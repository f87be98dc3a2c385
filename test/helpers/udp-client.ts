// One UDP query and its answer, from a fresh socket, for tests of listeners on loopback; or a
// socket that asks many, each with its own ID and timeout.
import dgram from 'node:dgram';
import { query } from './packets.js';

/** Generous slack: a listener on loopback answers in well under this even on a busy machine. */
const WAIT_MS = 10_000;

/** Sends `msg` to `host`:`port` and resolves with the first datagram back; rejects after WAIT_MS. */
export async function udpExchange(host: string, port: number, msg: Buffer): Promise<Buffer> {
  const c = dgram.createSocket('udp4');
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from ${host}:${port} within ${WAIT_MS} ms`)), WAIT_MS);
      c.once('message', resolve);
      c.send(msg, port, host);
    });
  } finally {
    clearTimeout(timer);
    c.close();
  }
}

/**
 * A UDP socket on `address` that asks `to`:`port` for A records of names (with EDNS) and resolves
 * each with its reply, or null after `ms`; IDs still waited for are not reused.
 */
export async function udpAsker(address: string, port: number, to: string) {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, address, r));
  const waiting = new Map<number, (reply: Buffer | null) => void>();
  sock.on('message', (m) => waiting.get(m.readUInt16BE(0))?.(m));
  let next = 0;
  const ask = (name: string, ms: number): Promise<Buffer | null> => {
    // IDs not waited for already: a reply to a timed-out query cannot be taken for a later one's.
    let id = next++ & 0xffff;
    while (waiting.has(id)) id = next++ & 0xffff;
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(null), ms);
      const done = (reply: Buffer | null) => {
        clearTimeout(timer);
        waiting.delete(id);
        resolve(reply);
      };
      waiting.set(id, done);
      sock.send(query(name, 'A', { id, edns: 1232 }), port, to);
    });
  };
  return { ask, close: () => sock.close() };
}

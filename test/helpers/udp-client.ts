// One UDP query and its answer, from a fresh socket, for tests of listeners on loopback.
import dgram from 'node:dgram';

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

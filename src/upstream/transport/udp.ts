// One upstream query over UDP on its own connected socket: the kernel picks a random source port
// and filters other peers (RFC 5452 §9.2), and ICMP unreachable surfaces as ECONNREFUSED.
import dgram from 'node:dgram';
import { DnsfwdError } from '../../errors.js';
import type { Exchange } from './exchange.js';

export function udpExchange(ex: Exchange): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(ex.server.family === 6 ? 'udp6' : 'udp4');
    let done = false;
    const finish = (err: Error | null, reply?: Buffer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(() => finish(new DnsfwdError('UPSTREAM_TIMEOUT')), ex.timeoutMs);
    socket.on('error', (err: NodeJS.ErrnoException) =>
      finish(
        err.code === 'ECONNREFUSED' || err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH'
          ? new DnsfwdError('UPSTREAM_REFUSED', `${ex.server.host}:${ex.server.port}: ${err.code}`)
          : err,
      ),
    );
    socket.on('message', (msg) => {
      if (ex.matches(msg)) finish(null, msg); // anything else is ignored, the wait goes on
    });
    socket.connect(ex.server.port, ex.server.host, () => socket.send(ex.query));
  });
}

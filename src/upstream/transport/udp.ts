// One upstream query over UDP on its own connected socket: the kernel picks a random source port
// and filters other peers (RFC 5452 §9.2), and ICMP unreachable surfaces as ECONNREFUSED.
import dgram from 'node:dgram';
import { DnsfwdError } from '../../errors.js';
import { settleOnce, type Exchange } from './exchange.js';

const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH']);

export function udpExchange(ex: Exchange): Promise<Buffer> {
  return settleOnce(
    ex.timeoutMs,
    (finish) => {
      const socket = dgram.createSocket(ex.server.family === 6 ? 'udp6' : 'udp4');
      socket.on('error', (err: NodeJS.ErrnoException) =>
        finish(
          UNREACHABLE.has(err.code ?? '')
            ? new DnsfwdError('UPSTREAM_REFUSED', `${ex.server.host}:${ex.server.port}: ${err.code}`)
            : err,
        ),
      );
      socket.on('message', (msg) => {
        if (ex.matches(msg)) finish(null, msg); // anything else is ignored, the wait goes on
      });
      socket.connect(ex.server.port, ex.server.host, () => socket.send(ex.query));
      return () => socket.close();
    },
    () => new DnsfwdError('UPSTREAM_TIMEOUT'),
  );
}

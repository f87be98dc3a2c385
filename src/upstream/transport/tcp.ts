// One upstream query over TCP (RFC 7766): used when a UDP answer came back truncated.
import net from 'node:net';
import { DnsfwdError } from '../../errors.js';
import { FrameReader, frame } from '../../server/framing.js';
import type { Exchange } from './exchange.js';

export function tcpExchange(ex: Exchange): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const reader = new FrameReader();
    const socket = net.connect({ host: ex.server.host, port: ex.server.port });
    let done = false;
    const finish = (err: Error | null, reply?: Buffer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(() => finish(new DnsfwdError('UPSTREAM_TIMEOUT')), ex.timeoutMs);
    socket.setNoDelay(true);
    socket.on('connect', () => socket.write(frame(ex.query)));
    socket.on('error', (err: NodeJS.ErrnoException) =>
      finish(
        err.code === 'ECONNREFUSED'
          ? new DnsfwdError('UPSTREAM_REFUSED', `${ex.server.host}:${ex.server.port}: TCP connection refused`)
          : err,
      ),
    );
    socket.on('close', () => finish(new DnsfwdError('UPSTREAM_CLOSED')));
    socket.on('data', (chunk: Buffer) => {
      for (const msg of reader.push(chunk)) if (ex.matches(msg)) return finish(null, msg);
    });
  });
}

// One upstream query over TCP (RFC 7766): used when a UDP answer came back truncated, or when the
// query itself is bigger than the EDNS size offered over UDP.
import net from 'node:net';
import { DnsfwdError } from '../../errors.js';
import { settleOnce } from '../../settle.js';
import { FrameReader, frame } from '../../wire/framing.js';
import type { OwnSockets } from '../own-sockets.js';
import { isAnswer, type Exchange, type Transport } from './exchange.js';

/** The TCP transport; each connection's local address is recorded in `own` while it is open. */
export function tcpTransport(own?: OwnSockets): Transport {
  return (ex) => tcpExchange(ex, own);
}

export function tcpExchange(ex: Exchange, own?: OwnSockets): Promise<Buffer> {
  return settleOnce<Buffer>(
    ex.timeoutMs,
    (finish) => {
      const reader = new FrameReader();
      const socket = net.connect({ host: ex.server.host, port: ex.server.port });
      socket.setNoDelay(true);
      let local: { address: string; port: number } | null = null;
      socket.on('connect', () => {
        if (own) {
          local = { address: socket.localAddress ?? '', port: socket.localPort ?? 0 };
          own.add(local.address, local.port);
        }
        socket.write(frame(ex.query));
      });
      socket.on('error', (err: NodeJS.ErrnoException) =>
        finish(
          err.code === 'ECONNREFUSED'
            ? new DnsfwdError('UPSTREAM_REFUSED', `${ex.server.host}:${ex.server.port}: TCP connection refused`)
            : err,
        ),
      );
      socket.on('close', () => finish(new DnsfwdError('UPSTREAM_CLOSED')));
      socket.on('data', (chunk: Buffer) => {
        for (const msg of reader.push(chunk)) if (isAnswer(ex, msg)) return finish(null, msg);
      });
      return () => {
        if (local) own?.remove(local.address, local.port);
        local = null;
        socket.destroy();
      };
    },
    () => ({ error: new DnsfwdError('UPSTREAM_TIMEOUT') }),
  );
}

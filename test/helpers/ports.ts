// Free ports on a loopback address, for fake upstreams and the daemon under test.
import dgram from 'node:dgram';
import net from 'node:net';

async function udpFree(address: string, port: number): Promise<boolean> {
  const s = dgram.createSocket('udp4');
  return new Promise((resolve) => {
    s.once('error', () => resolve(false));
    s.bind(port, address, () => s.close(() => resolve(true)));
  });
}

async function tcpFree(address: string, port: number): Promise<boolean> {
  const s = net.createServer();
  return new Promise((resolve) => {
    s.once('error', () => resolve(false));
    s.listen(port, address, () => s.close(() => resolve(true)));
  });
}

/** A port free for both UDP and TCP on `address`, from the range 20000–59999. */
export async function freePort(address: string): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    if ((await udpFree(address, port)) && (await tcpFree(address, port))) return port;
  }
  throw new Error(`no free port on ${address}`);
}

/** Whether `port` is free for both UDP and TCP on `address`. */
export async function portFree(address: string, port: number): Promise<boolean> {
  return (await udpFree(address, port)) && (await tcpFree(address, port));
}

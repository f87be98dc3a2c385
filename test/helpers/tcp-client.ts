// A raw DNS-over-TCP client for tests: send frames, collect replies, see when the server closes.
import net from 'node:net';
import { FrameReader, frame } from '../../src/wire/framing.js';

export class TcpClient {
  readonly replies: Buffer[] = [];
  readonly closed: Promise<void>;
  private readonly socket: net.Socket;
  private waiters: (() => void)[] = [];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    const reader = new FrameReader();
    socket.on('data', (c: Buffer) => {
      this.replies.push(...reader.push(c));
      this.waiters.splice(0).forEach((w) => w());
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
  }

  static connect(host: string, port: number): Promise<TcpClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port }, () => resolve(new TcpClient(s)));
      s.once('error', reject);
    });
  }

  send(...messages: Buffer[]): void {
    this.socket.write(Buffer.concat(messages.map(frame)));
  }

  sendRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Resolves when `n` replies have arrived, or rejects after `ms`. */
  async waitReplies(n: number, ms = 10_000): Promise<Buffer[]> {
    const until = Date.now() + ms;
    while (this.replies.length < n) {
      if (Date.now() > until) throw new Error(`only ${this.replies.length} of ${n} replies within ${ms} ms`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
    return this.replies;
  }

  /** True if the server closed the connection within `ms`. */
  async closedWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((r) => (timer = setTimeout(r, ms, false)));
    const closed = await Promise.race([this.closed.then(() => true), late]);
    clearTimeout(timer);
    return closed;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

// DNS over TCP framing (RFC 1035 §4.2.2): each message is preceded by its 2-byte length.
// FrameReader collects a byte stream into whole messages, however the stream was chopped.

export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  /** Adds `chunk` and returns every message now complete. */
  push(chunk: Buffer): Buffer[] {
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: Buffer[] = [];
    let pos = 0;
    while (buf.length - pos >= 2) {
      const len = buf.readUInt16BE(pos);
      if (buf.length - pos - 2 < len) break;
      frames.push(buf.subarray(pos + 2, pos + 2 + len));
      pos += 2 + len;
    }
    this.pending = pos === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(pos));
    return frames;
  }

  /** Bytes of an incomplete message held back. */
  get buffered(): number {
    return this.pending.length;
  }
}

/** The message with its 2-byte length prefix. */
export function frame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(message.length + 2);
  out.writeUInt16BE(message.length, 0);
  out.set(message, 2);
  return out;
}

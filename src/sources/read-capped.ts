// Reads a source file, never more than its cap: a regular file's size is checked before anything
// is read; anything else (a FIFO, /dev/zero behind a symlink) is read only up to one byte past the
// cap. Opened non-blocking, so that a FIFO with no writer cannot hold a thread of the pool.
import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';

export type CappedRead = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly code: string; readonly reason?: string };

/** The file's text (in `encoding`), or why not: its error code, or a reason when it is too big. */
export async function readCapped(file: string, maxBytes: number, encoding: BufferEncoding): Promise<CappedRead> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    return { ok: false, code: (err as NodeJS.ErrnoException).code ?? String(err) };
  }
  try {
    const stat: Stats = await handle.stat();
    if (stat.isFile() && stat.size > maxBytes) return tooBig(`${stat.size} bytes`, maxBytes);
    const buf = Buffer.alloc(stat.isFile() ? stat.size + 1 : maxBytes + 1);
    let got = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, got, buf.length - got, null);
      if (bytesRead === 0) break;
      got += bytesRead;
      // A regular file that grew past its size fills the buffer; the next read asks for 0 bytes and ends the loop.
      if (got > maxBytes) return tooBig(stat.isFile() ? 'it grew while read' : `not a regular file, and more than that`, maxBytes);
    }
    return { ok: true, text: buf.toString(encoding, 0, got) };
  } catch (err) {
    return { ok: false, code: (err as NodeJS.ErrnoException).code ?? String(err) };
  } finally {
    await handle.close();
  }
}

function tooBig(what: string, maxBytes: number): CappedRead {
  return { ok: false, code: 'TOO_BIG', reason: `larger than max_bytes (${maxBytes}): ${what}; not read` };
}

/**
 * Byte sources for the capture reader: a regular file, or standard input (`-`).
 *
 * With `reuseBuffer` a file is read into two buffers in turn: no 1 MiB allocation per chunk, so far less
 * garbage-collector work on big captures. The price: a chunk's bytes are overwritten by a later
 * read, so nothing may keep a view into a record past its callback (the reader's documented
 * contract). Consumers that keep decoded values holding views (the analyzer keeps messages) read
 * with fresh chunks instead. Standard input always yields fresh memory.
 */
import { open } from 'node:fs/promises';

export const CHUNK_SIZE = 1 << 20;

export interface ChunkOptions {
  /** Read every chunk into the same two buffers (see above). Default false. */
  readonly reuseBuffer?: boolean;
  readonly chunkSize?: number;
  /** File offset to start at (default 0). */
  readonly start?: number;
}

/**
 * The next chunk is read while the consumer works on the current one, so decoding never waits for
 * the disk once the page cache has the file. With `reuseBuffer`, two buffers take turns: a chunk
 * stays intact until the consumer asks for the next one.
 */
export async function* fileChunks(path: string, opts: ChunkOptions = {}): AsyncGenerator<Uint8Array> {
  const size = opts.chunkSize ?? CHUNK_SIZE;
  const reuse = opts.reuseBuffer === true;
  const fh = await open(path, 'r');
  const buffers = reuse ? [new Uint8Array(size), new Uint8Array(size)] : [];
  let turn = 0;
  const nextBuffer = (): Uint8Array => (reuse ? buffers[turn++ & 1]! : new Uint8Array(size));
  let position = opts.start ?? 0;
  let buf = nextBuffer();
  let pending: Promise<{ bytesRead: number }> | undefined = fh.read(buf, 0, size, position);
  try {
    for (;;) {
      const { bytesRead } = await pending;
      pending = undefined;
      if (bytesRead === 0) return;
      position += bytesRead;
      const chunk = buf.subarray(0, bytesRead);
      buf = nextBuffer();
      pending = fh.read(buf, 0, size, position);
      yield chunk;
    }
  } finally {
    // A consumer that stops early leaves a read in flight: let it land before closing.
    if (pending !== undefined) await pending.catch(() => undefined);
    await fh.close();
  }
}

/** Standard input as plain Uint8Array views (Buffer#subarray is slower than the typed-array one). */
export async function* stdinChunks(): AsyncGenerator<Uint8Array> {
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** `-` is standard input. */
export function captureChunks(path: string, opts: ChunkOptions = {}): AsyncGenerator<Uint8Array> {
  return path === '-' ? stdinChunks() : fileChunks(path, opts);
}

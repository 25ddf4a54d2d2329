/**
 * Byte sources for the capture reader: a regular file, or standard input (`-`).
 *
 * With `reuseBuffer` a file is read into ONE buffer: no 1 MiB allocation per chunk, so far less
 * garbage-collector work on big captures. The price: a chunk's bytes are overwritten by the next
 * read, so nothing may keep a view into a record past its callback (the reader's documented
 * contract). Consumers that keep decoded values holding views (the analyzer keeps messages) read
 * with fresh chunks instead. Standard input always yields fresh memory.
 */
import { open } from 'node:fs/promises';

export const CHUNK_SIZE = 1 << 20;

export interface ChunkOptions {
  /** Read every chunk into the same buffer (see above). Default false. */
  readonly reuseBuffer?: boolean;
  readonly chunkSize?: number;
}

export async function* fileChunks(path: string, opts: ChunkOptions = {}): AsyncGenerator<Uint8Array> {
  const size = opts.chunkSize ?? CHUNK_SIZE;
  const fh = await open(path, 'r');
  try {
    let buf = new Uint8Array(size);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, size, null);
      if (bytesRead === 0) return;
      yield buf.subarray(0, bytesRead);
      if (opts.reuseBuffer !== true) buf = new Uint8Array(size);
    }
  } finally {
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

/**
 * Byte sources for the capture reader.
 *
 * `fileChunks` reads a regular file into ONE reused buffer: no 1 MiB allocation per chunk and so
 * far less garbage-collector work on big captures (memory stays flat whatever the file size).
 * The price: a chunk's bytes are overwritten by the next read, so a consumer must not keep views
 * into a record past its callback (the reader's documented contract; copy what you keep).
 * Standard input and pipes go through the stream, whose chunks are fresh memory each time.
 */
import { open } from 'node:fs/promises';

export const CHUNK_SIZE = 1 << 20;

export async function* fileChunks(path: string, chunkSize = CHUNK_SIZE): AsyncGenerator<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const buf = new Uint8Array(chunkSize);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, chunkSize, null);
      if (bytesRead === 0) return;
      yield buf.subarray(0, bytesRead);
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
export function captureChunks(path: string): AsyncGenerator<Uint8Array> {
  return path === '-' ? stdinChunks() : fileChunks(path);
}

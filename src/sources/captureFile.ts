/**
 * The I/O edge of the capture reader: a file, stdin (`-`) or any async byte source, fed into a
 * `CaptureReader` chunk by chunk. One await per chunk, none per record.
 */
import { CaptureReader, type CaptureReaderOptions, type CaptureSummary, type RecordCallback } from '../../dissectors/capture/reader.ts';
import { captureChunks, CHUNK_SIZE, type ChunkOptions } from './chunks.ts';

export const READ_CHUNK_SIZE = CHUNK_SIZE;

export interface ReadOptions extends CaptureReaderOptions, ChunkOptions {
  /**
   * Called after each chunk's records were delivered (e.g. to wait for output to drain). Returning
   * false stops reading there: the summary then covers what was read, with no truncation check.
   */
  readonly afterChunk?: () => boolean | Promise<boolean>;
}

/**
 * Reads a whole capture, calling `onRecord` for every record. Resolves with the summary when the
 * input ended cleanly (or `afterChunk` stopped it); rejects with `CaptureFormatError` (after every
 * complete record was delivered) when it is truncated or malformed, or with the source's own error.
 */
export async function readCaptureStream(
  src: AsyncIterable<Uint8Array>,
  onRecord: RecordCallback,
  opts: ReadOptions = {},
): Promise<CaptureSummary> {
  const reader = new CaptureReader(opts);
  for await (const chunk of src) {
    reader.push(chunk, onRecord);
    if (opts.afterChunk !== undefined && !(await opts.afterChunk())) return reader.summary();
  }
  reader.end();
  return reader.summary();
}

/** `path` = '-' reads standard input. */
export function readCaptureFile(path: string, onRecord: RecordCallback, opts: ReadOptions = {}): Promise<CaptureSummary> {
  return readCaptureStream(captureChunks(path, opts), onRecord, opts);
}

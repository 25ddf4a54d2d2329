/**
 * The I/O edge of the capture reader: a file, stdin (`-`) or any async byte source, fed into a
 * `CaptureReader` chunk by chunk (1 MiB reads). One await per chunk, none per record.
 */
import { createReadStream } from 'node:fs';
import { CaptureReader, type CaptureReaderOptions, type CaptureSummary, type RecordCallback } from '../../dissectors/capture/reader.ts';

export const READ_CHUNK_SIZE = 1 << 20;

/**
 * Reads a whole capture, calling `onRecord` for every record. Resolves with the summary when the
 * input ended cleanly; rejects with `CaptureFormatError` (after every complete record was
 * delivered) when it is truncated or malformed, or with the source's own error.
 */
export async function readCaptureStream(
  src: AsyncIterable<Uint8Array>,
  onRecord: RecordCallback,
  opts?: CaptureReaderOptions,
): Promise<CaptureSummary> {
  const reader = new CaptureReader(opts);
  for await (const chunk of src) reader.push(chunk, onRecord);
  reader.end();
  return reader.summary();
}

/** `path` = '-' reads standard input. */
export function readCaptureFile(path: string, onRecord: RecordCallback, opts?: CaptureReaderOptions): Promise<CaptureSummary> {
  const src: AsyncIterable<Uint8Array> =
    path === '-' ? process.stdin : createReadStream(path, { highWaterMark: READ_CHUNK_SIZE });
  return readCaptureStream(src, onRecord, opts);
}

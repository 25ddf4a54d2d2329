/**
 * Capture-file framing errors.
 *
 * Unlike a frame's `WireError` (returned, one bad frame never stops the stream), a framing error
 * ends the stream: once a record or block length is wrong there is no reliable way to find the next
 * record. So the reader delivers every complete record before the fault, then throws this.
 *
 * `code` is stable and dotted like the wire codes (`pcap.truncated_record`); `offset` is the
 * absolute byte offset in the file of the header (or field) where reading broke.
 */
export const CAPTURE_ERROR_CODES = [
  /** The first bytes are neither a pcap magic nor a pcapng Section Header Block. */
  'capture.unknown_format',
  /** The stream ended before the 4 bytes that identify the format. */
  'capture.empty',
  /** The stream ended inside the 24-byte pcap file header. */
  'pcap.truncated_file_header',
  /** The stream ended inside a record header or its captured bytes. */
  'pcap.truncated_record',
  /** A record's captured length exceeds the file's snaplen or the reader's maximum. */
  'pcap.record_too_long',
  /** pcap version other than 2.x. */
  'pcap.unsupported_version',
  /** The stream ended inside a block. */
  'pcapng.truncated_block',
  /** A block length below 12, not a multiple of 4, or above the reader's maximum. */
  'pcapng.bad_block_length',
  /** The trailing block length differs from the leading one. */
  'pcapng.block_length_mismatch',
  /** A block too short for the fixed fields of its type. */
  'pcapng.block_too_short',
  /** A Section Header Block whose byte-order magic is neither 0x1A2B3C4D nor its swap. */
  'pcapng.bad_byte_order_magic',
  /** Section Header Block major version other than 1. */
  'pcapng.unsupported_version',
  /** The first block of the file is not a Section Header Block (reported as capture.unknown_format). */
  'pcapng.no_section_header',
  /** A packet block names an interface that no Interface Description Block declared. */
  'pcapng.bad_interface_id',
  /** A packet block's captured length runs past the block's end. */
  'pcapng.bad_captured_length',
  /** A packet block's captured length exceeds the reader's maximum. */
  'pcapng.record_too_long',
  /** An option runs past the end of its block. */
  'pcapng.bad_option',
  /** More interfaces than the reader keeps (a bound against hostile files). */
  'pcapng.too_many_interfaces',
] as const;

export type CaptureErrorCode = (typeof CAPTURE_ERROR_CODES)[number];

export class CaptureFormatError extends Error {
  override readonly name = 'CaptureFormatError';
  constructor(
    readonly code: CaptureErrorCode,
    /** Absolute file offset of the header or field where reading broke. */
    readonly offset: number,
    message: string,
  ) {
    super(`${code} at file offset ${offset} (0x${offset.toString(16)}): ${message}`);
  }
}

export function isCaptureFormatError(e: unknown): e is CaptureFormatError {
  return e instanceof CaptureFormatError;
}

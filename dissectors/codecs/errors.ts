/** Typed decompression failures: codecs return these, never throw. */
import { WireError } from '../errors.ts';

export type DecompressErrorCode = 'knet.decompress.failed' | 'knet.decompress.too_large' | 'knet.decompress.unknown_model';

/** Thrown only inside a codec's inner loop and caught at its border (never escapes a codec). */
export class CodecAbort {
  constructor(
    readonly code: DecompressErrorCode,
    readonly reason: string,
  ) {}
}

export function codecError(code: DecompressErrorCode, model: string, reason: string): WireError<DecompressErrorCode> {
  return new WireError(code, 0, `${model}: ${reason}`);
}

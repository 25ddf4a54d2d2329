/**
 * Decode failures as values.
 *
 * Frame decoders never throw on bad input: they return a `WireError` instead of a value, so a
 * malformed frame costs no stack capture and can never escape as an exception. A `WireError` is
 * not an `Error` subclass on purpose (it is never thrown). Capture-file framing problems, which do
 * end a stream, use `CaptureFormatError` in dissectors/capture.
 *
 * `code` is stable and dotted: `<layer>.<reason>`, e.g. `totemsrp.bad_magic`. Scripts and metric
 * labels match on it, so codes are only ever added, never renamed.
 * `offset` is the byte offset of the offending field, relative to the start of the buffer the
 * decoder was given; the frame pipeline rebases it to the start of the captured frame.
 */
export class WireError<Code extends string = string> {
  constructor(
    readonly code: Code,
    readonly offset: number,
    readonly message: string,
  ) {}

  /** The same error moved by `base` bytes, for a layer that decoded a sub-buffer. */
  rebase(base: number): WireError<Code> {
    return base === 0 ? this : new WireError(this.code, this.offset + base, this.message);
  }

  toString(): string {
    return `${this.code} at byte ${this.offset}: ${this.message}`;
  }
}

/** What every frame decoder returns. */
export type Decoded<T, Code extends string = string> = T | WireError<Code>;

export function isWireError(x: unknown): x is WireError {
  return x instanceof WireError;
}

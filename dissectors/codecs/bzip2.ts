/**
 * bzip2 stream (knet bzip2 model: BZ2_bzBuffToBuffCompress, KN libknet/compress_bzip2.c), decoded
 * by seek-bzip (pure JS). Its output goes to a sink that stops at `maxOut` bytes, so a bomb costs
 * at most `maxOut` bytes of memory.
 */
import type Bunzip from 'seek-bzip';
import { CodecAbort } from './errors.ts';
import { lazyRequire } from './lazy.ts';

const seekBzip = lazyRequire<typeof Bunzip>('seek-bzip');

class BoundedSink {
  readonly buf: Uint8Array;
  pos = 0;
  constructor(readonly max: number) {
    this.buf = new Uint8Array(max);
  }
  writeByte(byte: number): void {
    if (this.pos >= this.max) throw new CodecAbort('knet.decompress.too_large', `output exceeds ${this.max} bytes`);
    this.buf[this.pos++] = byte;
  }
}

export function bzip2Decompress(src: Uint8Array, maxOut: number): Uint8Array {
  const sink = new BoundedSink(maxOut);
  try {
    seekBzip().decode(Buffer.from(src.buffer, src.byteOffset, src.length), sink, false);
  } catch (e) {
    if (e instanceof CodecAbort) throw e;
    throw new CodecAbort('knet.decompress.failed', e instanceof Error ? e.message : 'bzip2 decoder error');
  }
  return sink.buf.slice(0, sink.pos);
}

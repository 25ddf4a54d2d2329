/**
 * Raw LZ4 block decoder (no frame, no size prefix): what knet's lz4 and lz4hc models put on the
 * wire (KN libknet/compress_lz4.c, compress_lz4hc.c: LZ4_compress_fast / LZ4_compress_HC,
 * LZ4_decompress_safe). Safe on hostile input: every read and write is bounds-checked, output is
 * capped at `maxOut`.
 *
 * Block format: sequences of [token: literal length (high nibble) | match length - 4 (low nibble)]
 * [extra literal length bytes 255...] [literals] [offset u16 LE] [extra match length bytes 255...];
 * the last sequence has literals only.
 */
import { CodecAbort } from './errors.ts';

const MIN_MATCH = 4;

export function lz4BlockDecompress(src: Uint8Array, maxOut: number): Uint8Array {
  let out = new Uint8Array(Math.min(maxOut, Math.max(64, src.length * 4)));
  let op = 0;
  let ip = 0;
  const end = src.length;
  if (end === 0) throw new CodecAbort('knet.decompress.failed', 'empty input');

  const ensure = (need: number): void => {
    if (need > maxOut) throw new CodecAbort('knet.decompress.too_large', `output exceeds ${maxOut} bytes`);
    if (need > out.length) {
      const bigger = new Uint8Array(Math.min(maxOut, Math.max(need, out.length * 2)));
      bigger.set(out.subarray(0, op));
      out = bigger;
    }
  };
  const readLength = (base: number): number => {
    let len = base;
    if (base === 15) {
      let s: number;
      do {
        if (ip >= end) throw new CodecAbort('knet.decompress.failed', 'truncated length');
        s = src[ip++]!;
        len += s;
        if (len > maxOut + 16) throw new CodecAbort('knet.decompress.too_large', `output exceeds ${maxOut} bytes`);
      } while (s === 255);
    }
    return len;
  };

  for (;;) {
    if (ip >= end) throw new CodecAbort('knet.decompress.failed', 'truncated block');
    const token = src[ip++]!;
    const litLen = readLength(token >>> 4);
    if (ip + litLen > end) throw new CodecAbort('knet.decompress.failed', 'literals run past the input');
    ensure(op + litLen);
    out.set(src.subarray(ip, ip + litLen), op);
    op += litLen;
    ip += litLen;
    if (ip === end) break; // last sequence: literals only
    if (ip + 2 > end) throw new CodecAbort('knet.decompress.failed', 'truncated match offset');
    const offset = src[ip]! | (src[ip + 1]! << 8);
    ip += 2;
    if (offset === 0 || offset > op) throw new CodecAbort('knet.decompress.failed', `match offset ${offset} outside the output`);
    const matchLen = readLength(token & 15) + MIN_MATCH;
    ensure(op + matchLen);
    let from = op - offset;
    if (offset >= matchLen) {
      out.copyWithin(op, from, from + matchLen);
      op += matchLen;
    } else {
      for (let i = 0; i < matchLen; i++) out[op++] = out[from++]!;
    }
  }
  return out.subarray(0, op);
}

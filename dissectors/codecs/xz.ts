/**
 * .xz stream (knet lzma model: `lzma_easy_buffer_encode(level, LZMA_CHECK_NONE)`, KN
 * libknet/compress_lzma.c). Decoding is done by @napi-rs/lzma (lzma-rs, synchronous, accepts
 * CHECK_NONE). That decoder has no output limit, so the stream index is read first: the stream
 * footer gives the index position, the index lists every block's uncompressed size, and a stream
 * claiming more than `maxOut` is refused before anything is inflated.
 */
import { CodecAbort } from './errors.ts';
import { lazyRequire } from './lazy.ts';

type XzModule = typeof import('@napi-rs/lzma/xz');
// The native addon is loaded on the first lzma packet only.
const xz = lazyRequire<XzModule>('@napi-rs/lzma/xz');

const HEADER_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const STREAM_HEADER_SIZE = 12;
const STREAM_FOOTER_SIZE = 12;

/** Sum of the uncompressed sizes in the stream's index (single stream, as knet writes). */
export function xzDeclaredSize(src: Uint8Array): number {
  const fail = (why: string): never => {
    throw new CodecAbort('knet.decompress.failed', why);
  };
  if (src.length < STREAM_HEADER_SIZE + STREAM_FOOTER_SIZE) fail('shorter than an xz stream header and footer');
  for (let i = 0; i < HEADER_MAGIC.length; i++) if (src[i] !== HEADER_MAGIC[i]) fail('no xz stream header magic');
  const f = src.length - STREAM_FOOTER_SIZE;
  if (src[f + 10] !== 0x59 || src[f + 11] !== 0x5a) fail('no xz stream footer magic (a single stream is expected)');
  const backwardSize = ((src[f + 4]! | (src[f + 5]! << 8) | (src[f + 6]! << 16)) + src[f + 7]! * 0x1000000 + 1) * 4;
  const indexStart = f - backwardSize;
  if (indexStart < STREAM_HEADER_SIZE || src[indexStart] !== 0x00) fail('xz index not where the footer says');
  let p = indexStart + 1;
  const varint = (): number => {
    let v = 0;
    for (let shift = 0; shift < 63; shift += 7) {
      if (p >= f) fail('truncated xz index');
      const byte = src[p++]!;
      v += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return v;
    }
    return fail('xz varint too long');
  };
  const records = varint();
  if (records > src.length) fail('xz index record count larger than the stream');
  let total = 0;
  for (let i = 0; i < records; i++) {
    varint(); // unpadded size
    total += varint();
  }
  return total;
}

export function xzDecompress(src: Uint8Array, maxOut: number): Uint8Array {
  const declared = xzDeclaredSize(src);
  if (declared > maxOut) throw new CodecAbort('knet.decompress.too_large', `stream declares ${declared} bytes, limit ${maxOut}`);
  let out: Uint8Array;
  try {
    out = xz().decompressSync(src);
  } catch (e) {
    throw new CodecAbort('knet.decompress.failed', e instanceof Error ? e.message : 'xz decoder error');
  }
  if (out.length > maxOut) throw new CodecAbort('knet.decompress.too_large', `output exceeds ${maxOut} bytes`);
  if (out.length !== declared) throw new CodecAbort('knet.decompress.failed', `index says ${declared} bytes, decoded ${out.length}`);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

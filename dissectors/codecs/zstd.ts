/**
 * zstd frame (knet zstd model: ZSTD_compressCCtx, KN libknet/compress_zstd.c), decoded by fzstd
 * (pure JS). fzstd allocates from the frame header (content size or window size, up to 2 GiB) and
 * has no output limit, so the frames are walked first (headers and block headers only) and input
 * whose worst-case output is above the limit is refused before decoding.
 */
import { CodecAbort } from './errors.ts';
import { lazyRequire } from './lazy.ts';

const fzstd = lazyRequire<typeof import('fzstd')>('fzstd');

const ZSTD_MAGIC = 0xfd2fb528;
const BLOCK_MAX = 128 * 1024;
const MAX_FRAMES = 16;

function le(src: Uint8Array, o: number, n: number): number {
  let v = 0;
  for (let i = n - 1; i >= 0; i--) v = v * 256 + src[o + i]!;
  return v;
}

/** Worst-case decoded size of all frames, from headers only. */
export function zstdBound(src: Uint8Array): number {
  const fail = (why: string): never => {
    throw new CodecAbort('knet.decompress.failed', why);
  };
  let p = 0;
  let total = 0;
  let frames = 0;
  while (p < src.length) {
    if (++frames > MAX_FRAMES) fail('too many zstd frames');
    if (p + 8 > src.length) fail('truncated zstd frame header');
    const magic = le(src, p, 4);
    if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) {
      p += 8 + le(src, p + 4, 4); // skippable frame
      continue;
    }
    if (magic !== ZSTD_MAGIC) fail('no zstd frame magic');
    const flg = src[p + 4]!;
    if (flg & 8) fail('reserved zstd frame header bit set');
    const singleSegment = (flg >> 5) & 1;
    const hasChecksum = (flg >> 2) & 1;
    const dictBytes = [0, 1, 2, 4][flg & 3]!;
    const fcsFlag = flg >> 6;
    let q = p + 5;
    let window = 0;
    if (!singleSegment) {
      const wd = src[q++]!;
      const wb = 2 ** (10 + (wd >> 3));
      window = wb + (wb / 8) * (wd & 7);
    }
    q += dictBytes;
    const fcsBytes = fcsFlag ? 1 << fcsFlag : singleSegment;
    if (q + fcsBytes > src.length) fail('truncated zstd frame header');
    const fcs = fcsBytes ? le(src, q, fcsBytes) + (fcsFlag === 1 ? 256 : 0) : -1;
    q += fcsBytes;
    if (singleSegment) window = fcs;
    const blockMax = Math.min(BLOCK_MAX, Math.max(window, 1));
    let frameBound = 0;
    for (;;) {
      if (q + 3 > src.length) fail('truncated zstd block header');
      const bh = le(src, q, 3);
      q += 3;
      const last = bh & 1;
      const type = (bh >> 1) & 3;
      const size = bh >>> 3;
      if (type === 3) fail('reserved zstd block type');
      if (type === 1) {
        frameBound += size; // RLE: one byte regenerates `size`
        q += 1;
      } else {
        frameBound += type === 0 ? size : blockMax;
        q += size;
      }
      if (q > src.length) fail('truncated zstd block');
      if (last) break;
    }
    q += hasChecksum ? 4 : 0;
    // fzstd allocates the content size (or the window) up front.
    total += fcs >= 0 ? fcs : Math.max(frameBound, window);
    p = q;
  }
  return total;
}

export function zstdDecompress(src: Uint8Array, maxOut: number): Uint8Array {
  const bound = zstdBound(src);
  if (bound > maxOut) throw new CodecAbort('knet.decompress.too_large', `frame may decode to ${bound} bytes, limit ${maxOut}`);
  let out: Uint8Array;
  try {
    out = fzstd().decompress(src);
  } catch (e) {
    throw new CodecAbort('knet.decompress.failed', e instanceof Error ? e.message : 'zstd decoder error');
  }
  if (out.length > maxOut) throw new CodecAbort('knet.decompress.too_large', `output exceeds ${maxOut} bytes`);
  return out;
}

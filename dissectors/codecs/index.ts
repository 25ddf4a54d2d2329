/**
 * knet payload decompression, one synchronous entry point for every model knet 1.25 offers
 * (wire-format.md §7.2 "Compression model ids"; dependencies.md §7). Codecs return typed errors,
 * never throw, and never produce more than `maxOut` bytes.
 */
import { inflateSync } from 'node:zlib';
import { WireError, type Decoded } from '../errors.ts';
import { bzip2Decompress } from './bzip2.ts';
import { CodecAbort, codecError, type DecompressErrorCode } from './errors.ts';
import { lz4BlockDecompress } from './lz4.ts';
import { lzo1xDecompress } from './lzo1x.ts';
import { xzDecompress } from './xz.ts';
import { zstdDecompress } from './zstd.ts';

export type { DecompressErrorCode } from './errors.ts';

export const KnetCompressModel = {
  NONE: 0,
  ZLIB: 1,
  LZ4: 2,
  LZ4HC: 3,
  LZO2: 4,
  LZMA: 5,
  BZIP2: 6,
  ZSTD: 7,
} as const;
export type KnetCompressModel = (typeof KnetCompressModel)[keyof typeof KnetCompressModel];

/** Names as knet and corosync.conf spell them (`knet_compression_model`). */
export const COMPRESS_MODEL_NAMES: Readonly<Record<number, string>> = {
  0: 'none',
  1: 'zlib',
  2: 'lz4',
  3: 'lz4hc',
  4: 'lzo2',
  5: 'lzma',
  6: 'bzip2',
  7: 'zstd',
};

/** KNET_DATABUFSIZE_COMPRESS-like bound: a knet message is at most 64 KiB plus headers. */
export const KNET_DECOMPRESS_MAX = 65536 + 1024;

export function compressModelName(model: number): string {
  return COMPRESS_MODEL_NAMES[model] ?? `model ${model}`;
}

export function decompress(model: number, src: Uint8Array, maxOut: number = KNET_DECOMPRESS_MAX): Decoded<Uint8Array, DecompressErrorCode> {
  const name = compressModelName(model);
  try {
    switch (model) {
      case KnetCompressModel.ZLIB:
        return inflateZlib(src, maxOut);
      case KnetCompressModel.LZ4:
      case KnetCompressModel.LZ4HC:
        return lz4BlockDecompress(src, maxOut);
      case KnetCompressModel.LZO2:
        return lzo1xDecompress(src, maxOut);
      case KnetCompressModel.LZMA:
        return xzDecompress(src, maxOut);
      case KnetCompressModel.BZIP2:
        return bzip2Decompress(src, maxOut);
      case KnetCompressModel.ZSTD:
        return zstdDecompress(src, maxOut);
      default:
        return new WireError('knet.decompress.unknown_model', 0, `unknown compression model ${model}`);
    }
  } catch (e) {
    if (e instanceof CodecAbort) return codecError(e.code, name, e.reason);
    // Any other exception from a third-party decoder on hostile input is still a typed failure.
    return codecError('knet.decompress.failed', name, e instanceof Error ? e.message : String(e));
  }
}

function inflateZlib(src: Uint8Array, maxOut: number): Uint8Array {
  try {
    const out = inflateSync(src, { maxOutputLength: maxOut });
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new CodecAbort('knet.decompress.too_large', `output exceeds ${maxOut} bytes`);
    throw new CodecAbort('knet.decompress.failed', e instanceof Error ? e.message : 'zlib error');
  }
}

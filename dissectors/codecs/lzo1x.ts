/**
 * LZO1X decompressor, the equivalent of liblzo2's `lzo1x_decompress_safe`: what knet's lzo2
 * model puts on the wire (KN libknet/compress_lzo2.c: lzo1x_1_compress & co, all LZO1X streams).
 * Safe on hostile input: every input read, output write and back-reference is checked, output is
 * capped at `maxOut`, and run-length extensions are bounded before they are added up.
 *
 * Instruction set (state = literals copied after the previous instruction: 0..3, or 4 after a
 * literal run):
 *   0..15,  state 0    literal run of t+3 (t = 0: 15 + 255·zeros + next byte, + 3)
 *   0..15,  state 1..3 M1: 2-byte match, distance 1 + (t>>2) + (next<<2)
 *   0..15,  state 4    M1: 3-byte match, distance 2049 + (t>>2) + (next<<2)
 *   64..255            M2: length (t>>5)+1, distance 1 + ((t>>2)&7) + (next<<3)
 *   32..63             M3: length (t&31)+2 (extended when 0), distance 1 + (LE16>>2)
 *   16..31             M4: length (t&7)+2 (extended when 0), distance 16384 + ((t&8)<<11) + (LE16>>2);
 *                      distance 16384 exactly = end of stream
 * After each match, the low 2 bits of its last instruction byte give 0..3 literals to copy.
 */
import { CodecAbort } from './errors.ts';

const M2_MAX_OFFSET = 0x0800;

export function lzo1xDecompress(src: Uint8Array, maxOut: number): Uint8Array {
  const ipEnd = src.length;
  let out = new Uint8Array(Math.min(maxOut, Math.max(64, src.length * 4)));
  let op = 0;
  let ip = 0;

  const fail = (why: string): never => {
    throw new CodecAbort('knet.decompress.failed', why);
  };
  const needIp = (n: number): void => {
    if (ip + n > ipEnd) fail('input overrun');
  };
  const needOp = (n: number): void => {
    const need = op + n;
    if (need > maxOut) throw new CodecAbort('knet.decompress.too_large', `output exceeds ${maxOut} bytes`);
    if (need > out.length) {
      const bigger = new Uint8Array(Math.min(maxOut, Math.max(need, out.length * 2)));
      bigger.set(out.subarray(0, op));
      out = bigger;
    }
  };
  const copyLiterals = (n: number): void => {
    needIp(n);
    needOp(n);
    out.set(src.subarray(ip, ip + n), op);
    op += n;
    ip += n;
  };
  /** Counts a run of zero bytes (each worth 255) and the byte ending it; bounded by maxOut. */
  const zeroRun = (): number => {
    let zeros = 0;
    needIp(1);
    while (src[ip] === 0) {
      zeros++;
      ip++;
      needIp(1);
      if (zeros * 255 > maxOut) throw new CodecAbort('knet.decompress.too_large', `run length exceeds ${maxOut} bytes`);
    }
    return zeros * 255 + src[ip++]!;
  };
  const copyMatch = (distance: number, len: number): void => {
    if (distance < 1 || distance > op) fail(`match distance ${distance} outside the output (at ${op})`);
    needOp(len);
    let from = op - distance;
    if (distance >= len) {
      out.copyWithin(op, from, from + len);
      op += len;
    } else {
      for (let i = 0; i < len; i++) out[op++] = out[from++]!;
    }
  };

  if (ipEnd < 3) fail('input shorter than the 3-byte end marker');
  let state = 0;
  let t: number;
  if (src[0]! > 17) {
    t = src[ip++]! - 17;
    if (t < 4) {
      copyLiterals(t);
      state = t;
    } else {
      copyLiterals(t);
      state = 4;
    }
  }

  for (;;) {
    needIp(1);
    t = src[ip++]!;
    let next: number;
    if (t < 16) {
      if (state === 0) {
        // Literal run.
        const len = t === 0 ? 15 + zeroRun() + 3 : t + 3;
        copyLiterals(len);
        state = 4;
        continue;
      }
      needIp(1);
      next = t & 3;
      if (state !== 4) {
        copyMatch(1 + (t >> 2) + (src[ip++]! << 2), 2);
      } else {
        copyMatch(1 + M2_MAX_OFFSET + (t >> 2) + (src[ip++]! << 2), 3);
      }
    } else if (t >= 64) {
      needIp(1);
      next = t & 3;
      const distance = 1 + ((t >> 2) & 7) + (src[ip++]! << 3);
      copyMatch(distance, (t >> 5) + 1);
    } else if (t >= 32) {
      let len = t & 31;
      if (len === 0) len = 31 + zeroRun();
      len += 2;
      needIp(2);
      const le16 = src[ip]! | (src[ip + 1]! << 8);
      ip += 2;
      next = le16 & 3;
      copyMatch(1 + (le16 >> 2), len);
    } else {
      // 16..31: M4, or the end-of-stream marker.
      const far = (t & 8) << 11;
      let len = t & 7;
      if (len === 0) len = 7 + zeroRun();
      len += 2;
      needIp(2);
      const le16 = src[ip]! | (src[ip + 1]! << 8);
      ip += 2;
      next = le16 & 3;
      const distance = far + (le16 >> 2);
      if (distance === 0) {
        if (len !== 3) fail('bad end-of-stream marker');
        if (ip !== ipEnd) fail(`${ipEnd - ip} bytes after the end-of-stream marker`);
        return out.subarray(0, op);
      }
      copyMatch(distance + 0x4000, len);
    }
    // Up to 3 literals follow a match.
    copyLiterals(next);
    state = next;
  }
}

/**
 * Byte-order aware integer access over a Uint8Array, by offset.
 *
 * Hand byte math is the fastest option on Node 20 (no DataView construction per packet; see
 * shared/reference/dependencies.md §1.3). Callers check bounds first (a view's `check`), then use
 * these accessors freely: they do not check bounds themselves.
 *
 * `le` is the sender's byte order: Totem structures travel in the sender's host order and the
 * receiver detects it from the header's magic; knet headers are big-endian.
 */

export function u8(b: Uint8Array, o: number): number {
  return b[o]!;
}

export function u16(b: Uint8Array, o: number, le: boolean): number {
  return le ? b[o]! | (b[o + 1]! << 8) : (b[o]! << 8) | b[o + 1]!;
}

export function u32(b: Uint8Array, o: number, le: boolean): number {
  return le
    ? (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000
    : b[o]! * 0x1000000 + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
}

export function i32(b: Uint8Array, o: number, le: boolean): number {
  return le
    ? b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)
    : (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}

// One-entry cache: a ring's seq repeats in nearly every frame, so the BigInt is rarely rebuilt.
let lastHi = -1;
let lastLo = -1;
let lastU64 = 0n;

export function u64(b: Uint8Array, o: number, le: boolean): bigint {
  const lo = le ? u32(b, o, true) : u32(b, o + 4, false);
  const hi = le ? u32(b, o + 4, true) : u32(b, o, false);
  if (hi !== lastHi || lo !== lastLo) {
    lastHi = hi;
    lastLo = lo;
    lastU64 = (BigInt(hi) << 32n) | BigInt(lo);
  }
  return lastU64;
}

export function putU8(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
}

export function putU16(b: Uint8Array, o: number, v: number, le: boolean): void {
  if (le) {
    b[o] = v & 0xff;
    b[o + 1] = (v >>> 8) & 0xff;
  } else {
    b[o] = (v >>> 8) & 0xff;
    b[o + 1] = v & 0xff;
  }
}

/** Writes the low 32 bits of `v` (signed or unsigned input both work). */
export function putU32(b: Uint8Array, o: number, v: number, le: boolean): void {
  if (le) {
    b[o] = v & 0xff;
    b[o + 1] = (v >>> 8) & 0xff;
    b[o + 2] = (v >>> 16) & 0xff;
    b[o + 3] = (v >>> 24) & 0xff;
  } else {
    b[o] = (v >>> 24) & 0xff;
    b[o + 1] = (v >>> 16) & 0xff;
    b[o + 2] = (v >>> 8) & 0xff;
    b[o + 3] = v & 0xff;
  }
}

export const putI32 = putU32;

export function putU64(b: Uint8Array, o: number, v: bigint, le: boolean): void {
  const lo = Number(v & 0xffffffffn);
  const hi = Number((v >> 32n) & 0xffffffffn);
  if (le) {
    putU32(b, o, lo, true);
    putU32(b, o + 4, hi, true);
  } else {
    putU32(b, o, hi, false);
    putU32(b, o + 4, lo, false);
  }
}

export function toHex(b: Uint8Array, start = 0, end = b.length): string {
  let s = '';
  for (let i = start; i < end; i++) s += (b[i]! < 16 ? '0' : '') + b[i]!.toString(16);
  return s;
}

export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/[^0-9a-fA-F]/g, '');
  const out = new Uint8Array(clean.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

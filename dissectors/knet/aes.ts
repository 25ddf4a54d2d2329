/**
 * AES-CBC decryption (FIPS-197, 128/192/256-bit keys) in plain TypeScript, writing into a caller's
 * buffer: the knet receive path (wire-format.md §7.6, AES-CBC with the authkey's first 16/24/32
 * bytes, IV = the packet's salt).
 *
 * Why not node:crypto: every `decipher.update()` is a native call plus a fresh off-heap Buffer, a
 * fixed cost of 1-3 µs that dwarfs the work for knet's typical 5-block packets; a table-driven
 * decryption of a block here is ~0.1-0.2 µs and allocates nothing. Checked against node:crypto in
 * test/unit/knet-crypto.test.ts.
 *
 * The block loop runs in a WebAssembly kernel (aesWasm.ts, same tables and round keys) when
 * available, else in JavaScript (`decryptCbcJs`); both give identical results.
 *
 * Table-driven AES is not constant-time (cache timing). That matters for a party that holds the
 * key and faces an attacker measuring it; a capture analyser decrypting recorded traffic is not that.
 */

import { DATA_CAPACITY, DATA_OFFSET, loadAesKernel, ROUND_KEYS_OFFSET, type AesKernel } from './aesWasm.ts';

/** S-box and inverse S-box, built from GF(2^8) arithmetic once at load. */
const SBOX = new Uint8Array(256);
const INV_SBOX = new Uint8Array(256);
/** Decryption round tables (the "equivalent inverse cipher"): TD0[x] = InvMixColumns of column (InvS[x],0,0,0); TD1..3 its byte rotations. */
const TD0 = new Int32Array(256);
const TD1 = new Int32Array(256);
const TD2 = new Int32Array(256);
const TD3 = new Int32Array(256);

function xtime(x: number): number {
  return ((x << 1) ^ (x & 0x80 ? 0x1b : 0)) & 0xff;
}

function gmul(a: number, b: number): number {
  let p = 0;
  for (; b !== 0; b >>>= 1, a = xtime(a)) if (b & 1) p ^= a;
  return p;
}

function buildTables(): void {
  // Multiplicative inverse via generator 3: log/antilog tables.
  const exp = new Uint8Array(256);
  const log = new Uint8Array(256);
  for (let i = 0, x = 1; i < 255; i++, x = x ^ xtime(x)) {
    exp[i] = x;
    log[x] = i;
  }
  for (let x = 0; x < 256; x++) {
    const inv = x === 0 ? 0 : exp[(255 - log[x]!) % 255]!;
    let s = inv;
    let r = inv;
    for (let k = 0; k < 4; k++) {
      r = ((r << 1) | (r >>> 7)) & 0xff;
      s ^= r;
    }
    s ^= 0x63;
    SBOX[x] = s;
    INV_SBOX[s] = x;
  }
  for (let x = 0; x < 256; x++) {
    const si = INV_SBOX[x]!;
    const w = (gmul(si, 0x0e) << 24) | (gmul(si, 0x09) << 16) | (gmul(si, 0x0d) << 8) | gmul(si, 0x0b);
    TD0[x] = w;
    TD1[x] = (w >>> 8) | (w << 24);
    TD2[x] = (w >>> 16) | (w << 16);
    TD3[x] = (w >>> 24) | (w << 8);
  }
}
buildTables();

/** InvMixColumns of one round-key word (for the equivalent inverse cipher's key schedule). */
function invMixWord(w: number): number {
  return TD0[SBOX[w >>> 24]!]! ^ TD1[SBOX[(w >>> 16) & 0xff]!]! ^ TD2[SBOX[(w >>> 8) & 0xff]!]! ^ TD3[SBOX[w & 0xff]!]!;
}

/** Built on first use: commands that never decrypt knet do not pay for it at start-up. */
let kernel: AesKernel | undefined | null = null;
function aesKernel(): AesKernel | undefined {
  if (kernel === null) kernel = loadAesKernel([TD0, TD1, TD2, TD3], INV_SBOX);
  return kernel;
}
/** The decryptor whose round keys are in the kernel memory. */
let keysLoaded: AesCbcDecryptor | undefined;

export interface AesCbcDecryptorOptions {
  /** Use the WebAssembly kernel when available (default true); false forces the JavaScript path. */
  readonly wasm?: boolean;
}

export class AesCbcDecryptor {
  /** Decryption round keys, round 0 first (= the last encryption round key). */
  readonly #rk: Int32Array;
  readonly #rounds: number;
  readonly #kernel: AesKernel | undefined;

  /** `key`: 16, 24 or 32 bytes (AES-128/192/256). */
  constructor(key: Uint8Array, opts: AesCbcDecryptorOptions = {}) {
    this.#kernel = opts.wasm === false ? undefined : aesKernel();
    const nk = key.length / 4;
    if (key.length !== 16 && key.length !== 24 && key.length !== 32) throw new RangeError('AES key must be 16, 24 or 32 bytes');
    const rounds = nk + 6;
    const total = 4 * (rounds + 1);
    const ek = new Int32Array(total);
    for (let i = 0; i < nk; i++) ek[i] = (key[4 * i]! << 24) | (key[4 * i + 1]! << 16) | (key[4 * i + 2]! << 8) | key[4 * i + 3]!;
    for (let i = nk, rcon = 1; i < total; i++) {
      let t = ek[i - 1]!;
      if (i % nk === 0) {
        t = (t << 8) | (t >>> 24);
        t = (SBOX[t >>> 24]! << 24) | (SBOX[(t >>> 16) & 0xff]! << 16) | (SBOX[(t >>> 8) & 0xff]! << 8) | SBOX[t & 0xff]!;
        t ^= rcon << 24;
        rcon = xtime(rcon);
      } else if (nk > 6 && i % nk === 4) {
        t = (SBOX[t >>> 24]! << 24) | (SBOX[(t >>> 16) & 0xff]! << 16) | (SBOX[(t >>> 8) & 0xff]! << 8) | SBOX[t & 0xff]!;
      }
      ek[i] = ek[i - nk]! ^ t;
    }
    const rk = new Int32Array(total);
    for (let r = 0; r <= rounds; r++) {
      for (let j = 0; j < 4; j++) {
        const w = ek[4 * (rounds - r) + j]!;
        rk[4 * r + j] = r === 0 || r === rounds ? w : invMixWord(w);
      }
    }
    this.#rk = rk;
    this.#rounds = rounds;
  }

  /**
   * CBC-decrypts `len` bytes (a multiple of 16) of `src` from `srcOff` into `dst` at `dstOff`, with
   * the 16-byte IV at `src[ivOff..]`. No padding handling. `dst` must not overlap `src`.
   */
  decryptCbc(src: Uint8Array, srcOff: number, len: number, ivOff: number, dst: Uint8Array, dstOff: number): void {
    const k = this.#kernel;
    if (k === undefined || len > DATA_CAPACITY) {
      this.decryptCbcJs(src, srcOff, len, ivOff, dst, dstOff);
      return;
    }
    if (keysLoaded !== this) {
      k.words.set(this.#rk, ROUND_KEYS_OFFSET >> 2);
      keysLoaded = this;
    }
    const bytes = k.bytes;
    if (ivOff + 16 === srcOff) {
      bytes.set(src.subarray(ivOff, srcOff + len), DATA_OFFSET - 16);
    } else {
      bytes.set(src.subarray(ivOff, ivOff + 16), DATA_OFFSET - 16);
      bytes.set(src.subarray(srcOff, srcOff + len), DATA_OFFSET);
    }
    k.decrypt(this.#rounds, len >>> 4);
    dst.set(bytes.subarray(DATA_OFFSET, DATA_OFFSET + len), dstOff);
  }

  /** Whether the WebAssembly kernel is in use (for benches and tests). */
  get usesWasm(): boolean {
    return this.#kernel !== undefined;
  }

  /** The JavaScript block loop (also the fallback without WebAssembly). */
  decryptCbcJs(src: Uint8Array, srcOff: number, len: number, ivOff: number, dst: Uint8Array, dstOff: number): void {
    const rk = this.#rk;
    const rounds = this.#rounds;
    const td0 = TD0, td1 = TD1, td2 = TD2, td3 = TD3, inv = INV_SBOX;
    let p0 = readWord(src, ivOff), p1 = readWord(src, ivOff + 4), p2 = readWord(src, ivOff + 8), p3 = readWord(src, ivOff + 12);
    for (let at = 0; at < len; at += 16) {
      const o = srcOff + at;
      const c0 = readWord(src, o), c1 = readWord(src, o + 4), c2 = readWord(src, o + 8), c3 = readWord(src, o + 12);
      let s0 = c0 ^ rk[0]!, s1 = c1 ^ rk[1]!, s2 = c2 ^ rk[2]!, s3 = c3 ^ rk[3]!;
      let k = 4;
      for (let r = 1; r < rounds; r++, k += 4) {
        const t0 = td0[s0 >>> 24]! ^ td1[(s3 >>> 16) & 0xff]! ^ td2[(s2 >>> 8) & 0xff]! ^ td3[s1 & 0xff]! ^ rk[k]!;
        const t1 = td0[s1 >>> 24]! ^ td1[(s0 >>> 16) & 0xff]! ^ td2[(s3 >>> 8) & 0xff]! ^ td3[s2 & 0xff]! ^ rk[k + 1]!;
        const t2 = td0[s2 >>> 24]! ^ td1[(s1 >>> 16) & 0xff]! ^ td2[(s0 >>> 8) & 0xff]! ^ td3[s3 & 0xff]! ^ rk[k + 2]!;
        const t3 = td0[s3 >>> 24]! ^ td1[(s2 >>> 16) & 0xff]! ^ td2[(s1 >>> 8) & 0xff]! ^ td3[s0 & 0xff]! ^ rk[k + 3]!;
        s0 = t0;
        s1 = t1;
        s2 = t2;
        s3 = t3;
      }
      const d0 = ((inv[s0 >>> 24]! << 24) | (inv[(s3 >>> 16) & 0xff]! << 16) | (inv[(s2 >>> 8) & 0xff]! << 8) | inv[s1 & 0xff]!) ^ rk[k]! ^ p0;
      const d1 = ((inv[s1 >>> 24]! << 24) | (inv[(s0 >>> 16) & 0xff]! << 16) | (inv[(s3 >>> 8) & 0xff]! << 8) | inv[s2 & 0xff]!) ^ rk[k + 1]! ^ p1;
      const d2 = ((inv[s2 >>> 24]! << 24) | (inv[(s1 >>> 16) & 0xff]! << 16) | (inv[(s0 >>> 8) & 0xff]! << 8) | inv[s3 & 0xff]!) ^ rk[k + 2]! ^ p2;
      const d3 = ((inv[s3 >>> 24]! << 24) | (inv[(s2 >>> 16) & 0xff]! << 16) | (inv[(s1 >>> 8) & 0xff]! << 8) | inv[s0 & 0xff]!) ^ rk[k + 3]! ^ p3;
      const q = dstOff + at;
      writeWord(dst, q, d0);
      writeWord(dst, q + 4, d1);
      writeWord(dst, q + 8, d2);
      writeWord(dst, q + 12, d3);
      p0 = c0;
      p1 = c1;
      p2 = c2;
      p3 = c3;
    }
  }
}

function readWord(b: Uint8Array, o: number): number {
  return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}

function writeWord(b: Uint8Array, o: number, w: number): void {
  b[o] = w >>> 24;
  b[o + 1] = w >>> 16;
  b[o + 2] = w >>> 8;
  b[o + 3] = w;
}

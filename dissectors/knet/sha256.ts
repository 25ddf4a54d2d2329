/**
 * HMAC-SHA256 in plain TypeScript with the key's inner/outer pad states precomputed once.
 *
 * Why: knet signs every packet, and node:crypto's per-call cost (a new Hmac object, key setup,
 * two native transitions) dominates for packets of a few hundred bytes; with the pads hashed once
 * per key, a packet costs only its own blocks plus one outer block. Checked against node:crypto in
 * test/unit/knet-crypto.test.ts. Other hashes use node:crypto.
 *
 * The compression runs in a WebAssembly kernel (sha256Wasm.ts, about twice as fast) when
 * available, else in the JavaScript `compress` below; both give identical results. Batches of
 * signed packets (verifyTrailing) go four at a time through a WebAssembly SIMD kernel
 * (sha256x4Wasm.ts, about twice the throughput again); long single messages hash their inner part
 * with node:crypto (SHA-NI).
 */
import { createHash, type Hash } from 'node:crypto';
import { DATA_CAPACITY, DATA_OFFSET, INNER_PAD_OFFSET, OUTER_OFFSET, OUTER_PAD_OFFSET, sha256Kernel, STATE_OFFSET, type Sha256Kernel } from './sha256Wasm.ts';
import { LANE_CAPACITY, LANE_DATA_OFFSET, LANES_OFFSET, LENGTHS_OFFSET, MASK_OFFSET, PADS_OFFSET, sha256x4Kernel, type Sha256x4Kernel } from './sha256x4Wasm.ts';
import { SHA256_IV, SHA256_K } from './sha256Constants.ts';

/**
 * Message length from which the inner hash goes to node:crypto (SHA-NI) instead: a copy of a Hash
 * that absorbed key ^ ipad, so only the message is hashed natively. Its fixed cost (~3 µs) beats
 * the kernel from about 400 bytes (measured); the one-block outer hash stays here.
 */
const NATIVE_INNER_MIN = 512;
const K = Int32Array.from(SHA256_K);
const IV = SHA256_IV;

/** Message schedule, reused by every compression (no allocation per block). */
const W = new Int32Array(64);

/**
 * One compression of the 64-byte block at `b[o..o+64)` into `h` (8 words). Sums are split into
 * pairs cut back to 32 bits so V8 keeps every intermediate a small integer (no float fallback);
 * Ch and Maj use their two-operation forms.
 */
function compress(h: Int32Array, b: Uint8Array, o: number): void {
  for (let i = 0; i < 16; i++, o += 4) W[i] = (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15]!;
    const w2 = W[i - 2]!;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[i] = (((W[i - 16]! + s0) | 0) + ((W[i - 7]! + s1) | 0)) | 0;
  }
  let a = h[0]! | 0, bb = h[1]! | 0, c = h[2]! | 0, d = h[3]! | 0, e = h[4]! | 0, f = h[5]! | 0, g = h[6]! | 0, hh = h[7]! | 0;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = g ^ (e & (f ^ g));
    const t1 = (((hh + S1) | 0) + ((ch + ((K[i]! + W[i]!) | 0)) | 0)) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & bb) | (c & (a | bb));
    hh = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = bb;
    bb = a;
    a = (t1 + ((S0 + maj) | 0)) | 0;
  }
  h[0] = (h[0]! + a) | 0;
  h[1] = (h[1]! + bb) | 0;
  h[2] = (h[2]! + c) | 0;
  h[3] = (h[3]! + d) | 0;
  h[4] = (h[4]! + e) | 0;
  h[5] = (h[5]! + f) | 0;
  h[6] = (h[6]! + g) | 0;
  h[7] = (h[7]! + hh) | 0;
}

const tail = new Uint8Array(128);
const state = new Int32Array(8);
const innerDigest = new Uint8Array(64);

/** Hashes `data` continuing from `start` (a state after `prefixBytes` bytes), into `out` (32 bytes). */
function finish(start: Int32Array, prefixBytes: number, data: Uint8Array, len: number, out: Uint8Array): void {
  state.set(start);
  const full = len & ~63;
  for (let o = 0; o < full; o += 64) compress(state, data, o);
  const rest = len - full;
  for (let i = 0; i < rest; i++) tail[i] = data[full + i]!;
  tail[rest] = 0x80;
  const blocks = rest + 9 > 64 ? 2 : 1;
  tail.fill(0, rest + 1, blocks * 64 - 5);
  const bits = (prefixBytes + len) * 8;
  const end = blocks * 64;
  tail[end - 4] = (bits >>> 24) & 0xff;
  tail[end - 3] = (bits >>> 16) & 0xff;
  tail[end - 2] = (bits >>> 8) & 0xff;
  tail[end - 1] = bits & 0xff;
  tail[end - 5] = Math.floor(bits / 2 ** 32) & 0xff;
  compress(state, tail, 0);
  if (blocks === 2) compress(state, tail, 64);
  for (let i = 0; i < 8; i++) {
    const w = state[i]!;
    out[4 * i] = w >>> 24;
    out[4 * i + 1] = (w >>> 16) & 0xff;
    out[4 * i + 2] = (w >>> 8) & 0xff;
    out[4 * i + 3] = w & 0xff;
  }
}

const macOut = new Uint8Array(32);
/** The instance whose pad states are in the kernel memory. */
let padsLoaded: HmacSha256 | undefined;
/** The same for the four-lane kernel. */
let padsLoaded4: HmacSha256 | undefined;

/**
 * Longest message verifyTrailing hashes in the four-lane kernel; longer ones go one by one through
 * verify() (node:crypto's SHA-NI inner hash wins there). Must fit a lane with its padding.
 */
const LANE_MESSAGE_MAX = 2048;
/** Inner-hash block count (after the ipad block) of a message of `len` bytes: data, 0x80, 8-byte length. */
const innerBlocks = (len: number): number => ((len + 8) >>> 6) + 1;
const MAX_GROUP = innerBlocks(LANE_MESSAGE_MAX) + 1;

/** The four-lane kernel once it passed HmacSha256's self-check (null: not checked yet). */
let lanes4: Sha256x4Kernel | undefined | null = null;

export interface HmacSha256Options {
  /** Use the WebAssembly kernel when available (default true); false forces the JavaScript path. */
  readonly wasm?: boolean;
  /** Hash long messages' inner part with node:crypto (default true). */
  readonly native?: boolean;
  /** verifyTrailing uses the four-lane SIMD kernel when available (default true). */
  readonly lanes?: boolean;
}

export class HmacSha256 {
  readonly #inner = new Int32Array(8);
  readonly #outer = new Int32Array(8);
  readonly #kernel: Sha256Kernel | undefined;
  /** node:crypto SHA-256 that absorbed key ^ ipad (long messages), undefined with `native: false`. */
  readonly #nativeInner: Hash | undefined;
  /** Four-lane kernel for verifyTrailing (undefined: one by one). */
  #lanes: Sha256x4Kernel | undefined;
  /** verifyTrailing's groups of packet indices by inner block count (up to 4 each), reused. */
  readonly #groups: Int32Array[] = [];
  readonly #groupSizes = new Uint8Array(MAX_GROUP);

  constructor(key: Uint8Array, keyHash: (k: Uint8Array) => Uint8Array, opts: HmacSha256Options = {}) {
    this.#kernel = opts.wasm === false ? undefined : sha256Kernel();
    this.#lanes = opts.lanes === false || opts.wasm === false ? undefined : HmacSha256.#fourLaneKernel();
    const k = new Uint8Array(64);
    k.set(key.length > 64 ? keyHash(key) : key);
    const pad = new Uint8Array(64);
    for (const [target, x] of [
      [this.#inner, 0x36],
      [this.#outer, 0x5c],
    ] as const) {
      for (let i = 0; i < 64; i++) pad[i] = k[i]! ^ x;
      target.set(IV);
      compress(target, pad, 0);
      if (x === 0x36 && opts.native !== false) this.#nativeInner = createHash('sha256').update(pad);
    }
  }

  /** Whether the WebAssembly kernel is in use (for benches and tests). */
  get usesWasm(): boolean {
    return this.#kernel !== undefined;
  }

  /**
   * The four-lane kernel, once it gave the same results as the JavaScript code for messages of
   * several lengths in every lane (an emitter slip disables it instead of corrupting results).
   */
  static #fourLaneKernel(): Sha256x4Kernel | undefined {
    if (lanes4 !== null) return lanes4;
    lanes4 = undefined;
    const k = sha256x4Kernel();
    if (k === undefined) return undefined;
    const key = new Uint8Array(64).map((_, i) => (i * 151 + 7) & 0xff);
    const reference = new HmacSha256(key, (x) => x, { wasm: false, native: false });
    const candidate = new HmacSha256(key, (x) => x, { wasm: false, native: false });
    candidate.#lanes = k;
    for (const len of [0, 55, 56, 119, 120, 200, 1000]) {
      const packets = [0, 1, 2, 3].map((lane) => {
        const p = new Uint8Array(len + 32).map((_, i) => (i * 31 + lane * 97 + len) & 0xff);
        p.set(reference.digest(p, len), len);
        if (lane === 2) p[len + 5]! ^= 1; // this lane must fail
        return p;
      });
      const ok = new Uint8Array(4);
      candidate.verifyTrailing(packets, ok);
      if (ok.join() !== '1,1,0,1') return undefined;
    }
    lanes4 = k;
    return k;
  }

  /** Whether verifyTrailing uses the four-lane SIMD kernel (for benches and tests). */
  get usesLanes(): boolean {
    return this.#lanes !== undefined;
  }

  /**
   * Verifies many signed messages at once: each `packets[i]` is a message followed by its 32-byte
   * MAC; `ok[i]` becomes 1 when that MAC is right, else 0 (packets shorter than 32 bytes: 0).
   * Same results as verify() one by one; messages of equal block count go through the four-lane
   * kernel four at a time, the rest (a last single one, long ones) through verify().
   */
  verifyTrailing(packets: readonly Uint8Array[], ok: Uint8Array): void {
    const k = this.#lanes;
    const n = packets.length;
    if (k === undefined) {
      for (let i = 0; i < n; i++) {
        ok[i] = this.verifyTrailingOne(packets[i]!) ? 1 : 0;
      }
      return;
    }
    const sizes = this.#groupSizes;
    const groups = this.#groups;
    for (let i = 0; i < n; i++) {
      const p = packets[i]!;
      const len = p.length - 32;
      if (len < 0) {
        ok[i] = 0;
        continue;
      }
      if (len > LANE_MESSAGE_MAX) {
        ok[i] = this.verifyTrailingOne(p) ? 1 : 0;
        continue;
      }
      const blocks = innerBlocks(len);
      const group = (groups[blocks] ??= new Int32Array(4));
      group[sizes[blocks]!] = i;
      if (++sizes[blocks]! === 4) {
        this.#runLanes(k, packets, group, 4, blocks, ok);
        sizes[blocks] = 0;
      }
    }
    for (let blocks = 0; blocks < MAX_GROUP; blocks++) {
      const count = sizes[blocks]!;
      if (count === 0) continue;
      sizes[blocks] = 0;
      const group = groups[blocks]!;
      if (count === 1) {
        const i = group[0]!;
        ok[i] = this.verifyTrailingOne(packets[i]!) ? 1 : 0;
      } else this.#runLanes(k, packets, group, count, blocks, ok);
    }
  }

  /** One kernel call for `count` (2-4) packets of `blocks` inner blocks; idle lanes repeat lane 0. */
  #runLanes(k: Sha256x4Kernel, packets: readonly Uint8Array[], group: Int32Array, count: number, blocks: number, ok: Uint8Array): void {
    const bytes = k.bytes;
    const words = k.words;
    if (padsLoaded4 !== this) {
      words.set(this.#inner, PADS_OFFSET >> 2);
      words.set(this.#outer, (PADS_OFFSET >> 2) + 8);
      padsLoaded4 = this;
    }
    for (let lane = 0; lane < count; lane++) {
      const slot = LANE_DATA_OFFSET + lane * LANE_CAPACITY;
      const p = packets[group[lane]!]!;
      // The whole packet: the kernel moves the MAC aside and pads the message in place.
      bytes.set(p, slot);
      words[(LANES_OFFSET >> 2) + lane] = slot;
      words[(LENGTHS_OFFSET >> 2) + lane] = p.length - 32;
    }
    // Idle lanes hash lane 0's buffer again (padding it again changes nothing); their verdicts are ignored.
    for (let lane = count; lane < 4; lane++) {
      words[(LANES_OFFSET >> 2) + lane] = LANE_DATA_OFFSET;
      words[(LENGTHS_OFFSET >> 2) + lane] = words[LENGTHS_OFFSET >> 2]!;
    }
    k.hmac4(blocks);
    const mask = words[MASK_OFFSET >> 2]!;
    for (let lane = 0; lane < count; lane++) ok[group[lane]!] = (mask >>> lane) & 1;
  }

  /** MAC of `data[0..len)` compared in constant time with `expected` (32 bytes). */
  verify(data: Uint8Array, len: number, expected: Uint8Array): boolean {
    return expected.length === 32 && this.#verifyAt(data, len, expected, 0);
  }

  /** verify() of a signed packet: the message, then its 32-byte MAC (no views made). */
  verifyTrailingOne(packet: Uint8Array): boolean {
    const len = packet.length - 32;
    return len >= 0 && this.#verifyAt(packet, len, packet, len);
  }

  /** MAC of `data[0..len)` compared in constant time with the 32 bytes at `expected[at..]`. */
  #verifyAt(data: Uint8Array, len: number, expected: Uint8Array, at: number): boolean {
    const kernel = this.#kernel;
    let diff = 0;
    if (kernel !== undefined && len < NATIVE_INNER_MIN) {
      // Compare straight from the kernel's result words.
      const words = this.#runKernel(kernel, data, len);
      for (let i = 0; i < 8; i++) {
        const w = words[(STATE_OFFSET >> 2) + i]!;
        const o = at + 4 * i;
        diff |= ((w >>> 24) ^ expected[o]!) | (((w >>> 16) & 0xff) ^ expected[o + 1]!) | (((w >>> 8) & 0xff) ^ expected[o + 2]!) | ((w & 0xff) ^ expected[o + 3]!);
      }
      return diff === 0;
    }
    this.#mac(data, len, macOut);
    for (let i = 0; i < 32; i++) diff |= macOut[i]! ^ expected[at + i]!;
    return diff === 0;
  }

  digest(data: Uint8Array, len = data.length): Uint8Array {
    const out = new Uint8Array(32);
    this.#mac(data, len, out);
    return out;
  }

  #mac(data: Uint8Array, len: number, out: Uint8Array): void {
    const kernel = this.#kernel;
    if (len >= NATIVE_INNER_MIN && this.#nativeInner !== undefined) {
      const inner = this.#nativeInner.copy().update(len === data.length ? data : data.subarray(0, len)).digest();
      if (kernel === undefined) {
        finish(this.#outer, 64, inner, 32, out);
        return;
      }
      const words = kernel.words;
      for (let i = 0; i < 8; i++) {
        const o = 4 * i;
        words[(OUTER_OFFSET >> 2) + i] = (inner[o]! | (inner[o + 1]! << 8) | (inner[o + 2]! << 16) | (inner[o + 3]! << 24)) | 0;
      }
      words.set(this.#outer, STATE_OFFSET >> 2);
      kernel.blocks(STATE_OFFSET, OUTER_OFFSET, 1);
      this.#stateBytes(words, out);
      return;
    }
    if (kernel === undefined || len > DATA_CAPACITY - 128) {
      finish(this.#inner, 64, data, len, innerDigest);
      finish(this.#outer, 64, innerDigest, 32, out);
      return;
    }
    this.#stateBytes(this.#runKernel(kernel, data, len), out);
  }

  /** The kernel's result state as 32 big-endian bytes. */
  #stateBytes(words: Int32Array, out: Uint8Array): void {
    for (let i = 0; i < 8; i++) {
      const w = words[(STATE_OFFSET >> 2) + i]!;
      out[4 * i] = w >>> 24;
      out[4 * i + 1] = w >>> 16;
      out[4 * i + 2] = w >>> 8;
      out[4 * i + 3] = w;
    }
  }

  /** Copies the message into the kernel's memory and runs it; the MAC is left at STATE_OFFSET. */
  #runKernel(kernel: Sha256Kernel, data: Uint8Array, len: number): Int32Array {
    const words = kernel.words;
    if (padsLoaded !== this) {
      // One key at a time in the kernel memory: reload only when another key (instance) is used.
      words.set(this.#inner, INNER_PAD_OFFSET >> 2);
      words.set(this.#outer, OUTER_PAD_OFFSET >> 2);
      padsLoaded = this;
    }
    // A trailing MAC may come along (no view to make): the kernel's padding overwrites it.
    kernel.bytes.set(data.length <= len + 64 ? data : data.subarray(0, len), DATA_OFFSET);
    kernel.hmac(len);
    return words;
  }
}

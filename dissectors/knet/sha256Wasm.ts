/**
 * SHA-256 compression as a WebAssembly kernel (FIPS 180-4 §6.2.2), fully unrolled: the working
 * variables and the 16-word rolling message schedule live in wasm locals (registers), rotations
 * are single instructions. Used by HmacSha256 (sha256.ts) when WebAssembly is available.
 *
 * `hmac(len)` does a whole HMAC-SHA256 (RFC 2104) of the `len` message bytes at DATA_OFFSET with
 * the key's pad states at INNER_PAD/OUTER_PAD, padding included, so JavaScript only copies the
 * message in and reads 8 words out.
 *
 * Memory layout (2 pages of 64 KiB):
 *   STATE_OFFSET      8 × i32 chaining state / result, native (little-endian) words
 *   INNER_PAD_OFFSET  8 × i32 state after the block key ^ ipad
 *   OUTER_PAD_OFFSET  8 × i32 state after the block key ^ opad
 *   OUTER_OFFSET      one 64-byte block: inner digest (big-endian) | 0x80 | zeros | bit length 768
 *   DATA_OFFSET       message bytes, then padding, up to 64 KiB + two blocks
 */
import { Body, buildModule, instantiate, Op, type WasmMemory } from './wasmEmit.ts';
import { SHA256_IV, SHA256_K } from './sha256Constants.ts';

export const STATE_OFFSET = 0;
export const INNER_PAD_OFFSET = 32;
export const OUTER_PAD_OFFSET = 64;
export const OUTER_OFFSET = 128;
export const DATA_OFFSET = 256;
/** Room for the largest knet packet (64 KiB) plus padding. */
export const DATA_CAPACITY = 65536 + 128;
const PAGES = 2;

const K = SHA256_K;

// Locals: parameters state, data, count; then a..h, w0..w15, t1, t2.
const STATE = 0;
const DATA = 1;
const COUNT = 2;
const VAR = 3; // a..h = 3..10
const WORD = 11; // w0..w15 = 11..26
const T1 = 27;
const T2 = 28;
const LOCALS = 26;

/** Pushes rotr(x, r1) ^ rotr(x, r2) ^ (x op3 r3), op3 a rotate or a shift. */
function sigma(b: Body, x: number, r1: number, r2: number, r3: number, shift: boolean): void {
  b.get(x).const(r1).op(Op.i32Rotr).get(x).const(r2).op(Op.i32Rotr).op(Op.i32Xor);
  b.get(x).const(r3).op(shift ? Op.i32ShrU : Op.i32Rotr).op(Op.i32Xor);
}

/** blocks(state, data, count): compresses `count` 64-byte blocks at `data` into the state at `state`. */
function blocksKernel(): Body {
  const b = new Body();
  b.block().loop();
  b.get(COUNT).op(Op.i32Eqz).brIf(1);
  for (let i = 0; i < 8; i++) b.get(STATE).load(4 * i).set(VAR + i);
  for (let i = 0; i < 16; i++) {
    const w = WORD + i;
    // Big-endian word: byte swap of the little-endian load.
    b.get(DATA).load(4 * i).set(w);
    b.get(w).const(8).op(Op.i32Rotl).const(0x00ff00ff).op(Op.i32And);
    b.get(w).const(8).op(Op.i32Rotr).const(0xff00ff00 | 0).op(Op.i32And).op(Op.i32Or).set(w);
  }
  for (let i = 0; i < 64; i++) {
    // The working variables rotate by renaming: round i's "a" is local VAR + (-i mod 8).
    const v = (k: number): number => VAR + ((((k - i) % 8) + 8) % 8);
    const [A, B, C, D, E, F, G, H] = [v(0), v(1), v(2), v(3), v(4), v(5), v(6), v(7)];
    const w = WORD + (i & 15);
    if (i >= 16) {
      b.get(w);
      sigma(b, WORD + ((i - 15) & 15), 7, 18, 3, true);
      b.op(Op.i32Add).get(WORD + ((i - 7) & 15)).op(Op.i32Add);
      sigma(b, WORD + ((i - 2) & 15), 17, 19, 10, true);
      b.op(Op.i32Add).set(w);
    }
    // t1 = h + Σ1(e) + Ch(e, f, g) + K[i] + w
    b.get(H);
    sigma(b, E, 6, 11, 25, false);
    b.op(Op.i32Add);
    b.get(G).get(E).get(F).get(G).op(Op.i32Xor).op(Op.i32And).op(Op.i32Xor).op(Op.i32Add);
    b.const(K[i]! | 0).op(Op.i32Add).get(w).op(Op.i32Add).set(T1);
    // t2 = Σ0(a) + Maj(a, b, c)
    sigma(b, A, 2, 13, 22, false);
    b.get(A).get(B).op(Op.i32And).get(C).get(A).get(B).op(Op.i32Or).op(Op.i32And).op(Op.i32Or).op(Op.i32Add).set(T2);
    b.get(D).get(T1).op(Op.i32Add).set(D);
    b.get(T1).get(T2).op(Op.i32Add).set(H);
  }
  for (let i = 0; i < 8; i++) b.get(STATE).get(STATE).load(4 * i).get(VAR + i).op(Op.i32Add).store(4 * i);
  b.get(DATA).const(64).op(Op.i32Add).set(DATA);
  b.get(COUNT).const(1).op(Op.i32Sub).set(COUNT);
  b.br(0).end().end();
  return b;
}

// hmac(len) locals: parameter len; then p (cursor), end, count.
const LEN = 0;
const CURSOR = 1;
const END = 2;
const BLOCKS = 3;
/** Function index of `blocks` in the module. */
const BLOCKS_FN = 0;

function copyWords(b: Body, from: number, to: number, swap: boolean): void {
  for (let i = 0; i < 8; i++) {
    if (!swap) {
      b.const(to + 4 * i).const(from + 4 * i).load().store();
      continue;
    }
    // Stored big-endian: byte swap of the native word (CURSOR is free here, used as scratch).
    b.const(from + 4 * i).load().set(CURSOR);
    b.const(to + 4 * i);
    b.get(CURSOR).const(8).op(Op.i32Rotl).const(0x00ff00ff).op(Op.i32And);
    b.get(CURSOR).const(8).op(Op.i32Rotr).const(0xff00ff00 | 0).op(Op.i32And).op(Op.i32Or);
    b.store();
  }
}

function hmacKernel(): Body {
  const b = new Body();
  // Padding: 0x80, zeros, 32-bit big-endian bit count of (pad block + message) at the very end
  // (the upper 32 bits of the 64-bit length are zero for messages under 512 MiB).
  b.get(LEN).const(72).op(Op.i32Add).const(6).op(Op.i32ShrU).set(BLOCKS);
  b.const(DATA_OFFSET).get(BLOCKS).const(6).op(Op.i32Shl).op(Op.i32Add).set(END);
  b.const(DATA_OFFSET).get(LEN).op(Op.i32Add).tee(CURSOR).const(0x80).store8();
  b.get(CURSOR).const(1).op(Op.i32Add).set(CURSOR);
  b.block().loop();
  b.get(CURSOR).get(END).const(4).op(Op.i32Sub).op(Op.i32LtU).op(Op.i32Eqz).brIf(1);
  b.get(CURSOR).const(0).store8();
  b.get(CURSOR).const(1).op(Op.i32Add).set(CURSOR);
  b.br(0).end().end();
  b.get(END).const(4).op(Op.i32Sub);
  b.get(LEN).const(64).op(Op.i32Add).const(3).op(Op.i32Shl).set(CURSOR);
  b.get(CURSOR).const(8).op(Op.i32Rotl).const(0x00ff00ff).op(Op.i32And);
  b.get(CURSOR).const(8).op(Op.i32Rotr).const(0xff00ff00 | 0).op(Op.i32And).op(Op.i32Or);
  b.store();
  // Inner hash from the ipad state, then the outer hash of its digest from the opad state.
  copyWords(b, INNER_PAD_OFFSET, STATE_OFFSET, false);
  b.const(STATE_OFFSET).const(DATA_OFFSET).get(BLOCKS).call(BLOCKS_FN);
  copyWords(b, STATE_OFFSET, OUTER_OFFSET, true);
  copyWords(b, OUTER_PAD_OFFSET, STATE_OFFSET, false);
  b.const(STATE_OFFSET).const(OUTER_OFFSET).const(1).call(BLOCKS_FN);
  return b;
}

export interface Sha256Kernel {
  /** Compresses `count` blocks at byte offset `data` of `bytes` into the state at STATE_OFFSET. */
  readonly blocks: (state: number, data: number, count: number) => void;
  /** HMAC of the `len` bytes at DATA_OFFSET with the pads at INNER_PAD/OUTER_PAD_OFFSET; result at STATE_OFFSET. */
  readonly hmac: (len: number) => void;
  readonly bytes: Uint8Array;
  readonly words: Int32Array;
}

function load(): Sha256Kernel | undefined {
  const instance = instantiate(
    buildModule(PAGES, [
      { name: 'blocks', params: 3, locals: LOCALS, body: blocksKernel() },
      { name: 'hmac', params: 1, locals: 3, body: hmacKernel() },
    ]),
  );
  if (instance === undefined) return undefined;
  const memory = instance.exports['memory'] as WasmMemory;
  const blocks = instance.exports['blocks'] as (state: number, data: number, count: number) => void;
  const hmac = instance.exports['hmac'] as (len: number) => void;
  const bytes = new Uint8Array(memory.buffer);
  const words = new Int32Array(memory.buffer);
  // The outer HMAC block's constant half: padding after the 32-byte inner digest, length (64 + 32) × 8 bits.
  bytes[OUTER_OFFSET + 32] = 0x80;
  bytes[OUTER_OFFSET + 62] = 0x03;
  bytes[OUTER_OFFSET + 63] = 0x00;
  // Self-check on "abc" (FIPS 180-4 example): any emitter slip disables the kernel instead of corrupting results.
  words.set(SHA256_IV.map((x) => x | 0), STATE_OFFSET / 4);
  bytes.fill(0, DATA_OFFSET, DATA_OFFSET + 64);
  bytes.set([0x61, 0x62, 0x63, 0x80], DATA_OFFSET);
  bytes[DATA_OFFSET + 63] = 24;
  blocks(STATE_OFFSET, DATA_OFFSET, 1);
  if (words[0] !== (0xba7816bf | 0) || words[7] !== (0xf20015ad | 0)) return undefined;
  return { blocks, hmac, bytes, words };
}

let kernel: Sha256Kernel | undefined | null = null;

/**
 * The kernel, or undefined where WebAssembly is unavailable (callers fall back to JavaScript).
 * Built on first use: commands that never see knet crypto do not pay for it at start-up.
 */
export function sha256Kernel(): Sha256Kernel | undefined {
  if (kernel === null) kernel = load();
  return kernel;
}

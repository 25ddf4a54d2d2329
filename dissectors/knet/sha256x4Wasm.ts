/**
 * Four HMAC-SHA256 computations at once: a multi-buffer WebAssembly SIMD kernel (i32x4, one
 * message per lane), FIPS 180-4 §6.2.2 with the rounds fully unrolled and the working variables
 * and rolling 16-word message schedule in v128 locals. Used by HmacSha256.verifyTrailing
 * (sha256.ts) to verify a batch of knet packets: about 2.5× the throughput of the one-message
 * kernel (sha256Wasm.ts), which stays for single packets.
 *
 * `hmac4(blocks)`: lane j's packet (message, then its 32-byte MAC) is at the address in word j of
 * LANES_OFFSET, the message length in word j of LENGTHS_OFFSET; every lane's message pads to
 * `blocks` 64-byte blocks after the ipad block. The kernel moves each MAC aside, pads the message in
 * place (0x80, zeros, bit length counting the ipad block), runs the inner hash from the ipad state
 * and the outer hash (one block: inner digest, padding, length 768 bits) from the opad state,
 * compares each lane's MAC with the one it moved aside (xor/or over all words: constant time) and
 * stores the verdicts as a bitmask at MASK_OFFSET (bit j: lane j verified). The MACs it computed
 * are left at RESULT_OFFSET word-major: word i of lane j at RESULT_OFFSET + 16·i + 4·j (native i32
 * values of the big-endian digest words). All four lanes share the block count: the caller groups
 * messages by it (knet traffic comes in a few fixed sizes).
 *
 * Memory layout (2 pages of 64 KiB):
 *   PADS_OFFSET       8 × i32 ipad state, then 8 × i32 opad state
 *   LANES_OFFSET      4 × i32 lane packet addresses
 *   LENGTHS_OFFSET    4 × i32 lane message lengths
 *   MASK_OFFSET       i32 verdict bitmask
 *   RESULT_OFFSET     8 × v128 result words
 *   K_OFFSET          64 × v128 round constants (each in all four lanes)
 *   TAG_OFFSET        4 × 32 bytes: the lanes' MACs, moved aside
 *   LANE_DATA_OFFSET  4 lane buffers of LANE_CAPACITY bytes each
 *
 * WebAssembly SIMD has no rotate: rotr(x, n) = (x >>> n) | (x << 32 - n). Ch and Maj are one
 * bitselect each: Ch(e, f, g) = bitselect(f, g, e), Maj(a, b, c) = bitselect(c, b, a ^ b).
 */
import { Body, buildModule, instantiate, Simd, type WasmMemory } from './wasmEmit.ts';
import { SHA256_K } from './sha256Constants.ts';

export const PADS_OFFSET = 0;
export const LANES_OFFSET = 64;
export const LENGTHS_OFFSET = 80;
export const MASK_OFFSET = 96;
export const RESULT_OFFSET = 128;
/** The 64 round constants, each repeated in four lanes (one v128 load per round). */
const K_OFFSET = 256;
const TAG_OFFSET = K_OFFSET + 64 * 16;
export const LANE_DATA_OFFSET = 2048;
/** Per lane: the largest message the batch path takes (see sha256.ts) plus padding, rounded up. */
export const LANE_CAPACITY = 16 * 1024;
const PAGES = 2;

const K = SHA256_K;

/** Big-endian words from little-endian loads: reverse the bytes of every i32 lane. */
const BSWAP32 = [3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12];

// Locals: parameter blocks; i32 lane pointers, cursor, end; then v128: state S0..7, working a..h,
// w0..w15, t1, t2.
const BLOCKS = 0;
const PTR = 1; // p0..p3
const CURSOR = 5;
const END = 6;
const I32_LOCALS = 6;
const V = 1 + I32_LOCALS; // first v128 local
const S = V; // S0..S7
const VAR = V + 8; // a..h
const WORD = V + 16; // w0..w15
const T1 = V + 32;
const T2 = V + 33;
const V128_LOCALS = 34;

const I32_ADD = 0x6a;
const I32_SUB = 0x6b;
const I32_MUL = 0x6c;
const I32_EQZ = 0x45;
const I32_LT_U = 0x49;
const I32_ROTL = 0x77;
const I32_ROTR = 0x78;
const I32_AND = 0x71;
const I32_OR = 0x72;

/** Pushes the byte swap of the i32 on top of the stack, kept in local `scratch`. */
function bswapScalar(b: Body, scratch: number): void {
  b.set(scratch);
  b.get(scratch).const(8).op(I32_ROTL).const(0x00ff00ff).op(I32_AND);
  b.get(scratch).const(8).op(I32_ROTR).const(0xff00ff00 | 0).op(I32_AND).op(I32_OR);
}

/** Lane j: MAC aside to TAG_OFFSET + 32·j, then the message padded in place to `blocks` blocks. */
function padLane(b: Body, lane: number): void {
  const ptr = PTR + lane;
  const length = (): Body => b.const(LENGTHS_OFFSET + 4 * lane).load();
  for (let w = 0; w < 8; w++) {
    b.const(TAG_OFFSET + 32 * lane + 4 * w);
    b.get(ptr);
    length();
    b.op(I32_ADD).load(4 * w).store();
  }
  b.get(ptr);
  length();
  b.op(I32_ADD).tee(CURSOR).const(0x80).store8();
  b.get(CURSOR).const(1).op(I32_ADD).set(CURSOR);
  b.get(ptr).get(BLOCKS).const(64).op(I32_MUL).op(I32_ADD).const(4).op(I32_SUB).set(END);
  b.block().loop();
  b.get(CURSOR).get(END).op(I32_LT_U).op(I32_EQZ).brIf(1);
  b.get(CURSOR).const(0).store8();
  b.get(CURSOR).const(1).op(I32_ADD).set(CURSOR);
  b.br(0).end().end();
  // Bit length of ipad block + message, big-endian (32 bits: lane messages are far below 512 MiB).
  b.get(END);
  length();
  b.const(64).op(I32_ADD).const(3).op(0x74 /* i32.shl */);
  bswapScalar(b, CURSOR);
  b.store();
}

/** Pushes rotr(x, n) of every lane of local `x`. */
function rotr(b: Body, x: number, n: number): void {
  b.get(x).const(n).simd(Simd.i32x4ShrU);
  b.get(x).const(32 - n).simd(Simd.i32x4Shl);
  b.simd(Simd.v128Or);
}

/** Pushes rotr(x, r1) ^ rotr(x, r2) ^ (x op r3), op a rotate or (for σ0, σ1) a shift. */
function sigma(b: Body, x: number, r1: number, r2: number, r3: number, shift: boolean): void {
  rotr(b, x, r1);
  rotr(b, x, r2);
  b.simd(Simd.v128Xor);
  if (shift) b.get(x).const(r3).simd(Simd.i32x4ShrU);
  else rotr(b, x, r3);
  b.simd(Simd.v128Xor);
}

/** 64 rounds on the schedule in w0..w15 (rolling), then S += a..h. */
function compress(b: Body): void {
  for (let i = 0; i < 8; i++) b.get(S + i).set(VAR + i);
  for (let i = 0; i < 64; i++) {
    // The working variables rotate by renaming: round i's "a" is local VAR + (-i mod 8).
    const v = (k: number): number => VAR + ((((k - i) % 8) + 8) % 8);
    const [A, B, C, D, E, F, G, H] = [v(0), v(1), v(2), v(3), v(4), v(5), v(6), v(7)];
    const w = WORD + (i & 15);
    if (i >= 16) {
      b.get(w);
      sigma(b, WORD + ((i - 15) & 15), 7, 18, 3, true);
      b.simd(Simd.i32x4Add).get(WORD + ((i - 7) & 15)).simd(Simd.i32x4Add);
      sigma(b, WORD + ((i - 2) & 15), 17, 19, 10, true);
      b.simd(Simd.i32x4Add).set(w);
    }
    // t1 = h + Σ1(e) + Ch(e, f, g) + K[i] + w
    b.get(H);
    sigma(b, E, 6, 11, 25, false);
    b.simd(Simd.i32x4Add);
    b.get(F).get(G).get(E).simd(Simd.v128Bitselect).simd(Simd.i32x4Add);
    b.const(0).v128Load(K_OFFSET + 16 * i).get(w).simd(Simd.i32x4Add).simd(Simd.i32x4Add).set(T1);
    // t2 = Σ0(a) + Maj(a, b, c)
    sigma(b, A, 2, 13, 22, false);
    b.get(C).get(B).get(A).get(B).simd(Simd.v128Xor).simd(Simd.v128Bitselect).simd(Simd.i32x4Add).set(T2);
    b.get(D).get(T1).simd(Simd.i32x4Add).set(D);
    b.get(T1).get(T2).simd(Simd.i32x4Add).set(H);
  }
  for (let i = 0; i < 8; i++) b.get(S + i).get(VAR + i).simd(Simd.i32x4Add).set(S + i);
}

function splatWord(b: Body, address: number): void {
  b.const(address).load().simd(Simd.i32x4Splat);
}

function hmac4Kernel(): Body {
  const b = new Body();
  for (let j = 0; j < 4; j++) b.const(LANES_OFFSET + 4 * j).load().set(PTR + j);
  for (let j = 0; j < 4; j++) padLane(b, j);
  for (let i = 0; i < 8; i++) {
    splatWord(b, PADS_OFFSET + 4 * i);
    b.set(S + i);
  }
  // Inner hash: `blocks` blocks per lane.
  b.block().loop();
  b.get(BLOCKS).op(I32_EQZ).brIf(1);
  for (let i = 0; i < 16; i++) {
    const w = WORD + i;
    b.get(PTR).v128Load32Zero(4 * i);
    for (let j = 1; j < 4; j++) b.get(PTR + j).load(4 * i).i32x4ReplaceLane(j);
    b.set(w);
    b.get(w).get(w).shuffle(BSWAP32).set(w);
  }
  compress(b);
  for (let j = 0; j < 4; j++) b.get(PTR + j).const(64).op(I32_ADD).set(PTR + j);
  b.get(BLOCKS).const(1).op(I32_SUB).set(BLOCKS);
  b.br(0).end().end();
  // Outer hash: one block of inner digest (8 words), 0x80, zeros, bit length (64 + 32) × 8.
  for (let i = 0; i < 8; i++) b.get(S + i).set(WORD + i);
  b.const(0x80000000 | 0).simd(Simd.i32x4Splat).set(WORD + 8);
  for (let i = 9; i < 15; i++) b.const(0).simd(Simd.i32x4Splat).set(WORD + i);
  b.const(768).simd(Simd.i32x4Splat).set(WORD + 15);
  for (let i = 0; i < 8; i++) {
    splatWord(b, PADS_OFFSET + 32 + 4 * i);
    b.set(S + i);
  }
  compress(b);
  for (let i = 0; i < 8; i++) b.const(RESULT_OFFSET + 16 * i).get(S + i).v128Store();
  // Verdicts: T1 = OR over words of (expected ^ computed), lanes gathered from the moved-aside MACs.
  b.const(0).simd(Simd.i32x4Splat).set(T1);
  for (let i = 0; i < 8; i++) {
    b.const(TAG_OFFSET + 4 * i).v128Load32Zero();
    for (let j = 1; j < 4; j++) b.const(TAG_OFFSET + 32 * j + 4 * i).load().i32x4ReplaceLane(j);
    b.set(T2);
    b.get(T2).get(T2).shuffle(BSWAP32).get(S + i).simd(Simd.v128Xor).get(T1).simd(Simd.v128Or).set(T1);
  }
  b.const(MASK_OFFSET);
  b.get(T1).const(0).simd(Simd.i32x4Splat).simd(Simd.i32x4Eq).simd(Simd.i32x4Bitmask);
  b.store();
  return b;
}

export interface Sha256x4Kernel {
  /** Inner + outer HMAC of the four lanes' padded messages of `blocks` blocks (see the file comment). */
  readonly hmac4: (blocks: number) => void;
  readonly bytes: Uint8Array;
  readonly words: Int32Array;
}

function load(): Sha256x4Kernel | undefined {
  const instance = instantiate(
    buildModule(PAGES, [{ name: 'hmac4', params: 1, locals: I32_LOCALS, v128Locals: V128_LOCALS, body: hmac4Kernel() }]),
  );
  if (instance === undefined) return undefined;
  const memory = instance.exports['memory'] as WasmMemory;
  const words = new Int32Array(memory.buffer);
  for (let i = 0; i < 64; i++) words.fill(K[i]! | 0, (K_OFFSET >> 2) + 4 * i, (K_OFFSET >> 2) + 4 * i + 4);
  return { hmac4: instance.exports['hmac4'] as (blocks: number) => void, bytes: new Uint8Array(memory.buffer), words };
}

/**
 * The kernel, or undefined where WebAssembly SIMD is unavailable (callers then verify one message
 * at a time). sha256.ts checks its results against the scalar code before using it.
 */
export function sha256x4Kernel(): Sha256x4Kernel | undefined {
  if (kernel === null) kernel = load();
  return kernel;
}

/** Built on first use (see sha256Wasm.ts). */
let kernel: Sha256x4Kernel | undefined | null = null;

/**
 * AES-CBC decryption as a WebAssembly kernel: the table-driven "equivalent inverse cipher" of
 * aes.ts (same tables, same round keys), with table loads that need no bounds checks and the
 * state in registers. Used by AesCbcDecryptor when WebAssembly is available.
 *
 * `decrypt(rounds, count)` decrypts, in place, `count` 16-byte blocks at DATA_OFFSET whose IV is the
 * 16 bytes before them, with the round keys at ROUND_KEYS_OFFSET.
 *
 * Memory layout (2 pages of 64 KiB):
 *   0      TD0..TD3, 256 × i32 each (native words)
 *   4096   inverse S-box, 256 bytes
 *   4352   decryption round keys, up to 60 × i32
 *   8192   IV (16 bytes), then DATA_OFFSET: ciphertext, decrypted in place (up to 64 KiB + 32)
 */
import { Body, buildModule, instantiate, Op, type WasmMemory } from './wasmEmit.ts';

const TD_OFFSET = 0;
const INV_SBOX_OFFSET = 4096;
export const ROUND_KEYS_OFFSET = 4352;
export const DATA_OFFSET = 8192 + 16;
export const DATA_CAPACITY = 65536 + 32;
const PAGES = 2;

// Locals: parameters rounds, count; then state, temporaries, ciphertext and previous ciphertext words.
const ROUNDS = 0;
const COUNT = 1;
const S = 2; // s0..s3
const T = 6; // t0..t3
const C = 10; // c0..c3
const P = 14; // p0..p3 (previous ciphertext block / IV)
const ROUND = 18;
const KEY = 19; // address of the current round key
const AT = 20; // address of the current block
const SCRATCH = 21;
const LOCALS = 20;

/** Pushes the byte-swapped (big-endian) value of local `x`. */
function swapped(b: Body, x: number): void {
  b.get(x).const(8).op(Op.i32Rotl).const(0x00ff00ff).op(Op.i32And);
  b.get(x).const(8).op(Op.i32Rotr).const(0xff00ff00 | 0).op(Op.i32And).op(Op.i32Or);
}

/** Pushes TD<table>[byte `byte` (0 = most significant) of local `x`]. */
function tableLookup(b: Body, table: number, x: number, byte: number): void {
  b.get(x);
  // (x >>> (24 - 8·byte)) as a word index: shift so the byte lands at bits 2..9, mask 0x3fc.
  const shift = 22 - 8 * byte;
  if (shift > 0) b.const(shift).op(Op.i32ShrU);
  else b.const(-shift).op(Op.i32Shl);
  b.const(0x3fc).op(Op.i32And).load(TD_OFFSET + 1024 * table);
}

/** Pushes INV_SBOX[byte `byte` of local `x`] shifted back into place `place` (0 = most significant). */
function invSbox(b: Body, x: number, byte: number, place: number): void {
  b.get(x);
  const shift = 24 - 8 * byte;
  if (shift > 0) b.const(shift).op(Op.i32ShrU);
  b.const(0xff).op(Op.i32And).load8u(INV_SBOX_OFFSET);
  const back = 24 - 8 * place;
  if (back > 0) b.const(back).op(Op.i32Shl);
}

// Column sources of the inverse round (OpenSSL AES_decrypt): t_j = TD0[s_j] ^ TD1[s_{j+3}] ^ TD2[s_{j+2}] ^ TD3[s_{j+1}].
const SOURCE = (j: number, table: number): number => (j + (4 - table)) % 4;

function decryptKernel(): Body {
  const b = new Body();
  b.const(DATA_OFFSET).set(AT);
  // IV words (the 16 bytes before the data), big-endian.
  for (let j = 0; j < 4; j++) {
    b.const(DATA_OFFSET - 16 + 4 * j).load().set(SCRATCH);
    swapped(b, SCRATCH);
    b.set(P + j);
  }
  b.block().loop();
  b.get(COUNT).op(Op.i32Eqz).brIf(1);
  for (let j = 0; j < 4; j++) {
    b.get(AT).load(4 * j).set(SCRATCH);
    swapped(b, SCRATCH);
    b.tee(C + j).const(ROUND_KEYS_OFFSET + 4 * j).load().op(Op.i32Xor).set(S + j);
  }
  b.const(ROUND_KEYS_OFFSET + 16).set(KEY);
  b.const(1).set(ROUND);
  // Middle rounds 1 .. rounds-1.
  b.block().loop();
  b.get(ROUND).get(ROUNDS).op(Op.i32LtU).op(Op.i32Eqz).brIf(1);
  for (let j = 0; j < 4; j++) {
    tableLookup(b, 0, S + SOURCE(j, 0), 0);
    tableLookup(b, 1, S + SOURCE(j, 1), 1);
    b.op(Op.i32Xor);
    tableLookup(b, 2, S + SOURCE(j, 2), 2);
    b.op(Op.i32Xor);
    tableLookup(b, 3, S + SOURCE(j, 3), 3);
    b.op(Op.i32Xor);
    b.get(KEY).load(4 * j).op(Op.i32Xor).set(T + j);
  }
  for (let j = 0; j < 4; j++) b.get(T + j).set(S + j);
  b.get(KEY).const(16).op(Op.i32Add).set(KEY);
  b.get(ROUND).const(1).op(Op.i32Add).set(ROUND);
  b.br(0).end().end();
  // Final round (inverse S-box, no InvMixColumns), CBC xor, store big-endian in place.
  for (let j = 0; j < 4; j++) {
    invSbox(b, S + SOURCE(j, 0), 0, 0);
    invSbox(b, S + SOURCE(j, 1), 1, 1);
    b.op(Op.i32Or);
    invSbox(b, S + SOURCE(j, 2), 2, 2);
    b.op(Op.i32Or);
    invSbox(b, S + SOURCE(j, 3), 3, 3);
    b.op(Op.i32Or);
    b.get(KEY).load(4 * j).op(Op.i32Xor).get(P + j).op(Op.i32Xor).set(SCRATCH);
    b.get(AT);
    swapped(b, SCRATCH);
    b.store(4 * j);
  }
  for (let j = 0; j < 4; j++) b.get(C + j).set(P + j);
  b.get(AT).const(16).op(Op.i32Add).set(AT);
  b.get(COUNT).const(1).op(Op.i32Sub).set(COUNT);
  b.br(0).end().end();
  return b;
}

export interface AesKernel {
  readonly decrypt: (rounds: number, count: number) => void;
  readonly bytes: Uint8Array;
  readonly words: Int32Array;
}

/** Loads the kernel with the given tables (from aes.ts); undefined where WebAssembly is unavailable. */
export function loadAesKernel(td: readonly Int32Array[], invSboxTable: Uint8Array): AesKernel | undefined {
  const instance = instantiate(buildModule(PAGES, [{ name: 'decrypt', params: 2, locals: LOCALS, body: decryptKernel() }]));
  if (instance === undefined) return undefined;
  const memory = instance.exports['memory'] as WasmMemory;
  const words = new Int32Array(memory.buffer);
  const bytes = new Uint8Array(memory.buffer);
  td.forEach((table, i) => words.set(table, (TD_OFFSET >> 2) + 256 * i));
  bytes.set(invSboxTable, INV_SBOX_OFFSET);
  return { decrypt: instance.exports['decrypt'] as (rounds: number, count: number) => void, bytes, words };
}

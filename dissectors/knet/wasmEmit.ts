/**
 * A minimal WebAssembly binary writer for the few straight-line kernels of the knet crypto path
 * (sha256Wasm.ts, sha256x4Wasm.ts, aesWasm.ts). WebAssembly gives those kernels real rotate
 * instructions, registers for the working variables and unchecked table loads: the same algorithm
 * runs about twice as fast as in JavaScript; its 128-bit SIMD (`Simd`, four i32 lanes) lets one
 * kernel hash four messages at once. Only what the kernels use is here (one memory, functions with
 * i32 parameters, i32 and v128 locals).
 */

export const Op = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i32Load8u: 0x2d,
  i32Store: 0x36,
  i32Store8: 0x3a,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32LtU: 0x49,
  call: 0x10,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32And: 0x71,
  i32Or: 0x72,
  i32Xor: 0x73,
  i32Shl: 0x74,
  i32ShrU: 0x76,
  i32Rotl: 0x77,
  i32Rotr: 0x78,
} as const;

/**
 * SIMD instructions (prefix 0xfd, then the opcode as LEB128), WebAssembly 2.0 §5.4.8. Immediates
 * (memarg, lane index, shuffle lanes) are written by the Body helpers.
 */
export const Simd = {
  v128Load: 0x00,
  v128Store: 0x0b,
  i8x16Shuffle: 0x0d,
  i32x4Splat: 0x11,
  i32x4ExtractLane: 0x1b,
  i32x4ReplaceLane: 0x1c,
  v128And: 0x4e,
  v128Or: 0x50,
  v128Xor: 0x51,
  v128Bitselect: 0x52,
  v128Load32Zero: 0x5c,
  i32x4Eq: 0x37,
  i32x4Bitmask: 0xa4,
  i32x4Shl: 0xab,
  i32x4ShrU: 0xad,
  i32x4Add: 0xae,
} as const;
const SIMD_PREFIX = 0xfd;

const VOID_BLOCK = 0x40;
const I32 = 0x7f;
const V128 = 0x7b;

function uleb(n: number, out: number[]): void {
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
}

function sleb(n: number, out: number[]): void {
  n |= 0;
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return;
    }
    out.push(byte | 0x80);
  }
}

/** Builds one function body: i32 operations on numbered locals (parameters first). */
export class Body {
  readonly code: number[] = [];

  get(local: number): this {
    this.code.push(Op.localGet);
    uleb(local, this.code);
    return this;
  }
  set(local: number): this {
    this.code.push(Op.localSet);
    uleb(local, this.code);
    return this;
  }
  tee(local: number): this {
    this.code.push(Op.localTee);
    uleb(local, this.code);
    return this;
  }
  const(value: number): this {
    this.code.push(Op.i32Const);
    sleb(value, this.code);
    return this;
  }
  /** i32.load from the address on the stack plus `offset` (4-byte aligned hint). */
  load(offset = 0): this {
    this.code.push(Op.i32Load, 2);
    uleb(offset, this.code);
    return this;
  }
  load8u(offset = 0): this {
    this.code.push(Op.i32Load8u, 0);
    uleb(offset, this.code);
    return this;
  }
  store(offset = 0): this {
    this.code.push(Op.i32Store, 2);
    uleb(offset, this.code);
    return this;
  }
  store8(offset = 0): this {
    this.code.push(Op.i32Store8, 0);
    uleb(offset, this.code);
    return this;
  }
  op(...ops: number[]): this {
    this.code.push(...ops);
    return this;
  }
  block(): this {
    this.code.push(Op.block, VOID_BLOCK);
    return this;
  }
  loop(): this {
    this.code.push(Op.loop, VOID_BLOCK);
    return this;
  }
  br(depth: number): this {
    this.code.push(Op.br);
    uleb(depth, this.code);
    return this;
  }
  brIf(depth: number): this {
    this.code.push(Op.brIf);
    uleb(depth, this.code);
    return this;
  }
  end(): this {
    this.code.push(Op.end);
    return this;
  }
  /** One SIMD instruction without immediates (see `Simd`). */
  simd(op: number): this {
    this.code.push(SIMD_PREFIX);
    uleb(op, this.code);
    return this;
  }
  /** v128.load from the address on the stack plus `offset` (16-byte aligned hint). */
  v128Load(offset = 0): this {
    this.simd(Simd.v128Load).code.push(4);
    uleb(offset, this.code);
    return this;
  }
  /** v128.store of the value on the stack to the address below it plus `offset`. */
  v128Store(offset = 0): this {
    this.simd(Simd.v128Store).code.push(4);
    uleb(offset, this.code);
    return this;
  }
  /** v128.load32_zero: one i32 into lane 0, the other lanes zero. */
  v128Load32Zero(offset = 0): this {
    this.simd(Simd.v128Load32Zero).code.push(2);
    uleb(offset, this.code);
    return this;
  }
  i32x4ReplaceLane(lane: number): this {
    this.simd(Simd.i32x4ReplaceLane).code.push(lane);
    return this;
  }
  i32x4ExtractLane(lane: number): this {
    this.simd(Simd.i32x4ExtractLane).code.push(lane);
    return this;
  }
  /** i8x16.shuffle of the two vectors on the stack; `lanes`: 16 indices (0-15 first, 16-31 second). */
  shuffle(lanes: readonly number[]): this {
    if (lanes.length !== 16) throw new RangeError('i8x16.shuffle takes 16 lane indices');
    this.simd(Simd.i8x16Shuffle).code.push(...lanes);
    return this;
  }
  /** Calls function number `index` of the module (in definition order). */
  call(index: number): this {
    this.code.push(Op.call);
    uleb(index, this.code);
    return this;
  }
}

export interface FunctionDef {
  readonly name: string;
  readonly params: number;
  /** i32 locals besides the parameters. */
  readonly locals: number;
  /** v128 locals, numbered after the i32 locals. */
  readonly v128Locals?: number;
  readonly body: Body;
}

function section(id: number, payload: number[], out: number[]): void {
  out.push(id);
  uleb(payload.length, out);
  for (const x of payload) out.push(x);
}

/** A module with one exported memory ("memory", `pages` × 64 KiB) and the given exported functions (i32 params, no results). */
export function buildModule(pages: number, functions: readonly FunctionDef[]): Uint8Array {
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const types: number[] = [];
  uleb(functions.length, types);
  for (const f of functions) {
    types.push(0x60);
    uleb(f.params, types);
    for (let i = 0; i < f.params; i++) types.push(I32);
    types.push(0);
  }
  section(1, types, out);
  const funcs: number[] = [];
  uleb(functions.length, funcs);
  functions.forEach((_, i) => uleb(i, funcs));
  section(3, funcs, out);
  const memory: number[] = [1, 0];
  uleb(pages, memory);
  section(5, memory, out);
  const exports: number[] = [];
  uleb(functions.length + 1, exports);
  const name = (s: string): void => {
    uleb(s.length, exports);
    for (const ch of s) exports.push(ch.charCodeAt(0));
  };
  name('memory');
  exports.push(0x02, 0);
  functions.forEach((f, i) => {
    name(f.name);
    exports.push(0x00);
    uleb(i, exports);
  });
  section(7, exports, out);
  const code: number[] = [];
  uleb(functions.length, code);
  for (const f of functions) {
    const body: number[] = [];
    const groups: [number, number][] = [];
    if (f.locals > 0) groups.push([f.locals, I32]);
    if ((f.v128Locals ?? 0) > 0) groups.push([f.v128Locals!, V128]);
    uleb(groups.length, body);
    for (const [count, type] of groups) {
      uleb(count, body);
      body.push(type);
    }
    for (const x of f.body.code) body.push(x);
    body.push(Op.end);
    uleb(body.length, code);
    for (const x of body) code.push(x);
  }
  section(10, code, out);
  return Uint8Array.from(out);
}

/** The part of the WebAssembly API used here (the project's TypeScript lib has no WebAssembly types). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
export interface WasmInstance {
  readonly exports: Readonly<Record<string, unknown>>;
}
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => WasmInstance;
}

/** Instantiates synchronously (the modules are a few KiB); undefined where WebAssembly is unavailable. */
export function instantiate(bytes: Uint8Array): WasmInstance | undefined {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (api === undefined) return undefined;
  try {
    return new api.Instance(new api.Module(bytes), {});
  } catch {
    return undefined;
  }
}

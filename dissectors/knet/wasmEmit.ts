/**
 * A minimal WebAssembly binary writer for the few straight-line i32 kernels of the knet crypto
 * path (sha256Wasm.ts, aesWasm.ts). WebAssembly gives those kernels real rotate instructions,
 * registers for the working variables and unchecked table loads: the same algorithm runs about
 * twice as fast as in JavaScript. Only what the kernels use is here (one memory, i32 functions).
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

const VOID_BLOCK = 0x40;
const I32 = 0x7f;

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
  readonly body: Body;
}

function section(id: number, payload: number[], out: number[]): void {
  out.push(id);
  uleb(payload.length, out);
  out.push(...payload);
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
    if (f.locals > 0) {
      body.push(1);
      uleb(f.locals, body);
      body.push(I32);
    } else body.push(0);
    body.push(...f.body.code, Op.end);
    uleb(body.length, code);
    code.push(...body);
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

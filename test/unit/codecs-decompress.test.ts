/**
 * knet decompression: vectors made by Debian's own libraries with the exact calls knet makes
 * (test/fixtures/knet/codecs/make-vectors.py), lz4js as an independent LZ4 oracle, and
 * fast-check garbage that must only ever give typed errors.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import * as lz4js from 'lz4js';
import { compressModelName, decompress, KNET_DECOMPRESS_MAX } from '../../dissectors/codecs/index.ts';
import { WireError } from '../../dissectors/errors.ts';

interface Vectors {
  inputs: Record<string, string>;
  vectors: { name: string; model: number; input: string; compressed: string }[];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/knet/codecs/vectors.json', import.meta.url), 'utf8')) as Vectors;
const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

test('every model decodes the Debian-made vectors exactly', () => {
  const seenModels = new Set<number>();
  for (const v of fixture.vectors) {
    const expected = b64(fixture.inputs[v.input]!);
    const out = decompress(v.model, b64(v.compressed));
    assert.ok(!(out instanceof WireError), `${v.name}: ${String(out)}`);
    assert.deepEqual(Buffer.from(out), Buffer.from(expected), v.name);
    seenModels.add(v.model);
  }
  assert.deepEqual([...seenModels].sort(), [1, 2, 3, 4, 5, 6, 7]);
  assert.equal(fixture.vectors.length, 40);
});

test('output above maxOut is a typed too_large error for every model', () => {
  for (const v of fixture.vectors.filter((x) => x.input === 'zeros20000')) {
    const out = decompress(v.model, b64(v.compressed), 1000);
    assert.ok(out instanceof WireError, v.name);
    assert.equal(out.code, 'knet.decompress.too_large', `${v.name}: ${out.message}`);
    assert.ok(out.message.startsWith(compressModelName(v.model)), out.message);
  }
});

test('truncated vectors give typed errors, never exceptions or wrong lengths silently', () => {
  for (const v of fixture.vectors) {
    const c = b64(v.compressed);
    const expectedLen = b64(fixture.inputs[v.input]!).length;
    for (const cut of [1, 2, 5, Math.floor(c.length / 2)]) {
      if (cut >= c.length) continue;
      const out = decompress(v.model, c.subarray(0, c.length - cut));
      if (out instanceof WireError) {
        assert.match(out.code, /^knet\.decompress\./);
      } else {
        // Some formats (raw lz4 blocks) cannot detect every truncation; the result is then shorter.
        assert.ok(out.length <= expectedLen, `${v.name} cut ${cut}`);
      }
    }
  }
});

test('lz4: in-house block decoder agrees with lz4js (oracle) on random round trips', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 3000 }), fc.integer({ min: 0, max: 3 }), (raw, mode) => {
      // Make some inputs compressible: repeat a prefix.
      const src = mode === 0 ? raw : new Uint8Array(Array.from({ length: raw.length * mode }, (_, i) => raw[i % Math.max(1, raw.length >> 2)]!));
      const dst = new Uint8Array(lz4js.compressBound(src.length));
      const n = lz4js.compressBlock(src, dst, 0, src.length, new Uint32Array(1 << 16));
      if (n === 0) return; // lz4js declines incompressible input
      const ours = decompress(2, dst.subarray(0, n));
      assert.ok(!(ours instanceof WireError), String(ours));
      assert.deepEqual(Buffer.from(ours), Buffer.from(src));
    }),
    { numRuns: 200 },
  );
});

test('zlib: a bomb is cut at maxOut', () => {
  const bomb = deflateSync(Buffer.alloc(10_000_000));
  const out = decompress(1, bomb);
  assert.ok(out instanceof WireError);
  assert.equal(out.code, 'knet.decompress.too_large');
  assert.ok(KNET_DECOMPRESS_MAX >= 65536);
});

test('unknown model is a typed error', () => {
  const out = decompress(9, new Uint8Array([1, 2, 3]));
  assert.ok(out instanceof WireError);
  assert.equal(out.code, 'knet.decompress.unknown_model');
});

test('garbage and mutated vectors give only typed errors (fast-check)', () => {
  const byModel = new Map<number, Uint8Array[]>();
  for (const v of fixture.vectors) {
    if (!byModel.has(v.model)) byModel.set(v.model, []);
    byModel.get(v.model)!.push(b64(v.compressed));
  }
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 7 }),
      fc.nat(),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      fc.uint8Array({ maxLength: 300 }),
      fc.boolean(),
      (model, pick, flips, garbage, useGarbage) => {
        const bases = byModel.get(model)!;
        const src = useGarbage ? garbage : Uint8Array.from(bases[pick % bases.length]!);
        if (!useGarbage) for (const [at, val] of flips) if (src.length) src[at % src.length] = val;
        const out = decompress(model, src, 70_000);
        if (out instanceof WireError) assert.match(out.code, /^knet\.decompress\.(failed|too_large)$/);
        else assert.ok(out.length <= 70_000);
      },
    ),
    { numRuns: 1500 },
  );
});

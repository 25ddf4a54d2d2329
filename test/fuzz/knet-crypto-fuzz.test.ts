/**
 * Fuzz: the knet crypto batch path (KnetCrypto.prepare: four-lane SIMD HMAC-SHA256, one native
 * AES-CBC call per batch) against open() alone, on batches of real aes256/sha256 packets mixed with
 * mutated ones (bytes flipped anywhere, cut, extended, wrong-key packets, packets signed over
 * garbage). Every result must be identical, and a packet whose HMAC fails never gives plaintext.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { WireError } from '../../dissectors/errors.ts';
import { KnetCrypto } from '../../dissectors/knet/crypto.ts';
import { fixturePath, readUdpCapture } from '../fixtures/knet/capture.ts';
import { sealKnet } from '../fixtures/knet/seal.ts';

const key = new Uint8Array(readFileSync(fixturePath('authkey-knet-aes256-hashonly.bin')));
const otherKey = Uint8Array.from(key, (x, i) => (i === 3 ? x ^ 1 : x));
const real = readUdpCapture('knet-aes256.pcap').map((p) => p.payload);
const clear = readUdpCapture('knet-plain.pcap').map((p) => p.payload);

type Opened = ReturnType<KnetCrypto['open']>;

function shape(r: Opened): string {
  if (r instanceof WireError) return `error ${r.code} @${r.offset}: ${r.message}`;
  const c = r.crypto;
  return `${c.cipher}/${c.hash} key ${c.keyIndex} hmac ${c.hmacOk} salt ${c.salt ? Buffer.from(c.salt).toString('hex') : '-'} ${Buffer.from(r.packet).toString('hex')}`;
}

const item = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('real' as const), pick: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('flip' as const),
      pick: fc.nat(),
      at: fc.nat(),
      xor: fc.integer({ min: 1, max: 255 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cut' as const), pick: fc.nat(), by: fc.integer({ min: 1, max: 48 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('extend' as const), pick: fc.nat(), extra: fc.uint8Array({ minLength: 1, maxLength: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wrongKey' as const), pick: fc.nat() }) },
  // HMAC right over a body that is not a whole number of AES blocks, or random bytes.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('signedGarbage' as const), body: fc.uint8Array({ minLength: 0, maxLength: 300 }) }) },
);

type Item = typeof item extends fc.Arbitrary<infer T> ? T : never;

function build(it: Item): { payload: Uint8Array; authentic: boolean } {
  switch (it.kind) {
    case 'real':
      return { payload: real[it.pick % real.length]!, authentic: true };
    case 'flip': {
      const p = Uint8Array.from(real[it.pick % real.length]!);
      const at = it.at % p.length;
      p[at] = p[at]! ^ it.xor;
      return { payload: p, authentic: false };
    }
    case 'cut':
      return { payload: real[it.pick % real.length]!.slice(0, -it.by), authentic: false };
    case 'extend': {
      const p = real[it.pick % real.length]!;
      const out = new Uint8Array(p.length + it.extra.length);
      out.set(p);
      out.set(it.extra, p.length);
      return { payload: out, authentic: false };
    }
    case 'wrongKey':
      return { payload: sealKnet(clear[it.pick % clear.length]!, otherKey, 'aes256', 'sha256'), authentic: false };
    case 'signedGarbage': {
      const out = new Uint8Array(it.body.length + 32);
      out.set(it.body);
      out.set(createHmac('sha256', key).update(it.body).digest(), it.body.length);
      return { payload: out, authentic: true };
    }
  }
}

test('prepare() + open() give exactly what open() alone gives, on mutated batches', () => {
  fc.assert(
    fc.property(fc.array(item, { minLength: 1, maxLength: 120 }), fc.integer({ min: 1, max: 64 }), (items, batch) => {
      const built = items.map(build);
      const single = new KnetCrypto({ keys: [key] });
      const batched = new KnetCrypto({ keys: [key] });
      // Detection first (prepare works from the second packet on).
      single.open(real[0]!);
      batched.open(real[0]!);
      for (let i = 0; i < built.length; i += batch) {
        const chunk = built.slice(i, i + batch);
        batched.prepare(chunk.map((b) => b.payload));
        for (const b of chunk) {
          const want = single.open(b.payload);
          const got = batched.open(b.payload);
          assert.equal(shape(got), shape(want));
          if (!b.authentic) assert.ok(got instanceof WireError, 'a packet whose HMAC fails gave plaintext');
        }
      }
    }),
    { numRuns: 150 },
  );
});

/** knet crypto: real aes256/sha256 and hash-only captures, every cipher × hash, wrong/no key, key rotation. */
import assert from 'node:assert/strict';
import { randomBytes, createCipheriv, createDecipheriv, createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { AesCbcDecryptor } from '../../dissectors/knet/aes.ts';
import { HmacSha256 } from '../../dissectors/knet/sha256.ts';
import { WireError } from '../../dissectors/errors.ts';
import { KnetCrypto, type KnetCipher, type KnetHash } from '../../dissectors/knet/crypto.ts';
import { KnetDecoder } from '../../dissectors/knet/decoder.ts';
import { knetSummary, knetTree } from '../../dissectors/knet/tree.ts';
import { fixturePath, readUdpCapture } from '../fixtures/knet/capture.ts';
import { sealKnet } from '../fixtures/knet/seal.ts';

const key = new Uint8Array(readFileSync(fixturePath('authkey-knet-aes256-hashonly.bin')));
const plain = readUdpCapture('knet-plain.pcap');

test('knet-aes256.pcap: every packet verifies and decrypts (auto-detected aes256/sha256)', () => {
  const c = new KnetCrypto({ keys: [key] });
  const packets = readUdpCapture('knet-aes256.pcap');
  assert.equal(packets.length, 1766);
  for (const p of packets) {
    const r = c.open(p.payload);
    assert.ok(!(r instanceof WireError), `frame ${p.frame}: ${String(r)}`);
    assert.equal(r.crypto.cipher, 'aes256');
    assert.equal(r.crypto.hash, 'sha256');
    assert.equal(r.crypto.hmacOk, true);
    assert.equal(r.crypto.salt?.length, 16);
    assert.equal(r.packet[0], 1);
    // 16 salt + ciphertext (multiple of 16) + 32 HMAC
    assert.equal((p.payload.length - 48) % 16, 0);
  }
  assert.deepEqual(c.detected, { keyIndex: 0, cipher: 'aes256', hash: 'sha256' });
  // An 26-byte ping becomes 16 + 32 + 32 = 80 bytes (wire-format.md §7.6).
  assert.ok(packets.some((p) => p.payload.length === 80));
});

test('knet-aes256.pcap with the corosync.conf values given decodes the same', () => {
  const d = new KnetDecoder({ keys: [key], cipher: 'aes256', hash: 'sha256' });
  for (const p of readUdpCapture('knet-aes256.pcap')) d.decode(p.payload, p.meta);
  assert.equal(d.counters.errors, 0);
  assert.equal(d.counters.encrypted, 1766);
});

test('knet-hashonly.pcap: cleartext + 20-byte HMAC-SHA1 detected as none/sha1', () => {
  const c = new KnetCrypto({ keys: [key] });
  for (const p of readUdpCapture('knet-hashonly.pcap')) {
    const r = c.open(p.payload);
    assert.ok(!(r instanceof WireError), `frame ${p.frame}: ${String(r)}`);
    assert.equal(r.crypto.cipher, 'none');
    assert.equal(r.crypto.hash, 'sha1');
    assert.equal(r.packet.length, p.payload.length - 20);
  }
});

test('wrong key: every packet is an HMAC mismatch, nothing decoded', () => {
  const wrong = new Uint8Array(key);
  wrong[100] = wrong[100]! ^ 1;
  for (const name of ['knet-aes256.pcap', 'knet-hashonly.pcap']) {
    const d = new KnetDecoder({ keys: [wrong] });
    const packets = readUdpCapture(name);
    for (const p of packets) {
      const r = d.decode(p.payload, p.meta);
      assert.equal(r.kind, 'error');
      if (r.kind === 'error') {
        assert.equal(r.error.code, 'knet.crypto.hmac_mismatch');
        assert.equal(r.error.message, 'HMAC mismatch: wrong key or not this cluster');
      }
    }
    assert.equal(d.counters.errorsByCode['knet.crypto.hmac_mismatch'], packets.length);
    assert.equal(d.counters.messages, 0);
    assert.equal(d.counters.decoded, 0);
  }
});

test('no key for encrypted or signed traffic: knet.crypto.no_key for every packet', () => {
  for (const name of ['knet-aes256.pcap', 'knet-hashonly.pcap']) {
    const d = new KnetDecoder();
    const packets = readUdpCapture(name);
    for (const p of packets) d.decode(p.payload, p.meta);
    // Hash-only DATA looks like cleartext; the signed 46-byte pings that precede it give it away.
    assert.equal(d.counters.errorsByCode['knet.crypto.no_key'], packets.length, name);
    assert.equal(d.counters.messages, 0);
  }
});

test('a plaintext capture still decodes when a key is given', () => {
  const d = new KnetDecoder({ keys: [key] });
  for (const p of plain) d.decode(p.payload, p.meta);
  assert.equal(d.counters.errors, 0);
  assert.equal(d.counters.cleartext, plain.length);
});

const CIPHERS: KnetCipher[] = ['none', 'aes128', 'aes192', 'aes256'];
const HASHES: KnetHash[] = ['md5', 'sha1', 'sha256', 'sha384', 'sha512'];
const sample = plain.filter((_, i) => i % 97 === 0).map((p) => p.payload);

test('every cipher × hash corosync accepts round-trips, auto-detected and with config given', () => {
  for (const cipher of CIPHERS) {
    for (const hash of HASHES) {
      const auto = new KnetCrypto({ keys: [key] });
      const fixed = new KnetCrypto({ keys: [key], cipher, hash });
      for (const pk of sample) {
        const sealed = sealKnet(pk, key, cipher, hash);
        for (const c of [auto, fixed]) {
          const r = c.open(sealed);
          assert.ok(!(r instanceof WireError), `${cipher}/${hash}: ${String(r)}`);
          assert.deepEqual(Buffer.from(r.packet), Buffer.from(pk));
          assert.equal(r.crypto.cipher, cipher);
          assert.equal(r.crypto.hash, hash);
        }
      }
      assert.deepEqual(auto.detected, { keyIndex: 0, cipher, hash });
    }
  }
});

test('several keys are tried in order (capture across a key change)', () => {
  const key2 = new Uint8Array(randomBytes(256));
  const c = new KnetCrypto({ keys: [key, key2] });
  const a = c.open(sealKnet(sample[1]!, key, 'aes256', 'sha256'));
  const b = c.open(sealKnet(sample[1]!, key2, 'aes256', 'sha256'));
  const a2 = c.open(sealKnet(sample[2]!, key, 'aes256', 'sha256'));
  assert.ok(!(a instanceof WireError) && !(b instanceof WireError) && !(a2 instanceof WireError));
  assert.equal(a.crypto.keyIndex, 0);
  assert.equal(b.crypto.keyIndex, 1);
  assert.equal(a2.crypto.keyIndex, 0);
});

test('HMAC verified but padding wrong: knet.crypto.bad_padding; short packets: too_short', () => {
  const salt = randomBytes(16);
  const c = createCipheriv('aes-256-cbc', key.subarray(0, 32), salt);
  c.setAutoPadding(false);
  const bogus = Buffer.alloc(32, 0x55); // last byte 0x55: not valid PKCS#7
  const body = Buffer.concat([salt, c.update(bogus), c.final()]);
  const sealed = Buffer.concat([body, createHmac('sha256', key).update(body).digest()]);
  const fixed = new KnetCrypto({ keys: [key], cipher: 'aes256', hash: 'sha256' });
  const r = fixed.open(sealed);
  assert.ok(r instanceof WireError);
  assert.equal(r.code, 'knet.crypto.bad_padding');
  const auto = new KnetCrypto({ keys: [key] });
  const r2 = auto.open(sealed);
  assert.ok(r2 instanceof WireError);
  assert.equal(r2.code, 'knet.crypto.bad_padding');
  const short = fixed.open(new Uint8Array(20).fill(9));
  assert.ok(short instanceof WireError);
  assert.equal(short.code, 'knet.crypto.too_short');
});

test('the key never appears in results, trees, summaries, errors or JSON', () => {
  const d = new KnetDecoder({ keys: [key] });
  const wrongD = new KnetDecoder({ keys: [new Uint8Array(256).fill(3)] });
  const texts: string[] = [JSON.stringify(d), JSON.stringify(new KnetCrypto({ keys: [key] }))];
  const jsonReplacer = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v);
  for (const p of readUdpCapture('knet-aes256.pcap').slice(0, 200)) {
    const r = d.decode(p.payload, p.meta);
    texts.push(knetSummary(r), JSON.stringify(knetTree(r), jsonReplacer), JSON.stringify(r, jsonReplacer));
    const w = wrongD.decode(p.payload, p.meta);
    texts.push(knetSummary(w), JSON.stringify(w, jsonReplacer));
  }
  texts.push(JSON.stringify(d), JSON.stringify(d.counters));
  const all = texts.join('\n');
  const hex = Buffer.from(key).toString('hex');
  for (const needle of [hex.slice(0, 32), hex.slice(64, 96), Buffer.from(key.subarray(0, 24)).toString('base64')]) {
    assert.ok(!all.includes(needle), 'key material leaked');
  }
});

test('in-house HMAC-SHA256 matches node:crypto for every length around block boundaries', async () => {
  const { HmacSha256 } = await import('../../dissectors/knet/sha256.ts');
  const { createHash } = await import('node:crypto');
  for (const k of [key, new Uint8Array(randomBytes(20)), new Uint8Array(randomBytes(64)), new Uint8Array(randomBytes(65))]) {
    const h = new HmacSha256(k, (x) => createHash('sha256').update(x).digest());
    for (let n = 0; n <= 200; n++) {
      const data = new Uint8Array(randomBytes(n));
      const ref = createHmac('sha256', k).update(data).digest();
      assert.deepEqual(Buffer.from(h.digest(data)), ref, `len ${n}`);
      assert.ok(h.verify(data, n, ref));
      const bad = Buffer.from(ref);
      bad[n % 32] = bad[n % 32]! ^ 0x80;
      assert.ok(!h.verify(data, n, bad));
    }
    for (const n of [1397, 1500, 65000]) {
      const data = new Uint8Array(randomBytes(n));
      assert.deepEqual(Buffer.from(h.digest(data)), createHmac('sha256', k).update(data).digest(), `len ${n}`);
    }
  }
});

test('the WebAssembly kernels are in use (a failed self-check would silently fall back to JavaScript)', () => {
  assert.equal(new HmacSha256(key, (x) => createHash('sha256').update(x).digest()).usesWasm, true);
  assert.equal(new AesCbcDecryptor(key.subarray(0, 32)).usesWasm, true);
});

test('AES-CBC decryption (WebAssembly and JavaScript) matches node:crypto for every key size', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(16, 24, 32),
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.integer({ min: 0, max: 100 }),
      fc.integer({ min: 0, max: 7 }),
      fc.boolean(),
      (keyLen, keyBytes, iv, blocks, skew, adjacentIv) => {
        const aesKey = keyBytes.subarray(0, keyLen);
        const ciphertext = new Uint8Array(randomBytes(blocks * 16));
        // The IV right before the ciphertext (the knet layout) or elsewhere, at odd offsets.
        const src = new Uint8Array(skew + 16 + ciphertext.length + 16);
        const srcOff = skew + 16;
        src.set(ciphertext, srcOff);
        const ivOff = adjacentIv ? skew : srcOff + ciphertext.length;
        src.set(iv, ivOff);
        const d = createDecipheriv(`aes-${keyLen * 8}-cbc`, aesKey, iv);
        d.setAutoPadding(false);
        const expected = Buffer.concat([d.update(ciphertext), d.final()]);
        for (const wasm of [true, false]) {
          const out = new Uint8Array(ciphertext.length + 3);
          new AesCbcDecryptor(aesKey, { wasm }).decryptCbc(src, srcOff, ciphertext.length, ivOff, out, 3);
          assert.deepEqual(Buffer.from(out.subarray(3)), expected, `wasm=${wasm}`);
        }
      },
    ),
    { numRuns: 150 },
  );
});

test('HMAC-SHA256 (WebAssembly, JavaScript, native inner hash) matches node:crypto on random keys and lengths', () => {
  const keyHash = (x: Uint8Array): Uint8Array => createHash('sha256').update(x).digest();
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 300 }),
      fc.integer({ min: 0, max: 1600 }),
      fc.integer({ min: 0, max: 5 }),
      (hmacKey, len, skew) => {
        const data = new Uint8Array(randomBytes(skew + len + 40)).subarray(skew);
        const ref = createHmac('sha256', hmacKey).update(data.subarray(0, len)).digest();
        for (const opts of [{}, { native: false }, { wasm: false, native: false }, { wasm: false }]) {
          const h = new HmacSha256(hmacKey, keyHash, opts);
          assert.deepEqual(Buffer.from(h.digest(data, len)), ref, JSON.stringify(opts));
          assert.ok(h.verify(data, len, ref));
          const bad = Buffer.from(ref);
          bad[len % 32] = bad[len % 32]! ^ 1;
          assert.ok(!h.verify(data, len, bad));
          assert.ok(!h.verify(data, len, ref.subarray(0, 31)));
        }
      },
    ),
    { numRuns: 120 },
  );
});

test('two keys alternate through the shared kernels without mixing their pads or round keys', () => {
  const key2 = new Uint8Array(randomBytes(256));
  const c = new KnetCrypto({ keys: [key, key2], cipher: 'aes256', hash: 'sha256' });
  const big = plain.filter((p) => p.payload.length >= 300).slice(0, 4).map((p) => p.payload);
  for (let i = 0; i < 8; i++) {
    for (const pk of [sample[1]!, sample[2]!, ...big]) {
      const k = i % 2 === 0 ? key : key2;
      const r = c.open(sealKnet(pk, k, 'aes256', 'sha256'));
      assert.ok(!(r instanceof WireError), String(r));
      assert.equal(r.crypto.keyIndex, i % 2);
      assert.deepEqual(Buffer.from(r.packet), Buffer.from(pk));
    }
  }
});

test('decrypted packets stay intact while later packets are opened (no reused output buffer)', () => {
  const c = new KnetCrypto({ keys: [key] });
  const views: Uint8Array[] = [];
  const copies: Buffer[] = [];
  // Several passes: more plaintext than one output slab holds.
  for (let pass = 0; pass < 4; pass++) {
    for (const p of readUdpCapture('knet-aes256.pcap')) {
      const r = c.open(p.payload);
      assert.ok(!(r instanceof WireError));
      views.push(r.packet);
      copies.push(Buffer.from(r.packet));
    }
  }
  views.forEach((v, i) => assert.ok(Buffer.from(v).equals(copies[i]!), `packet ${i} changed`));
});

test('long packets (native AES and inner hash) and short ones decode alike for every AES key size', () => {
  const long = plain.filter((p) => p.payload.length >= 256).slice(0, 6).map((p) => p.payload);
  assert.ok(long.some((p) => p.length >= 1000));
  for (const cipher of ['aes128', 'aes192', 'aes256'] as const) {
    for (const hash of ['sha256', 'sha1'] as const) {
      const c = new KnetCrypto({ keys: [key], cipher, hash });
      for (const pk of [...long, sample[0]!, sample[3]!]) {
        const r = c.open(sealKnet(pk, key, cipher, hash));
        assert.ok(!(r instanceof WireError), `${cipher}/${hash}: ${String(r)}`);
        assert.deepEqual(Buffer.from(r.packet), Buffer.from(pk));
      }
    }
  }
});

// ---- Batch path: four-lane SIMD HMAC (verifyTrailing) and KnetCrypto.prepare (one native AES-CBC call) ----

/** open() results as comparable plain data (never the key). */
function openedShape(r: ReturnType<KnetCrypto['open']>): unknown {
  if (r instanceof WireError) return { error: r.code, offset: r.offset, message: r.message };
  const c = r.crypto;
  return { packet: Buffer.from(r.packet).toString('hex'), cipher: c.cipher, hash: c.hash, keyIndex: c.keyIndex, hmacOk: c.hmacOk, salt: c.salt ? Buffer.from(c.salt).toString('hex') : null };
}

/** Opens `payloads` with prepare() in batches of `batch`, and without, in two fresh instances: same results. */
function assertBatchSameAsSingle(
  payloads: readonly Uint8Array[],
  opts: ConstructorParameters<typeof KnetCrypto>[0],
  batch: number,
  /** Share of the packets after the first batch that prepare() must answer (0: none may be). */
  batchShare: number,
): ReturnType<KnetCrypto['open']>[] {
  const single = new KnetCrypto(opts);
  const batched = new KnetCrypto(opts);
  const out: ReturnType<KnetCrypto['open']>[] = [];
  for (let i = 0; i < payloads.length; i += batch) {
    const chunk = payloads.slice(i, i + batch);
    batched.prepare(chunk);
    for (const [j, p] of chunk.entries()) {
      const a = single.open(p);
      const b = batched.open(p);
      assert.deepEqual(openedShape(b), openedShape(a), `packet ${i + j} (${p.length} bytes)`);
      out.push(b);
    }
  }
  assert.deepEqual(batched.detected, single.detected);
  // The batch path really answered (from the second batch on: the first one comes before detection),
  // or, where it cannot apply, never did.
  const expected = batchShare * (payloads.length - batch);
  if (batchShare > 0) assert.ok(batched.preparedHits >= expected, `only ${batched.preparedHits} of ${payloads.length} from prepare()`);
  else assert.equal(batched.preparedHits, 0);
  return out;
}

test('four-lane HMAC-SHA256 (verifyTrailing) matches node:crypto on random keys and lengths 0..1500, tampered ones fail', () => {
  const keyHash = (x: Uint8Array): Uint8Array => createHash('sha256').update(x).digest();
  for (const keyLen of [1, 32, 64, 65, 256]) {
    const hmacKey = new Uint8Array(randomBytes(keyLen));
    const h = new HmacSha256(hmacKey, keyHash);
    assert.equal(h.usesLanes, true, 'the SIMD kernel passed its self-check');
    const packets: Uint8Array[] = [];
    const expected: number[] = [];
    for (let i = 0; i < 400; i++) {
      // Mostly a few fixed sizes (full lane groups), plus random lengths (groups left partial).
      const len = i % 3 === 0 ? Math.floor(Math.random() * 1501) : [0, 55, 56, 96, 119, 120, 1440][i % 7]!;
      const p = new Uint8Array(len + 32);
      p.set(randomBytes(len));
      p.set(createHmac('sha256', hmacKey).update(p.subarray(0, len)).digest(), len);
      const tamper = i % 4 === 1;
      if (tamper) {
        const at = Math.floor(Math.random() * p.length);
        p[at] = p[at]! ^ (1 << (i % 8));
      }
      packets.push(p);
      expected.push(tamper ? 0 : 1);
    }
    packets.push(new Uint8Array(31), new Uint8Array(0));
    expected.push(0, 0);
    for (const opts of [{}, { lanes: false }, { wasm: false, native: false }]) {
      const ok = new Uint8Array(packets.length).fill(7);
      new HmacSha256(hmacKey, keyHash, opts).verifyTrailing(packets, ok);
      assert.deepEqual([...ok], expected, `key ${keyLen} ${JSON.stringify(opts)}`);
    }
  }
});

test('prepare() + open() on the real aes256/sha256 captures: identical to open() alone, batch sizes 1..1000', () => {
  const captures: [Uint8Array[], Uint8Array][] = [
    [readUdpCapture('knet-aes256.pcap').map((p) => p.payload), key],
    [readUdpCapture(new URL('../../samples/knet-aes256/capture.pcap', import.meta.url).pathname).map((p) => p.payload), new Uint8Array(readFileSync(new URL('../../samples/knet-aes256/authkey', import.meta.url)))],
  ];
  for (const [payloads, authkey] of captures) {
    assert.ok(payloads.length > 500);
    for (const batch of [1, 3, 64, 1000]) {
      const results = assertBatchSameAsSingle(payloads, { keys: [authkey] }, batch, batch >= 64 ? 0.9 : 0);
      assert.ok(results.every((r) => !(r instanceof WireError)));
    }
    assertBatchSameAsSingle(payloads, { keys: [authkey], cipher: 'aes256', hash: 'sha256' }, 256, 0.9);
  }
});

test('prepare(): a flipped byte anywhere fails the HMAC and nothing decrypted is returned for it', () => {
  const payloads = readUdpCapture('knet-aes256.pcap').map((p) => p.payload);
  const mixed: Uint8Array[] = [];
  const tampered = new Set<number>();
  for (const [i, p] of payloads.entries()) {
    if (i > 0 && i % 5 === 0) {
      const t = new Uint8Array(p);
      const at = (i * 7919) % t.length; // salt, ciphertext or HMAC
      t[at] = t[at]! ^ (1 << (i % 8));
      tampered.add(mixed.length);
      mixed.push(t);
    } else mixed.push(p);
  }
  const results = assertBatchSameAsSingle(mixed, { keys: [key] }, 200, 0.75);
  for (const [i, r] of results.entries()) {
    if (!tampered.has(i)) {
      assert.ok(!(r instanceof WireError), `packet ${i}: ${String(r)}`);
      continue;
    }
    assert.ok(r instanceof WireError, `tampered packet ${i} was accepted`);
    assert.equal(r.code, 'knet.crypto.hmac_mismatch');
  }
});

test('prepare() with synthetic packets of every length 0..1500 and every AES key size matches node:crypto', () => {
  const keyHash = Buffer.from(key);
  for (const cipher of ['aes128', 'aes192', 'aes256'] as const) {
    const packets: Uint8Array[] = [];
    const clear: Uint8Array[] = [];
    for (let len = 0; len <= 1500; len += cipher === 'aes256' ? 1 : 7) {
      const pk = new Uint8Array(randomBytes(len));
      clear.push(pk);
      packets.push(sealKnet(pk, key, cipher, 'sha256'));
    }
    const c = new KnetCrypto({ keys: [key], cipher, hash: 'sha256' });
    // The first packet (detection) one by one, then batches.
    for (let i = 0; i < packets.length; i += 100) {
      const chunk = packets.slice(i, i + 100);
      c.prepare(chunk);
      for (const [j, p] of chunk.entries()) {
        const r = c.open(p);
        assert.ok(!(r instanceof WireError), `${cipher} len ${i + j}: ${String(r)}`);
        // Reference: node:crypto HMAC, then node:crypto AES-CBC with PKCS#7.
        const body = p.subarray(0, p.length - 32);
        assert.deepEqual(createHmac('sha256', keyHash).update(body).digest(), Buffer.from(p.subarray(p.length - 32)));
        const keyLen = { aes128: 16, aes192: 24, aes256: 32 }[cipher];
        const d = createDecipheriv(`aes-${keyLen * 8}-cbc`, key.subarray(0, keyLen), body.subarray(0, 16));
        const expected = Buffer.concat([d.update(body.subarray(16)), d.final()]);
        assert.deepEqual(Buffer.from(r.packet), expected, `${cipher} len ${i + j}`);
        assert.deepEqual(Buffer.from(r.packet), Buffer.from(clear[i + j]!));
        assert.deepEqual(Buffer.from(r.crypto.salt!), Buffer.from(body.subarray(0, 16)));
      }
    }
    // All but the first batch (before detection) and a last one too small for the native call.
    assert.ok(c.preparedHits >= packets.length - 100 - 4, `${cipher}: ${c.preparedHits} of ${packets.length} from prepare()`);
  }
});

test('prepare(): out-of-order or foreign payloads drop the batch, results stay those of open()', () => {
  const payloads = readUdpCapture('knet-aes256.pcap').map((p) => p.payload).slice(0, 300);
  const single = new KnetCrypto({ keys: [key] });
  const batched = new KnetCrypto({ keys: [key] });
  single.open(payloads[0]!);
  batched.open(payloads[0]!);
  // Prepared 1..100, but opened 50..1, a copy of 51, then 101..: every result as open() alone gives.
  batched.prepare(payloads.slice(1, 101));
  const order = [...payloads.slice(1, 51).reverse(), new Uint8Array(payloads[51]!), ...payloads.slice(101)];
  for (const p of order) assert.deepEqual(openedShape(batched.open(p)), openedShape(single.open(p)));
  // Plaintext from a batch stays intact after later batches.
  const views: Uint8Array[] = [];
  const copies: Buffer[] = [];
  for (let pass = 0; pass < 3; pass++) {
    batched.prepare(payloads);
    for (const p of payloads) {
      const r = batched.open(p);
      assert.ok(!(r instanceof WireError));
      views.push(r.packet);
      copies.push(Buffer.from(r.packet));
    }
  }
  views.forEach((v, i) => assert.ok(Buffer.from(v).equals(copies[i]!), `packet ${i} changed`));
});

test('prepare() with a wrong key, hash-only traffic, or before detection: results identical to open()', () => {
  const wrong = new Uint8Array(key);
  wrong[7] = wrong[7]! ^ 0x40;
  const aes = readUdpCapture('knet-aes256.pcap').map((p) => p.payload);
  const wrongResults = assertBatchSameAsSingle(aes, { keys: [wrong] }, 128, 0);
  assert.ok(wrongResults.every((r) => r instanceof WireError && r.code === 'knet.crypto.hmac_mismatch'));
  // Two keys, the right one second.
  assertBatchSameAsSingle(aes, { keys: [wrong, key] }, 128, 0.9);
  // Hash-only sha1 (prepare is a no-op) and a synthetic hash-only sha256 stream.
  assertBatchSameAsSingle(readUdpCapture('knet-hashonly.pcap').map((p) => p.payload), { keys: [key] }, 128, 0);
  const signed = plain.slice(0, 400).map((p) => sealKnet(p.payload, key, 'none', 'sha256'));
  assertBatchSameAsSingle(signed, { keys: [key] }, 64, 0.9);
  assertBatchSameAsSingle(signed, { keys: [key], cipher: 'none', hash: 'sha256' }, 64, 0.9);
});

test('KnetDecoder.prefetch(): same counters and results as decode() alone on the real capture', () => {
  const packets = readUdpCapture('knet-aes256.pcap');
  const a = new KnetDecoder({ keys: [key] });
  const b = new KnetDecoder({ keys: [key] });
  for (let i = 0; i < packets.length; i += 97) {
    const chunk = packets.slice(i, i + 97);
    b.prefetch(chunk.map((p) => p.payload));
    for (const p of chunk) {
      const ra = a.decode(p.payload, p.meta);
      const rb = b.decode(p.payload, p.meta);
      assert.equal(rb.kind, ra.kind);
      assert.deepEqual(knetSummary(rb), knetSummary(ra));
    }
  }
  assert.deepEqual(b.counters, a.counters);
  assert.equal(b.counters.errors, 0);
});

test('prepare(): bytes changed after prepare() (a broken caller) never yield unverified plaintext', () => {
  const originals = readUdpCapture('knet-aes256.pcap').map((p) => p.payload);
  const reference = new KnetCrypto({ keys: [key] });
  const expected = originals.map((p) => openedShape(reference.open(p)));
  for (const [name, signedOnly] of [['aes256/sha256', false], ['none/sha256', true]] as const) {
    const payloads = signedOnly ? plain.slice(0, 600).map((p) => sealKnet(p.payload, key, 'none', 'sha256')) : originals.map((p) => new Uint8Array(p));
    const clear = signedOnly ? plain.slice(0, 600).map((p) => Buffer.from(p.payload).toString('hex')) : undefined;
    const c = new KnetCrypto({ keys: [key] });
    c.open(payloads[0]!);
    for (let i = 1; i < payloads.length; i += 100) {
      const chunk = payloads.slice(i, i + 100);
      c.prepare(chunk);
      // Every prepared payload is rewritten (body byte flipped) before it is opened.
      for (const [j, p] of chunk.entries()) {
        const at = (j * 13) % (p.length - 32);
        p[at] = p[at]! ^ 0x20;
      }
      for (const [j, p] of chunk.entries()) {
        const r = c.open(p);
        if (r instanceof WireError) continue;
        // Only the bytes that were verified may come out: the original packet's plaintext.
        const want = signedOnly ? clear![i + j] : (expected[i + j] as { packet: string }).packet;
        assert.equal(Buffer.from(r.packet).toString('hex'), want, `${name} packet ${i + j}`);
      }
    }
  }
});

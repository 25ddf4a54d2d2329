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

/**
 * knet seal (encrypt + sign, dissectors/knet/seal.ts): real aes256/sha256 packets re-sealed with
 * their own salt give the captured bytes exactly; every cipher × hash round-trips through
 * KnetCrypto.open; the data MTU arithmetic matches the captured fragment sizes (§7.2, §7.4).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { WireError } from '../../dissectors/errors.ts';
import { KnetCrypto, type KnetCipher, type KnetHash } from '../../dissectors/knet/crypto.ts';
import { emitData, KNET_HEADER_DATA_SIZE } from '../../dissectors/knet/data.ts';
import { KnetType } from '../../dissectors/knet/header.ts';
import { emitPing } from '../../dissectors/knet/ping.ts';
import { knetDataMtu, KnetSealer } from '../../dissectors/knet/seal.ts';
import { fixturePath, readUdpCapture } from '../fixtures/knet/capture.ts';

const key = new Uint8Array(readFileSync(fixturePath('authkey-knet-aes256-hashonly.bin')));
const CIPHERS: readonly KnetCipher[] = ['aes128', 'aes192', 'aes256', 'none'];
const HASHES: readonly KnetHash[] = ['md5', 'sha1', 'sha256', 'sha384', 'sha512'];

test('knet-aes256.pcap: opening then re-sealing with the packet\'s own salt gives the captured bytes', () => {
  const opener = new KnetCrypto({ keys: [key], cipher: 'aes256', hash: 'sha256' });
  const sealer = new KnetSealer({ key, cipher: 'aes256', hash: 'sha256' });
  const packets = readUdpCapture('knet-aes256.pcap');
  assert.equal(packets.length, 1766);
  for (const p of packets) {
    const r = opener.open(p.payload);
    assert.ok(!(r instanceof WireError), `frame ${p.frame}: ${String(r)}`);
    const resealed = sealer.seal(r.packet, p.payload.subarray(0, 16));
    assert.deepEqual(resealed, p.payload, `frame ${p.frame}`);
    assert.equal(sealer.sealedLength(r.packet.length), p.payload.length);
  }
});

test('knet-hashonly.pcap (none/sha1): re-signing gives the captured bytes', () => {
  const opener = new KnetCrypto({ keys: [key], cipher: 'none', hash: 'sha1' });
  const sealer = new KnetSealer({ key, cipher: 'none', hash: 'sha1' });
  const packets = readUdpCapture('knet-hashonly.pcap');
  assert.ok(packets.length > 0);
  for (const p of packets) {
    const r = opener.open(p.payload);
    assert.ok(!(r instanceof WireError), `frame ${p.frame}: ${String(r)}`);
    assert.deepEqual(sealer.seal(r.packet), p.payload, `frame ${p.frame}`);
  }
});

test('every cipher × hash: sealed knet packets open with KnetCrypto (configured and detected)', () => {
  const ping = emitPing({ header: { version: 1, type: KnetType.PING, node: 4, pad1: 0, pad2: 0 }, link: 0, timeSec: 12n, timeNsec: 345n, seqNum: 7, timed: 1 });
  for (const cipher of CIPHERS) {
    for (const hash of HASHES) {
      const sealer = new KnetSealer({ key, cipher, hash });
      const configured = new KnetCrypto({ keys: [key], cipher, hash });
      const detected = new KnetCrypto({ keys: [key] });
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 1, maxLength: 1500 }), fc.integer({ min: 1, max: 0xffff }), (user, seq) => {
          const data = emitData({
            header: { version: 1, type: KnetType.DATA, node: 4, pad1: 0, pad2: 0 },
            seqNum: seq,
            compress: 0,
            pad1: 0,
            bcast: 1,
            fragNum: 1,
            fragSeq: 0,
            channel: 0,
            userData: user,
          });
          for (const packet of [ping, data]) {
            const sealed = sealer.seal(packet);
            assert.equal(sealed.length, sealer.sealedLength(packet.length));
            for (const c of [configured, detected]) {
              const r = c.open(sealed);
              assert.ok(!(r instanceof WireError), `${cipher}/${hash}: ${String(r)}`);
              assert.deepEqual(r.packet, packet);
              assert.equal(r.crypto.hmacOk, true);
              assert.equal(r.crypto.cipher, cipher);
              assert.equal(r.crypto.hash, hash);
            }
          }
        }),
        { numRuns: 25 },
      );
    }
  }
});

test('a sealed packet does not open with another key, and a flipped bit fails the HMAC', () => {
  const sealer = new KnetSealer({ key, cipher: 'aes256', hash: 'sha256' });
  const ping = emitPing({ header: { version: 1, type: KnetType.PING, node: 4, pad1: 0, pad2: 0 }, link: 0, timeSec: 1n, timeNsec: 2n, seqNum: 0, timed: 1 });
  const sealed = sealer.seal(ping);
  assert.equal(sealed.length, 80, '26-byte ping → 16 salt + 32 ciphertext + 32 HMAC (§7.6)');
  const other = new KnetCrypto({ keys: [new Uint8Array(randomBytes(256))], cipher: 'aes256', hash: 'sha256' });
  const r = other.open(sealed);
  assert.ok(r instanceof WireError);
  assert.equal(r.code, 'knet.crypto.hmac_mismatch');
  const flipped = new Uint8Array(sealed);
  flipped[20] = flipped[20]! ^ 0x01;
  const r2 = new KnetCrypto({ keys: [key], cipher: 'aes256', hash: 'sha256' }).open(flipped);
  assert.ok(r2 instanceof WireError);
  // Two seals of the same packet differ (fresh random salt each time).
  assert.notDeepEqual(sealer.seal(ping), sealer.seal(ping));
});

test('none/none seals nothing; crypto without a key or with a short key is refused', () => {
  const ping = new Uint8Array(26);
  const clear = new KnetSealer({ cipher: 'none', hash: 'none' });
  assert.equal(clear.clear, true);
  assert.equal(clear.seal(ping), ping);
  assert.throws(() => new KnetSealer({ cipher: 'aes256', hash: 'sha256' }), /needs an authkey/);
  assert.throws(() => new KnetSealer({ cipher: 'aes256', hash: 'sha256', key: new Uint8Array(16) }), /too short/);
  assert.equal(JSON.stringify(new KnetSealer({ cipher: 'aes256', hash: 'sha256', key })), '{"cipher":"aes256","hash":"sha256"}');
});

test('data MTU for a 1500-byte path: 1446 plain, 1397 aes256/sha256, 1426 sha1 only (as captured)', () => {
  assert.equal(knetDataMtu(1500, 'none', 'none'), 1446);
  assert.equal(knetDataMtu(1500, 'aes256', 'sha256'), 1397);
  assert.equal(knetDataMtu(1500, 'none', 'sha1'), 1426);
  // A full fragment, sealed, is exactly one 1500-byte IPv4 packet's UDP payload or less.
  for (const cipher of CIPHERS) {
    for (const hash of HASHES) {
      const mtu = knetDataMtu(1500, cipher, hash);
      const sealer = new KnetSealer({ key, cipher, hash });
      assert.ok(sealer.sealedLength(KNET_HEADER_DATA_SIZE + mtu) <= 1472, `${cipher}/${hash}: ${mtu}`);
    }
  }
  // The plain capture's fragments: full ones carry exactly the 1500-byte data MTU.
  const fragmentSizes = new Set<number>();
  for (const p of readUdpCapture('knet-plain.pcap')) {
    const b = p.payload;
    if (b[1] === KnetType.DATA && b[11]! > 1 && b[12]! < b[11]!) fragmentSizes.add(b.length - KNET_HEADER_DATA_SIZE);
  }
  assert.ok(fragmentSizes.has(1446), `full fragment sizes seen: ${[...fragmentSizes].join(' ')}`);
});
